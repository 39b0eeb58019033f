#pragma once
// Router: the explicit route table. Every route is (method, pattern, handler, guards); patterns
// are "/"-separated exact segments or whole-segment parameters ("/api/retell/{function}").
// Describe() lists every route with its guards so `callgate routes` and a test can prove that
// nothing outside an explicit public list is unguarded.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "http/middleware.hpp"
#include "http/request.hpp"
#include "http/response.hpp"

namespace callgate::http {

// Per-route configuration.
struct RouteOptions {
  // Middleware run for this route only, after the global chain, in order. Their Name()s are the
  // route's guards in Describe(). Empty = a public route.
  std::vector<MiddlewarePtr> guards;
  // The handler only reads memory (no database, network, file, or lock held for long), so the
  // server answers it on the I/O thread that read the request, without the hand-off to a
  // handler thread and back; it also answers while every handler thread is busy. Only for a
  // public route with a literal pattern (no guards, no parameters): Add() throws otherwise.
  bool answer_inline = false;
  // The route usually answers from memory but may have to wait (a cache miss, a database read):
  // the server first runs it on the I/O thread inside an AttemptScope that forbids blocking
  // (core/blocking.hpp); when a guard or the handler reaches MayBlock(), the attempt is dropped
  // and the request runs again on a handler thread. So every guard and the handler must call
  // MayBlock() before waiting on anything, must change nothing before that point that a second
  // run would change again (or record it as an attempt step), and must let WouldBlock pass.
  // Guards and parameters are allowed. Only requests with small bodies are tried this way.
  bool try_inline = false;
};

// How the server runs a request (Router::Inline).
enum class InlineMode {
  kNo,      // on a handler thread
  kAnswer,  // on the I/O thread (RouteOptions::answer_inline)
  kTry,     // on the I/O thread unless it would block, then on a handler thread (try_inline)
};

// One line of the route table.
struct RouteDescription {
  Method method = Method::kGet;
  std::string pattern;
  std::vector<std::string> guards;  // guard names in execution order; empty = public
  bool answer_inline = false;       // answered on the I/O thread (RouteOptions::answer_inline)
  bool try_inline = false;          // tried on the I/O thread first (RouteOptions::try_inline)

  bool IsPublic() const noexcept { return guards.empty(); }
};

// Matching rules:
// - the path must match segment by segment; a "{name}" segment matches any non-empty segment
//   and its percent-decoded value becomes a route param; no trailing-slash or case folding;
// - among routes for the request's method, the one whose first differing segment is literal
//   wins ("/webhooks/retell/inbound" beats "/webhooks/retell/{event}");
// - no route matches the path → 404 JSON; routes match the path but none for this method →
//   405 JSON with an Allow header.
//
// Build it at startup, then share it: Use() and Add() are not thread-safe and must not be
// called after the server started; Handle() and Describe() are const and thread-safe.
class Router {
 public:
  // Adds middleware that runs for every request, matched or not (after the server's built-in
  // request id / access log / catch-all / body limit), in the order of Use() calls.
  void Use(MiddlewarePtr middleware);

  // Adds a route. Throws std::invalid_argument at startup for a malformed pattern (must start
  // with '/', no empty segments, params "{[a-z0-9_]+}" unique per pattern), a null handler or
  // guard, Method::kOther, or a duplicate (method, pattern) — configuration errors, not
  // request-time failures.
  void Add(Method method, std::string_view pattern, Handler handler, RouteOptions options = {});

  // Every route in the order added.
  std::vector<RouteDescription> Describe() const;

  // How (method, path) is run: kAnswer for a route declared answer_inline (an exact comparison
  // against those few literal patterns), kTry when the route Handle() would choose is declared
  // try_inline, kNo otherwise (also for 404 and 405). Cheap enough for every request.
  InlineMode Inline(Method method, std::string_view path) const;

  // Runs the global middleware, then matches the route, sets request.route_pattern and
  // request.route_params, runs the route's guards and its handler; 404/405 JSON otherwise.
  Response Handle(Request& request) const;

 private:
  struct Segment {
    std::string text;  // literal text, or the parameter name
    bool is_param = false;
  };
  struct Route {
    Method method;
    std::string pattern;
    std::vector<Segment> segments;
    Handler handler;
    std::vector<MiddlewarePtr> guards;
    bool answer_inline = false;
    bool try_inline = false;
  };

  // The route Handle() runs for (method, segments), or null; `allowed` (when given) collects the
  // methods of every route matching the path.
  const Route* Find(Method method, const std::vector<std::string_view>& segments,
                    std::vector<Method>* allowed) const;
  Response Dispatch(Request& request) const;

  std::vector<MiddlewarePtr> global_;
  std::vector<Route> routes_;
  std::vector<std::pair<Method, std::string>> inline_routes_;
  bool any_try_inline_ = false;
};

}  // namespace callgate::http
