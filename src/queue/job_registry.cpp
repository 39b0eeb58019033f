#include "queue/job_registry.hpp"

#include <algorithm>

namespace callgate::queue {

std::chrono::milliseconds JobOptions::EffectiveLease() const {
  return lease.count() > 0 ? lease : timeout + std::chrono::seconds(30);
}

std::chrono::milliseconds JobOptions::BackoffAfter(int attempt) const {
  if (backoff.empty()) return std::chrono::milliseconds(0);
  const std::size_t index =
      std::min<std::size_t>(static_cast<std::size_t>(std::max(attempt, 1) - 1), backoff.size() - 1);
  return backoff[index];
}

Status JobRegistry::Register(std::string type, JobHandler handler, JobOptions options,
                             FailedHook failed) {
  if (type.empty()) return Fail(ErrorCode::kInvalidArgument, "job type must not be empty");
  const std::string what = "job type \"" + type + "\": ";
  if (!handler) return Fail(ErrorCode::kInvalidArgument, what + "no handler");
  if (options.tries < 1) return Fail(ErrorCode::kInvalidArgument, what + "tries must be >= 1");
  if (options.backoff.empty()) {
    return Fail(ErrorCode::kInvalidArgument, what + "backoff needs at least one entry");
  }
  if (!IsKnownQueue(options.queue)) {
    return Fail(ErrorCode::kInvalidArgument, what + "unknown queue \"" + options.queue + "\"");
  }
  if (options.timeout.count() <= 0) {
    return Fail(ErrorCode::kInvalidArgument, what + "timeout must be positive");
  }
  if (entries_.contains(type)) return Fail(ErrorCode::kAlreadyExists, what + "registered twice");
  Entry entry{type, std::move(handler), std::move(options), std::move(failed)};
  entries_.emplace(std::move(type), std::move(entry));
  return Ok();
}

const JobRegistry::Entry* JobRegistry::Find(std::string_view type) const {
  auto it = entries_.find(type);
  return it == entries_.end() ? nullptr : &it->second;
}

NewJob JobRegistry::MakeJob(std::string_view type, std::string payload_json) const {
  NewJob job;
  job.type = std::string(type);
  job.payload_json = std::move(payload_json);
  if (const Entry* entry = Find(type)) job.queue = entry->options.queue;
  return job;
}

std::map<std::string, std::chrono::milliseconds, std::less<>> JobRegistry::LeaseByType() const {
  std::map<std::string, std::chrono::milliseconds, std::less<>> out;
  for (const auto& [type, entry] : entries_) out.emplace(type, entry.options.EffectiveLease());
  return out;
}

std::chrono::milliseconds JobRegistry::LongestLease() const {
  std::chrono::milliseconds longest = JobOptions{}.EffectiveLease();
  for (const auto& [type, entry] : entries_) {
    longest = std::max(longest, entry.options.EffectiveLease());
  }
  return longest;
}

std::vector<std::string> JobRegistry::Types() const {
  std::vector<std::string> out;
  for (const auto& [type, entry] : entries_) out.push_back(type);
  return out;
}

}  // namespace callgate::queue
