#include "core/blocking.hpp"

#include <stdexcept>

namespace callgate {
namespace {

thread_local AttemptMemo* current_memo = nullptr;
thread_local bool may_block = true;
thread_local const char* irrevocable = nullptr;  // what made the current attempt irrevocable

int& Count(std::map<std::string, int, std::less<>>& counts, std::string_view step) {
  auto it = counts.find(step);
  if (it == counts.end()) it = counts.emplace(std::string(step), 0).first;
  return it->second;
}

}  // namespace

void AttemptMemo::BeginAttempt() {
  for (auto& step : done_) ++Count(earlier_, step);
  done_.clear();
  asked_.clear();
}

bool AttemptMemo::DoneEarlier(std::string_view step) {
  if (earlier_.empty()) return false;  // the first attempt: nothing to count against
  const int asked = ++Count(asked_, step);
  const auto it = earlier_.find(step);
  return it != earlier_.end() && asked <= it->second;
}

void AttemptMemo::MarkDone(std::string_view step) { done_.emplace_back(step); }

AttemptScope::AttemptScope(AttemptMemo& memo, bool allow_blocking) noexcept
    : previous_memo_(current_memo),
      previous_may_block_(may_block),
      previous_irrevocable_(irrevocable) {
  memo.BeginAttempt();
  current_memo = &memo;
  may_block = allow_blocking;
  irrevocable = nullptr;
}

AttemptScope::~AttemptScope() {
  current_memo = previous_memo_;
  may_block = previous_may_block_;
  irrevocable = previous_irrevocable_;
}

void MayBlock(const char* where) {
  if (may_block) return;
  if (irrevocable != nullptr) {
    throw std::logic_error(std::string(where) + " would wait after " + irrevocable +
                           " in an attempt that must not be retried");
  }
  throw WouldBlock{where};
}

void MarkAttemptIrrevocable(const char* what) noexcept {
  if (!may_block) irrevocable = what;
}

bool MayBlockHere() noexcept { return may_block; }

bool StepDoneInEarlierAttempt(std::string_view step) {
  return current_memo != nullptr && current_memo->DoneEarlier(step);
}

void MarkAttemptStep(std::string_view step) {
  if (current_memo != nullptr) current_memo->MarkDone(step);
}

}  // namespace callgate
