#pragma once
// Server: the HTTP/1.1 edge. RESTinio (and asio) live only in server.cpp.
//
// Threads: `io_threads` run the network (accept, parse, write), each with its own io_context
// and listener on one shared listening socket; a connection stays on the I/O thread that
// accepted it. They never run middleware or handlers, except for routes declared answer_inline
// and the first attempt of routes declared try_inline (router.hpp).
// Each parsed request is queued to a pool of `worker_threads`; a worker runs the middleware
// chain and the handler and sends the response itself. When the queue is full the I/O thread
// answers 503 JSON at once.
//
// Limits: bodies nested deeper than limits.max_json_depth get 400 before routing; connections
// beyond max_connections or max_connections_per_address are closed at accept.
// Every read is followed by a RequestFraming (request_framing.hpp) before RESTinio parses it:
// what it refuses is answered from the socket and the connection closed after a bounded
// lingering close, the body never buffered: a body announced (Content-Length) or chunked above
// limits.max_body_bytes 413 JSON; a header section beyond http_parser's limit 431; input
// http_parser refuses, a line ending other than CRLF, a folded header line, whitespace before a
// header field's colon, a Transfer-Encoding whose chunked is not once and last (or with
// HTTP/1.0), a malformed chunked body 400; another coding before chunked 501; an HTTP major
// version other than 1 505. RESTinio's own limits (URL and header sizes) close the connection
// without an answer. See docs/adr/0003-http-server.md.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "core/result.hpp"
#include "http/middleware.hpp"
#include "http/router.hpp"

namespace callgate::http {

// Request size limits (bytes / counts).
struct ServerLimits {
  std::size_t max_url_bytes = 8 * 1024;            // request target incl. query
  std::size_t max_header_name_bytes = 256;         // one field name
  std::size_t max_header_value_bytes = 16 * 1024;  // one field value
  std::size_t max_header_count = 100;              // fields per request
  std::size_t max_body_bytes = 1024 * 1024;        // larger → 413 JSON
  // Bodies larger than max_body_bytes × this factor are cut off by closing the connection (no
  // 413). A second line: the socket guard already refuses chunked bodies at max_body_bytes.
  std::size_t hard_body_limit_factor = 4;
  // Open connections; beyond it new connections are closed right after accept. Approximate
  // under bursts (counted when RESTinio reports a connection accepted).
  std::size_t max_connections = 4096;
  // Open connections from one client address (TCP peer); beyond it that address's new
  // connections are closed right after accept. 0 = no per-address limit (e.g. behind a
  // balancer whose address carries everyone's traffic).
  std::size_t max_connections_per_address = 256;
  // JSON nesting allowed in any body; deeper → 400 before routing (core/json_depth.hpp).
  std::size_t max_json_depth = 64;
  // Requests to a try_inline route with a larger body go to a handler thread at once: parsing
  // and checking a large body would hold up the I/O thread's other connections.
  std::size_t max_try_inline_body_bytes = 32 * 1024;
};

// Everything the server needs; validated by Start().
struct ServerSettings {
  std::string address = "127.0.0.1";  // IPv4 or IPv6 literal
  std::uint16_t port = 8080;          // 0 = let the OS pick; see Server::port()
  std::size_t io_threads = 1;         // ≥ 1
  std::size_t worker_threads = 4;     // ≥ 1
  std::size_t queue_capacity = 256;   // ≥ 1; requests waiting for a worker beyond that → 503
  ServerLimits limits;
  // A client must deliver a whole request within read_timeout of the connection becoming
  // ready for it (slowloris guard); the connection is closed otherwise.
  std::chrono::milliseconds read_timeout{10'000};
  // From the end of reading to the response being handed over (queue wait + middleware +
  // handler); the connection is closed without an answer when exceeded.
  std::chrono::milliseconds handler_timeout{30'000};
  // Writing one response to the client.
  std::chrono::milliseconds write_timeout{10'000};
  // Stop(): how long accepted requests may take to be answered before I/O stops.
  std::chrono::milliseconds drain_timeout{10'000};
  // Optional hooks (see middleware.hpp): access log per request, exceptions the catch-all ate.
  AccessLogCallback access_log;
  ExceptionCallback on_exception;
};

// Counters and gauges for metrics and tests. Snapshot; fields are read independently.
struct ServerStats {
  std::uint64_t accepted = 0;              // requests handed to the worker queue (also deferred)
  std::uint64_t answered_inline = 0;       // answered on an I/O thread (answer_ / try_inline)
  std::uint64_t deferred_from_inline = 0;  // tried on an I/O thread, would block: run on a worker
  std::uint64_t answered_later = 0;        // answers that came after their handler returned
  std::uint64_t rejected_queue_full = 0;   // answered 503 because the queue was full
  std::uint64_t rejected_draining = 0;     // answered 503 because Stop() was in progress
  std::uint64_t refused_too_large = 0;     // answered 413 from a Content-Length or chunk sizes
  std::uint64_t refused_malformed = 0;     // answered 400/431/501/505 for their framing
  std::size_t queued = 0;                  // waiting for a worker now
  std::size_t running = 0;                 // in middleware/handler now
  std::size_t in_flight = 0;               // accepted and not yet fully answered
  std::size_t open_connections = 0;        // client connections open now
};

// An HTTP server bound to one address. Start() and Stop() must be called from one controlling
// thread (not from a handler); port() and Stats() are thread-safe.
class Server {
 public:
  // `router` must outlive the server and must not be modified after Start().
  Server(ServerSettings settings, const Router& router);
  // Calls Stop().
  ~Server();

  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds, listens and starts the I/O and worker threads; returns when the server accepts
  // connections. Fails with kInvalidArgument for bad settings (zero threads, bad address) and
  // kUnavailable when the address cannot be bound (e.g. port in use). Call at most once.
  Status Start();

  // Graceful shutdown: stops accepting connections, answers requests that arrive on open
  // keep-alive connections with 503 + "Connection: close", waits up to drain_timeout for
  // accepted requests to be answered, then stops I/O and joins the workers. A handler still
  // running after drain_timeout is waited for (threads cannot be cancelled) but its answer is
  // not sent. Idempotent; a no-op before Start().
  void Stop();

  // The bound port after a successful Start() (the OS-chosen one when settings.port was 0);
  // 0 before Start().
  std::uint16_t port() const noexcept;

  ServerStats Stats() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace callgate::http
