#include "booking/callback_queue.hpp"

#include <algorithm>
#include <map>
#include <utility>

#include "booking/availability.hpp"
#include "core/time_zone.hpp"

namespace callgate::booking {
namespace {

using tenancy::BranchId;
using tenancy::CompanyId;

// The instant of minute-of-day `minutes` (0..1440) of a local day; 1440 is the next midnight.
Result<SystemTimePoint> AtMinute(std::chrono::sys_days day, int minutes, std::string_view zone) {
  if (minutes >= 24 * 60) {
    day += std::chrono::days{1};
    minutes = 0;
  }
  const std::chrono::year_month_day ymd{day};
  return FromLocal(
      LocalDateTime{static_cast<int>(ymd.year()), static_cast<int>(unsigned(ymd.month())),
                    static_cast<int>(unsigned(ymd.day())), minutes / 60, minutes % 60, 0},
      zone);
}

std::vector<std::string> StatusesOf(CallbackFilter filter) {
  switch (filter) {
    case CallbackFilter::kOpen:
    case CallbackFilter::kOverdue:
      return {std::string(kCallbackOpen)};
    case CallbackFilter::kInProgress:
      return {std::string(kCallbackInProgress)};
    case CallbackFilter::kCompleted:
      return {std::string(kCallbackCompleted)};
    case CallbackFilter::kCancelled:
      return {std::string(kCallbackCancelled)};
    case CallbackFilter::kActive:
      return {std::string(kCallbackOpen), std::string(kCallbackInProgress)};
    case CallbackFilter::kAll:
      return {};
  }
  return {};
}

bool IsKnownStatus(std::string_view status) {
  return status == kCallbackOpen || status == kCallbackInProgress || status == kCallbackCompleted ||
         status == kCallbackCancelled;
}

std::pair<std::int64_t, std::int64_t> BranchKey(const CallbackRequest& r) {
  return {r.company_id.value, r.branch_id ? r.branch_id->value : 0};
}

}  // namespace

SystemTimePoint CallbackOverdueAt(SystemTimePoint due, const CallbackSla& sla,
                                  const tenancy::Branch* branch) {
  const SystemTimePoint wall_clock = due + sla.minutes;
  if (sla.minutes.count() <= 0 || !sla.business_hours || branch == nullptr) return wall_clock;
  if (std::none_of(branch->business_hours.begin(), branch->business_hours.end(),
                   [](const auto& h) { return h.has_value(); })) {
    return wall_clock;
  }
  const std::string zone = branch->timezone.empty() ? "Europe/Berlin" : branch->timezone;
  auto local = ToLocal(due, zone);
  if (!local) return wall_clock;
  using namespace std::chrono;
  const sys_days first{year{local->year} / month{static_cast<unsigned>(local->month)} /
                       day{static_cast<unsigned>(local->day)}};
  milliseconds remaining = duration_cast<milliseconds>(sla.minutes);
  // The SLA runs only while the branch is open: walk its opening hours day by day, skipping the
  // days it is closed all day (its state's holidays and its closing days).
  HolidayCalendar closed(branch->region, branch->closing_days);
  for (int offset = 0; offset <= 366; ++offset) {
    const sys_days today = first + days{offset};
    const auto& hours =
        branch->business_hours[static_cast<std::size_t>(weekday{today}.c_encoding())];
    if (!hours) continue;
    const year_month_day ymd{today};
    if (closed.Closed(CalendarDay{static_cast<int>(ymd.year()),
                                  static_cast<int>(unsigned(ymd.month())),
                                  static_cast<int>(unsigned(ymd.day()))})) {
      continue;
    }
    auto open = AtMinute(today, hours->open_minute, zone);
    auto close = AtMinute(today, hours->close_minute, zone);
    if (!open || !close) continue;
    const SystemTimePoint from = std::max(*open, due);
    if (from >= *close) continue;
    const milliseconds available = duration_cast<milliseconds>(*close - from);
    if (available >= remaining) return from + remaining;
    remaining -= available;
  }
  return wall_clock;
}

std::optional<CallbackFilter> ParseCallbackFilter(std::string_view text) {
  static constexpr std::pair<std::string_view, CallbackFilter> kNames[] = {
      {"open", CallbackFilter::kOpen},
      {"overdue", CallbackFilter::kOverdue},
      {"in_progress", CallbackFilter::kInProgress},
      {"completed", CallbackFilter::kCompleted},
      {"cancelled", CallbackFilter::kCancelled},
      {"active", CallbackFilter::kActive},
      {"all", CallbackFilter::kAll}};
  for (const auto& [name, filter] : kNames) {
    if (name == text) return filter;
  }
  return std::nullopt;
}

class CallbackQueue::BranchCache {
 public:
  BranchCache(tenancy::CompanyRepository& companies, tenancy::BranchRepository& branches)
      : companies_(companies), branches_(branches) {}
  // The request's branch, its closing days joined by its company's (they hold at every branch).
  const tenancy::Branch* Of(const CallbackRequest& request) {
    if (!request.branch_id) return nullptr;
    auto [it, inserted] = cache_.try_emplace(BranchKey(request));
    if (inserted) {
      // A branch that cannot be read counts wall-clock time rather than failing the queue.
      auto branch = branches_.FindById(request.company_id, *request.branch_id);
      if (branch) {
        const auto& company = CompanyClosingDays(request.company_id);
        branch->closing_days.insert(branch->closing_days.end(), company.begin(), company.end());
        it->second = std::move(*branch);
      }
    }
    return it->second ? &*it->second : nullptr;
  }

