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

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace callgate {

// Thrown by MayBlock() where blocking is forbidden. Deliberately not a std::exception: code
// that turns std::exception into an error must let it pass (and `catch (...)` on the way from a
// MayBlock() call to the server must rethrow it).
struct WouldBlock {
  const char* where;  // what would have waited (a string literal), for tests and logs
};

// The steps one request's attempts have done. An attempt repeats the request from the start, so
// it asks for the same steps in the same order up to where the earlier attempt stopped: the
// n-th time an attempt asks for a step, it was done earlier when an earlier attempt recorded it
// at least n times. Not thread-safe: one attempt runs at a time.
class AttemptMemo {
 public:
  // Starts the next attempt: what was recorded so far becomes the earlier attempts' record.
  void BeginAttempt();
  // Counts one more occurrence of `step` in this attempt; true when earlier attempts recorded
  // it at least as often.
  bool DoneEarlier(std::string_view step);
  // Records that this attempt did `step` once more.
  void MarkDone(std::string_view step);

 private:
  std::map<std::string, int, std::less<>> earlier_;  // recorded by earlier attempts
  std::map<std::string, int, std::less<>> asked_;    // asked for in this attempt
  // Recorded in this attempt, in order (a list: the first attempt, the common one, only
  // appends; the counts are taken when the next attempt begins).
  std::vector<std::string> done_;
};

// While alive, the calling thread runs one attempt of a request (it begins the memo's next
// attempt): `memo` is the request's memo, and MayBlock() throws unless `may_block`. Scopes
// nest; the innermost wins.
class AttemptScope {
 public:
  AttemptScope(AttemptMemo& memo, bool may_block) noexcept;
  ~AttemptScope();
  AttemptScope(const AttemptScope&) = delete;
  AttemptScope& operator=(const AttemptScope&) = delete;

 private:
  AttemptMemo* previous_memo_;
  bool previous_may_block_;
  const char* previous_irrevocable_;
};

// Call right before waiting on anything (I/O, another thread). Throws WouldBlock{where} inside
// an AttemptScope that forbids blocking; does nothing otherwise. After
// MarkAttemptIrrevocable in the same attempt it throws std::logic_error instead.
void MayBlock(const char* where);

// Marks that the current attempt did something a retry would do again and cannot undo (a write
// queued for the group commit, answered once written): from here the attempt must finish on
// the thread it runs on. A MayBlock() later in the same attempt is a programming error — its
// retry would queue the write a second time — and throws std::logic_error naming both places
// (the request fails with 500) instead of WouldBlock. No-op where blocking is allowed.
void MarkAttemptIrrevocable(const char* what) noexcept;

// True when the calling thread may block (outside any scope, or in a scope that allows it).
bool MayBlockHere() noexcept;

// Ask before a side effect a retry must not repeat: true when an earlier attempt of the current
// request already did this occurrence of `step` (AttemptMemo::DoneEarlier); false outside a
// scope. Name the step after what it changes (e.g. the rate-limit key it charges).
bool StepDoneInEarlierAttempt(std::string_view step);

// Records, after the side effect, that this attempt did `step`; no-op outside a scope.
void MarkAttemptStep(std::string_view step);

// Runs `effect` (a side effect with nothing to check, e.g. a metric) unless an earlier attempt
// of the current request did this occurrence of `step`, and records it.
template <typename Effect>
void OncePerRequest(std::string_view step, Effect&& effect) {
  if (StepDoneInEarlierAttempt(step)) return;
  effect();
  MarkAttemptStep(step);
}

}  // namespace callgate
