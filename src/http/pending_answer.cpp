#include "http/pending_answer.hpp"

#include <utility>

namespace callgate::http {

PendingAnswer::~PendingAnswer() {
  // No lock: nobody else holds this any more.
  if (answered_ || !sink_) return;
  try {
    sink_(Response::Error(ErrorCode::kInternal, "internal error"), std::move(steps_));
  } catch (...) {
    // The connection is gone; nobody to answer.
  }
}

void PendingAnswer::Answer(Response response) {
  Sink sink;
  {
    std::lock_guard lock(mutex_);
    if (answered_) return;
    answered_ = true;
    if (!sink_) {
      answer_ = std::move(response);
      return;
    }
    sink = std::move(sink_);
  }
  sink(std::move(response), std::move(steps_));
}

void PendingAnswer::Then(Step step) { steps_.push_back(std::move(step)); }

bool PendingAnswer::Deliver(Sink sink) {
  Response answer;
  {
    std::lock_guard lock(mutex_);
    if (!answer_) {
      if (!answered_) sink_ = std::move(sink);
      return true;
    }
    answer = std::move(*answer_);
    answer_.reset();
  }
  sink(std::move(answer), std::move(steps_));
  return false;
}

}  // namespace callgate::http
