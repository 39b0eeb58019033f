#pragma once
// HttpLoop: one libcurl multi handle driven by one background thread. Every Cal.com request of
// the process goes through it, so connections (and TLS sessions) are reused across requests and
// independent requests run in parallel without a thread each. libcurl stays in http_loop.cpp.

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace callgate::calcom {

// One outbound HTTP request.
struct HttpRequest {
  std::string method = "GET";        // GET, POST, DELETE, PATCH
  std::string url;                   // absolute http(s) URL
  std::vector<std::string> headers;  // "Name: value"
  std::string body;                  // sent as is (POST/PATCH)
  std::chrono::milliseconds connect_timeout{1000};
  std::chrono::milliseconds timeout{2500};  // whole transfer, connect included
  std::size_t max_response_bytes = 8 * 1024 * 1024;
};

// Why a request produced no HTTP answer.
enum class TransportError {
  kNone,      // an HTTP status was received (any status)
  kTimeout,   // connect or total timeout
  kConnect,   // refused, unreachable, DNS, TLS handshake, connection dropped
  kTooLarge,  // the answer exceeded max_response_bytes
  kShutdown,  // the loop was stopped before the request finished
  kOther,     // anything else libcurl reports
};

struct HttpResponse {
  TransportError error = TransportError::kNone;
  std::string error_message;  // libcurl's description; empty when error == kNone
  int status = 0;             // HTTP status (0 when error != kNone)
  std::string body;
  std::chrono::milliseconds elapsed{0};
  long new_connections = 0;  // connections libcurl had to open for this request (0 = reused)
};

// Owns the multi handle and its thread. Thread-safe: any number of threads may submit and wait
// at once. Callbacks run on the loop thread and must be quick and must not call back into the
// loop's blocking methods (they would deadlock).
class HttpLoop {
 public:
  using Callback = std::function<void(HttpResponse)>;

  // Starts the loop thread. `max_connections` bounds libcurl's connection cache.
  explicit HttpLoop(std::size_t max_connections = 64);
  // Stops the thread; requests still running complete with TransportError::kShutdown.
  ~HttpLoop();

  HttpLoop(const HttpLoop&) = delete;
  HttpLoop& operator=(const HttpLoop&) = delete;

  // Queues a request; `done` is called exactly once (on the loop thread, or at once on the
  // calling thread when the loop is already stopping).
  void Submit(HttpRequest request, Callback done);

  // Sends one request and blocks until it finished (bounded by request.timeout).
  HttpResponse Perform(HttpRequest request);

  // Sends all requests at once and blocks until every one finished; answers in input order.
  // Wall time ≈ the slowest request.
  std::vector<HttpResponse> PerformAll(std::vector<HttpRequest> requests);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace callgate::calcom
