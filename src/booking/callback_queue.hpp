#pragma once
// The callback queue: the staff's side of callback requests (the caller's side is
// booking/callbacks.hpp). Requests in due order per company and branch, with the time each one
// becomes overdue under the callback SLA, status changes by staff, the dashboard's counts per
// branch and the platform-wide overdue report behind the `callback_overdue` alert.
//
// Overdue: an open request is overdue once the SLA has passed after its due time. With
// `business_hours` the SLA counts only time inside its branch's opening hours (the branch's
// zone; days it is closed, its state's public holidays and the closing days of the branch and
// its company do not count), so a request due
// Friday at 17:30 with a 2-hour SLA at a branch open until 18:00 becomes overdue on Monday at
// 10:30 when the branch opens at 9:00. A request without a branch, or whose branch has no opening
// hours, counts wall-clock time. Requests in progress, completed or cancelled are never overdue.
//
// Typed results without JSON or wording; thread-safe as far as the repositories are.

#include <chrono>
#include <optional>
#include <string_view>
#include <vector>

#include "booking/model.hpp"
#include "booking/repositories.hpp"
#include "core/clock.hpp"
#include "core/result.hpp"
#include "tenancy/model.hpp"
#include "tenancy/repositories.hpp"

namespace callgate::booking {

// Callback request statuses (the table's CHECK constraint).
inline constexpr std::string_view kCallbackOpen = "open";
inline constexpr std::string_view kCallbackInProgress = "in_progress";
inline constexpr std::string_view kCallbackCompleted = "completed";
inline constexpr std::string_view kCallbackCancelled = "cancelled";

// How long staff have to call back after a request's due time (CALLBACK_SLA_MINUTES,
// CALLBACK_SLA_BUSINESS_HOURS).
struct CallbackSla {
  std::chrono::minutes minutes{120};
  bool business_hours = true;  // count only the branch's opening hours; false: wall-clock
};

// The instant a request due at `due` becomes overdue (see the file comment). `branch` may be
// null (wall-clock); its `closing_days` are skipped (the queue adds its company's to them). Opening
// hours are searched at most a year ahead; a branch open no day of that year counts wall-clock
// time.
SystemTimePoint CallbackOverdueAt(SystemTimePoint due, const CallbackSla& sla,
                                  const tenancy::Branch* branch);

struct CallbackQueueSettings {
  CallbackSla sla;
  // Rows one request reads at most while filtering for overdue ones (the report and the
  // overdue filter stop there and say so).
  int max_scan = 5000;
};

// What a queue list shows.
enum class CallbackFilter {
  kOpen,        // status open (the default)
  kOverdue,     // open and overdue
  kInProgress,  // someone is calling back
  kCompleted,
  kCancelled,
  kActive,  // open or in progress
  kAll,
};

// "open", "overdue", "in_progress", "completed", "cancelled", "active", "all"; nullopt else.
std::optional<CallbackFilter> ParseCallbackFilter(std::string_view text);

// One request as staff see it.
struct CallbackQueueEntry {
  CallbackRequest request;
  SystemTimePoint due;         // DueOf(request)
  SystemTimePoint overdue_at;  // CallbackOverdueAt(due, sla, its branch)
  bool overdue = false;        // open and overdue_at has passed
};

struct CallbackQueueQuery {
  std::optional<tenancy::BranchId> branch_id;
  CallbackFilter filter = CallbackFilter::kOpen;
  int limit = 50;                          // 1..200
  std::optional<CallbackRequestId> after;  // the last entry of the previous page
};

struct CallbackQueuePage {
  SystemTimePoint as_of;
  std::vector<CallbackQueueEntry> items;  // in due order (due, then id)
  // Where the next page starts (pass as `after`); empty when nothing more matches.
  std::optional<CallbackRequestId> next_after;
};

// Open and overdue requests of one branch (branch_id empty: requests without a branch).
struct CallbackBranchSummary {
  tenancy::CompanyId company_id;
  std::optional<tenancy::BranchId> branch_id;
  int open = 0;
  int overdue = 0;
  std::optional<SystemTimePoint> oldest_overdue_due;  // the earliest due time of an overdue one
};

// Every overdue request of the platform, by branch.
struct CallbackOverdueReport {
  SystemTimePoint as_of;
  int overdue = 0;
  // Only branches with overdue requests; their `open` is not counted here (0).
  std::vector<CallbackBranchSummary> branches;
  bool truncated = false;  // more open requests were due than max_scan: counts are at least these
};

class CallbackQueue {
 public:
  // Every reference must outlive the queue.
  CallbackQueue(CallbackQueueSettings settings, CallbackRequestRepository& callbacks,
                tenancy::CompanyRepository& companies, tenancy::BranchRepository& branches,
                const Clock& clock)
      : settings_(settings),
        callbacks_(callbacks),
        companies_(companies),
        branches_(branches),
        clock_(clock) {}

  const CallbackSla& sla() const noexcept { return settings_.sla; }

  // A page of the company's queue. kNotFound when `after` or `branch_id` is not the company's.
  Result<CallbackQueuePage> List(tenancy::CompanyId company_id, const CallbackQueueQuery& query);

  // Staff take a request (in_progress), finish it (completed), drop it (cancelled) or hand it
  // back (open, from in_progress only). Setting the status it has is a no-op. kInvalidArgument
  // for another status; kNotFound when the request is not the company's; kConflict when it is
  // completed or cancelled already, or changed meanwhile.
  Result<CallbackQueueEntry> SetStatus(tenancy::CompanyId company_id, CallbackRequestId id,
                                       std::string_view status);

  // Open and overdue requests per branch: of one company, or of every company when empty
  // (platform admins). Branches without open requests are left out.
  Result<std::vector<CallbackBranchSummary>> Summary(std::optional<tenancy::CompanyId> company_id);

  // Every open request of the platform that is overdue now (the alert and its gauge).
  Result<CallbackOverdueReport> Overdue();

 private:
  // The branch of a request, read once per (company, branch) per call; null when none.
  class BranchCache;
  CallbackQueueEntry Entry(const CallbackRequest& request, BranchCache& branches,
                           SystemTimePoint now) const;

  const CallbackQueueSettings settings_;
  CallbackRequestRepository& callbacks_;
  tenancy::CompanyRepository& companies_;
  tenancy::BranchRepository& branches_;
  const Clock& clock_;
};

}  // namespace callgate::booking
