#pragma once
// PendingAnswer: a handler's answer that comes after the handler returned. A handler that
// queued its work somewhere that reports back (a write queued for the group commit, say)
// returns Response::Later(pending) and hands `pending` to whatever finishes the work, which
// calls Answer() once, from any thread. Middleware that looks at the response on its way back
// does so through AfterAnswer (middleware.hpp), which keeps its step for the answer; the server
// runs those steps, in the order a synchronous answer would have met them, on the I/O thread
// of the request's connection, then sends the answer. So the handler thread (or the I/O thread
// that tried the request) is free at once, and no thread waits for the work. The steps run on
// the I/O thread outside any attempt: they must not block.

#include <functional>
#include <mutex>
#include <optional>
#include <vector>

#include "http/response.hpp"

namespace callgate::http {

class PendingAnswer {
 public:
  // A middleware's look at the answer on its way back (AfterAnswer).
  using Step = std::function<Response(Response)>;
  // Where the server wants the answer: gets it with the steps to run on it, in order.
  using Sink = std::function<void(Response, std::vector<Step>)>;

  PendingAnswer() = default;
  PendingAnswer(const PendingAnswer&) = delete;
  PendingAnswer& operator=(const PendingAnswer&) = delete;
  // Dropped unanswered after the server took it: the client gets 500 rather than nothing.
  ~PendingAnswer();

  // The answer. The first call counts; later ones are ignored. Thread-safe; cheap (the sink
  // hands the answer to the connection's I/O thread). Must not be a Later response itself.
  void Answer(Response response);

  // For AfterAnswer: `step` runs on the answer after the steps added before it. Only on the
  // thread running the request's chain, before the server took the pending answer.
  void Then(Step step);

  // For the server, once the chain returned: `sink` gets the answer and the steps — at once
  // when it is there (returns false), otherwise on the thread that answers (returns true).
  // Once only.
  bool Deliver(Sink sink);

 private:
  std::mutex mutex_;
  std::optional<Response> answer_;  // guarded by mutex_; until the sink takes it
  bool answered_ = false;           // guarded by mutex_
  std::vector<Step> steps_;         // complete once Deliver is called
  Sink sink_;                       // guarded by mutex_
};

}  // namespace callgate::http
