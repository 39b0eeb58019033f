#pragma once
// Blocking: lets a thread that must not wait (an HTTP I/O thread answering a request itself)
// try work that usually answers from memory, and hand it over when it would wait after all.
//
// Inside an AttemptScope that forbids blocking, every place that would wait — taking a
// database connection, a Redis connection, a Cal.com request, waiting for another thread's
// request of the same slots — calls MayBlock() first. It throws WouldBlock before anything was
// changed there, and the HTTP server runs the request again on a handler thread
// (http/router.hpp, RouteOptions::try_inline).
//
// A side effect that happens before such a point in the first attempt (a rate limit charged, a
// metric counted) must not happen again in the retry: those places record it with
// MarkAttemptStep() and ask StepDoneInEarlierAttempt() first. The AttemptMemo holding those
// steps travels with the request from the I/O thread to the handler thread.

#include <string_view>
#include <vector>

namespace callgate {

// Thrown by MayBlock() where blocking is forbidden. Deliberately not a std::exception: code
// that turns std::exception into an error must let it pass (and `catch (...)` on the way from a
// MayBlock() call to the server must rethrow it).
struct WouldBlock {
  const char* where;  // what would have waited (a string literal), for tests and logs
};

// The steps one request's attempts have done. Not thread-safe: one attempt runs at a time.
class AttemptMemo {
 public:
  bool Done(std::string_view step) const noexcept;
  // `step` must outlive the memo (a string literal).
  void MarkDone(std::string_view step);

 private:
  std::vector<std::string_view> done_;
};

// While alive, the calling thread runs one attempt of a request: `memo` is the attempt's memo,
// and MayBlock() throws unless `may_block`. Scopes nest; the innermost wins.
class AttemptScope {
 public:
  AttemptScope(AttemptMemo& memo, bool may_block) noexcept;
  ~AttemptScope();
  AttemptScope(const AttemptScope&) = delete;
  AttemptScope& operator=(const AttemptScope&) = delete;

 private:
  AttemptMemo* previous_memo_;
  bool previous_may_block_;
};

// Call right before waiting on anything (I/O, another thread). Throws WouldBlock{where} inside
// an AttemptScope that forbids blocking; does nothing otherwise.
void MayBlock(const char* where);

// True when the calling thread may block (outside any scope, or in a scope that allows it).
bool MayBlockHere() noexcept;

// True when an earlier attempt of the current request recorded `step` (false outside a scope).
bool StepDoneInEarlierAttempt(std::string_view step) noexcept;

// Records `step` (a string literal) for the current request's later attempts; no-op outside a
// scope.
void MarkAttemptStep(std::string_view step);

}  // namespace callgate