 private:
  // A company that cannot be read adds none.
  const std::vector<tenancy::ClosingDays>& CompanyClosingDays(CompanyId id) {
    auto [it, inserted] = companies_cache_.try_emplace(id.value);
    if (inserted) {
      if (auto company = companies_.FindById(id)) it->second = std::move(company->closing_days);
    }
    return it->second;
  }

  tenancy::CompanyRepository& companies_;
  tenancy::BranchRepository& branches_;
  std::map<std::int64_t, std::vector<tenancy::ClosingDays>> companies_cache_;
  std::map<std::pair<std::int64_t, std::int64_t>, std::optional<tenancy::Branch>> cache_;
};

CallbackQueueEntry CallbackQueue::Entry(const CallbackRequest& request, BranchCache& branches,
                                        SystemTimePoint now) const {
  CallbackQueueEntry entry;
  entry.request = request;
  entry.due = DueOf(request);
  entry.overdue_at = CallbackOverdueAt(entry.due, settings_.sla, branches.Of(request));
  entry.overdue = request.status == kCallbackOpen && now > entry.overdue_at;
  return entry;
}

Result<CallbackQueuePage> CallbackQueue::List(CompanyId company_id,
                                              const CallbackQueueQuery& query) {
  CallbackQueuePage page;
  page.as_of = clock_.Now();
  const int limit = std::clamp(query.limit, 1, 200);
  CallbackQuery q;
  q.branch_id = query.branch_id;
  q.statuses = StatusesOf(query.filter);
  if (query.branch_id) {
    auto branch = branches_.FindById(company_id, *query.branch_id);
    if (!branch) return tl::unexpected(branch.error());
  }
  if (query.after) {
    auto last = callbacks_.FindById(company_id, *query.after);
    if (!last) return tl::unexpected(last.error());
    q.after = CallbackCursor{DueOf(*last), last->id};
  }
  BranchCache branches(companies_, branches_);
  if (query.filter != CallbackFilter::kOverdue) {
    q.limit = limit + 1;
    auto rows = callbacks_.List(company_id, q);
    if (!rows) return tl::unexpected(rows.error());
    for (const auto& r : *rows) {
      if (static_cast<int>(page.items.size()) == limit) {
        page.next_after = page.items.back().request.id;
        break;
      }
      page.items.push_back(Entry(r, branches, page.as_of));
    }
    return page;
  }
  // Overdue: only requests due at least the SLA ago can be (the SLA in opening hours never
  // ends before the same time in wall-clock time); their branches' hours decide.
  q.due_until = page.as_of - settings_.sla.minutes;
  q.limit = std::max(limit + 1, 100);
  int scanned = 0;
  for (;;) {
    auto rows = callbacks_.List(company_id, q);
    if (!rows) return tl::unexpected(rows.error());
    for (const auto& r : *rows) {
      ++scanned;
      q.after = CallbackCursor{DueOf(r), r.id};
      CallbackQueueEntry entry = Entry(r, branches, page.as_of);
      if (!entry.overdue) continue;
      if (static_cast<int>(page.items.size()) == limit) {
        page.next_after = page.items.back().request.id;
        return page;
      }
      page.items.push_back(std::move(entry));
    }
    if (static_cast<int>(rows->size()) < q.limit) return page;
    if (scanned >= settings_.max_scan) {
      // Stop reading; the next page goes on from the last request looked at.
      page.next_after = q.after->id;
      return page;
    }
  }
}

Result<CallbackQueueEntry> CallbackQueue::SetStatus(CompanyId company_id, CallbackRequestId id,
                                                    std::string_view status) {
  if (!IsKnownStatus(status)) {
    return Fail(ErrorCode::kInvalidArgument,
                "status must be one of open, in_progress, completed, cancelled");
  }
  auto current = callbacks_.FindById(company_id, id);
  if (!current) return tl::unexpected(current.error());
  BranchCache branches(companies_, branches_);
  if (current->status == status) return Entry(*current, branches, clock_.Now());
  if (current->status == kCallbackCompleted || current->status == kCallbackCancelled) {
    return Fail(ErrorCode::kConflict, "the callback request is " + current->status + " already");
  }
  if (status == kCallbackOpen && current->status != kCallbackInProgress) {
    return Fail(ErrorCode::kConflict, "only a callback request in progress can be opened again");
  }
  auto updated = callbacks_.SetStatus(company_id, id, current->status, status);
  if (!updated) return tl::unexpected(updated.error());
  return Entry(*updated, branches, clock_.Now());
}

Result<std::vector<CallbackBranchSummary>> CallbackQueue::Summary(
    std::optional<CompanyId> company_id) {
  const SystemTimePoint now = clock_.Now();
  auto counts = callbacks_.CountOpen(company_id);
  if (!counts) return tl::unexpected(counts.error());
  std::map<std::pair<std::int64_t, std::int64_t>, CallbackBranchSummary> by_branch;
  for (const auto& c : *counts) {
    auto& s = by_branch[{c.company_id.value, c.branch_id ? c.branch_id->value : 0}];
    s.company_id = c.company_id;
    s.branch_id = c.branch_id;
    s.open += c.open;
  }
  Result<std::vector<CallbackRequest>> candidates;
  if (company_id) {
    CallbackQuery q;
    q.statuses = {std::string(kCallbackOpen)};
    q.due_until = now - settings_.sla.minutes;
    q.limit = settings_.max_scan;
    candidates = callbacks_.List(*company_id, q);
  } else {
    candidates = callbacks_.ListOpenDueUntil(now - settings_.sla.minutes, settings_.max_scan);
  }
  if (!candidates) return tl::unexpected(candidates.error());
  BranchCache branches(companies_, branches_);
  for (const auto& r : *candidates) {
    CallbackQueueEntry entry = Entry(r, branches, now);
    if (!entry.overdue) continue;
    auto& s = by_branch[BranchKey(r)];
    s.company_id = r.company_id;
    s.branch_id = r.branch_id;
    ++s.overdue;
    if (!s.oldest_overdue_due || entry.due < *s.oldest_overdue_due)
      s.oldest_overdue_due = entry.due;
  }
  std::vector<CallbackBranchSummary> out;
  for (auto& [key, s] : by_branch) out.push_back(std::move(s));
  return out;
}

Result<CallbackOverdueReport> CallbackQueue::Overdue() {
  CallbackOverdueReport report;
  report.as_of = clock_.Now();
  auto candidates =
      callbacks_.ListOpenDueUntil(report.as_of - settings_.sla.minutes, settings_.max_scan + 1);
  if (!candidates) return tl::unexpected(candidates.error());
  if (static_cast<int>(candidates->size()) > settings_.max_scan) {
    report.truncated = true;
    candidates->resize(static_cast<std::size_t>(settings_.max_scan));
  }
  BranchCache branches(companies_, branches_);
  std::map<std::pair<std::int64_t, std::int64_t>, CallbackBranchSummary> by_branch;
  for (const auto& r : *candidates) {
    CallbackQueueEntry entry = Entry(r, branches, report.as_of);
    if (!entry.overdue) continue;
    ++report.overdue;
    auto& s = by_branch[BranchKey(r)];
    s.company_id = r.company_id;
    s.branch_id = r.branch_id;
    ++s.overdue;
    if (!s.oldest_overdue_due || entry.due < *s.oldest_overdue_due)
      s.oldest_overdue_due = entry.due;
  }
  for (auto& [key, s] : by_branch) report.branches.push_back(std::move(s));
  return report;
}

}  // namespace callgate::booking
