#include "core/blocking.hpp"

#include <algorithm>

namespace callgate {
namespace {

thread_local AttemptMemo* current_memo = nullptr;
thread_local bool may_block = true;

}  // namespace

bool AttemptMemo::Done(std::string_view step) const noexcept {
  return std::find(done_.begin(), done_.end(), step) != done_.end();
}

void AttemptMemo::MarkDone(std::string_view step) {
  if (!Done(step)) done_.push_back(step);
}

AttemptScope::AttemptScope(AttemptMemo& memo, bool allow_blocking) noexcept
    : previous_memo_(current_memo), previous_may_block_(may_block) {
  current_memo = &memo;
  may_block = allow_blocking;
}

AttemptScope::~AttemptScope() {
  current_memo = previous_memo_;
  may_block = previous_may_block_;
}

void MayBlock(const char* where) {
  if (!may_block) throw WouldBlock{where};
}

bool MayBlockHere() noexcept { return may_block; }

bool StepDoneInEarlierAttempt(std::string_view step) noexcept {
  return current_memo != nullptr && current_memo->Done(step);
}

void MarkAttemptStep(std::string_view step) {
  if (current_memo != nullptr) current_memo->MarkDone(step);
}

}  // namespace callgate
