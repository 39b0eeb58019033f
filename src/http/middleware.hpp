#pragma once
// Middleware: ordered request filters in the spirit of Envoy HTTP filters. Each one either
// answers itself (short-circuit, e.g. 401 from a signature guard) or calls `next` and may look
// at or adjust the response on the way back (request id echo, access log, catch-all).
//
// The server always runs, outermost first:
//   NoStore → RequestId → AccessLog → CatchAll → BodyLimit → JsonDepth → Router::Use() middleware
//   → route guards → handler.

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "http/pending_answer.hpp"
#include "http/request.hpp"
#include "http/response.hpp"

namespace callgate::http {

// A request handler (terminal of a chain). Runs on a handler worker thread (or on an I/O thread
// for routes declared answer_inline / try_inline, see router.hpp); may block on I/O but should
// bound its own waits. Expected failures are Responses (Response::Error); an exception is
// turned into 500 by the catch-all.
using Handler = std::function<Response(Request&)>;

class Middleware;
using MiddlewarePtr = std::shared_ptr<const Middleware>;

// The rest of the chain after the current middleware. Cheap to copy; valid only during the
// Handle() call that received it.
class Next {
 public:
  Next(std::span<const MiddlewarePtr> rest, const Handler& terminal) noexcept
      : rest_(rest), terminal_(&terminal) {}
  // Runs the remaining middleware and the handler.
  Response operator()(Request& request) const;

 private:
  std::span<const MiddlewarePtr> rest_;
  const Handler* terminal_;
};

// One filter. Implementations must be thread-safe: one instance serves all requests
// concurrently (keep per-request state in the Request).
class Middleware {
 public:
  virtual ~Middleware() = default;
  // Stable snake_case name; for route guards it is what Router::Describe() and
  // `callgate routes` list (e.g. "retell_signature", "admin_token").
  virtual std::string_view Name() const noexcept = 0;
  // Answers directly or returns next(request).
  virtual Response Handle(Request& request, const Next& next) const = 0;
};

// Runs `step` on the response on its way back through a middleware: now, or — when the handler
// answers later (Response::Later) — on the answer once it is there, before the server sends it,
// after the steps of the middleware inside this one. `step` may capture the Request by
// reference (it lives until the answer is sent) and the middleware itself, nothing else of the
// Handle() call's stack. Every middleware that looks at or changes the response uses this. A
// step kept for a later answer runs on the I/O thread, outside any attempt: it must not block.
template <typename Step>
Response AfterAnswer(Response response, Step&& step) {
  if (!response.pending) return std::forward<Step>(step)(std::move(response));
  response.pending->Then(PendingAnswer::Step(std::forward<Step>(step)));
  return response;
}

// Runs `chain` in order around `terminal`.
Response RunChain(std::span<const MiddlewarePtr> chain, Request& request, const Handler& terminal);

// A middleware that only checks: `check` returns a Response to reject, or nullopt to pass on.
// The usual shape of a guard.
MiddlewarePtr MakeFilter(std::string name, std::function<std::optional<Response>(Request&)> check);

// Answers are kept by no browser or proxy: every answer gets `Cache-Control: no-store` (unless
// its handler set a Cache-Control of its own) and `X-Content-Type-Options: nosniff`. What
// callgate answers is about companies and their callers (names, numbers, appointments, health
// notes) or changes with every request; none of it may stay in a cache on disk.
class NoStoreMiddleware final : public Middleware {
 public:
  std::string_view Name() const noexcept override { return "no_store"; }
  Response Handle(Request& request, const Next& next) const override;
};

// Request id: keeps a sane incoming X-Request-Id (1..64 chars of [A-Za-z0-9_-]), otherwise
// generates a random 32-hex-digit id; stores it in Request::request_id and echoes it in the
// response's X-Request-Id header and error body.
class RequestIdMiddleware final : public Middleware {
 public:
  static constexpr std::string_view kHeader = "X-Request-Id";
  static constexpr std::size_t kMaxLength = 64;

  // True when `id` may be accepted from a client.
  static bool IsValid(std::string_view id) noexcept;
  // 128 random bits as 32 lower-case hex digits. Thread-safe.
  static std::string Generate();

  std::string_view Name() const noexcept override { return "request_id"; }
  Response Handle(Request& request, const Next& next) const override;
};

// Called once per request after the response is final. `elapsed` is measured from
// Request::received_at, so it includes time spent waiting in the handler queue (and for a later
// answer, until it came). Runs on the worker thread (the I/O thread for an answer that came
// later); must not throw (exceptions are swallowed) and should be fast.
using AccessLogCallback =
    std::function<void(const Request&, const Response&, std::chrono::nanoseconds elapsed)>;

// Invokes an AccessLogCallback for every request that reaches it.
class AccessLogMiddleware final : public Middleware {
 public:
  explicit AccessLogMiddleware(AccessLogCallback callback) : callback_(std::move(callback)) {}
  std::string_view Name() const noexcept override { return "access_log"; }
  Response Handle(Request& request, const Next& next) const override;

 private:
  AccessLogCallback callback_;
};

// Told about every exception the catch-all swallowed: `what` is for the log only, never for
// the client. Must not throw.
using ExceptionCallback = std::function<void(const Request&, std::string_view what)>;

// Turns any exception from inner middleware or the handler into 500 JSON
// {"error":{"code":"internal","message":"internal error",...}} without details, except
// WouldBlock (core/blocking.hpp), which it lets pass to the server (RouteOptions::try_inline).
class CatchAllMiddleware final : public Middleware {
 public:
  explicit CatchAllMiddleware(ExceptionCallback on_exception = {})
      : on_exception_(std::move(on_exception)) {}
  std::string_view Name() const noexcept override { return "catch_all"; }
  Response Handle(Request& request, const Next& next) const override;

 private:
  ExceptionCallback on_exception_;
};

// Rejects bodies larger than max_body_bytes with 413 JSON (payload_too_large).
class BodyLimitMiddleware final : public Middleware {
 public:
  explicit BodyLimitMiddleware(std::size_t max_body_bytes) : max_body_bytes_(max_body_bytes) {}
  std::string_view Name() const noexcept override { return "body_limit"; }
  Response Handle(Request& request, const Next& next) const override;

 private:
  std::size_t max_body_bytes_;
};

// Rejects bodies nested deeper than max_depth brackets with 400 JSON before any route, guard
// or parser sees them (core/json_depth.hpp): recursive JSON operations must never meet them.
// Every body is scanned (it is O(n) and cheap); brackets inside JSON strings do not count.
class JsonDepthMiddleware final : public Middleware {
 public:
  explicit JsonDepthMiddleware(std::size_t max_depth) : max_depth_(max_depth) {}
  std::string_view Name() const noexcept override { return "json_depth"; }
  Response Handle(Request& request, const Next& next) const override;

 private:
  std::size_t max_depth_;
};

}  // namespace callgate::http
