// CallbackQueue and CallbackOverdueAt against the in-memory two-company world (fake clock:
// Thursday 26.11.2026 10:00 Berlin; branch 10 "Mitte" of company 1 and branch 20 of company 2
// open Monday to Friday 9–18 and Saturday 9–13, nationwide holidays).
#include "booking/callback_queue.hpp"

#include <gtest/gtest.h>

#include "booking/testing/in_memory.hpp"
#include "core/time_zone.hpp"

namespace callgate::booking {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using tenancy::BranchId;
using tenancy::CompanyId;

SystemTimePoint Berlin(int month, int day, int hour, int minute = 0) {
  return *FromLocal(LocalDateTime{2026, month, day, hour, minute, 0}, "Europe/Berlin");
}

tenancy::Branch WeekdaysNineToSix() {
  tenancy::Branch b;
  b.timezone = "Europe/Berlin";
  for (int d = 1; d <= 5; ++d) b.business_hours[static_cast<std::size_t>(d)] = {{540, 1080}};
  return b;
}

TEST(CallbackOverdueAt, CountsTheSlaInsideOpeningHoursOnly) {
  const tenancy::Branch branch = WeekdaysNineToSix();
  const CallbackSla sla{minutes(120), true};
  // Within one day.
  EXPECT_EQ(CallbackOverdueAt(Berlin(11, 26, 10), sla, &branch), Berlin(11, 26, 12));
  // Due before opening: the SLA starts at 9.
  EXPECT_EQ(CallbackOverdueAt(Berlin(11, 30, 7), sla, &branch), Berlin(11, 30, 11));
  // Friday 17:30: half an hour on Friday, the weekend does not count, Monday 9:00 + 1:30.
  EXPECT_EQ(CallbackOverdueAt(Berlin(11, 27, 17, 30), sla, &branch), Berlin(11, 30, 10, 30));
  // Due in the evening: the next morning.
  EXPECT_EQ(CallbackOverdueAt(Berlin(11, 26, 20), sla, &branch), Berlin(11, 27, 11));
}

TEST(CallbackOverdueAt, SkipsPublicHolidaysOfTheBranchsState) {
  tenancy::Branch branch = WeekdaysNineToSix();
  const CallbackSla sla{minutes(120), true};
  // Thursday 24.12. 17:00: one hour; Friday 25.12. is a holiday; Monday 28.12. 9:00 + 1 h.
  EXPECT_EQ(CallbackOverdueAt(Berlin(12, 24, 17), sla, &branch), Berlin(12, 28, 10));
  // 6 January 2027 (Wednesday) is a holiday in Bavaria only.
  const SystemTimePoint jan5 = *FromLocal(LocalDateTime{2027, 1, 5, 17, 0, 0}, "Europe/Berlin");
  EXPECT_EQ(CallbackOverdueAt(jan5, sla, &branch),
            *FromLocal(LocalDateTime{2027, 1, 6, 10, 0, 0}, "Europe/Berlin"));
  branch.region = "BY";
  EXPECT_EQ(CallbackOverdueAt(jan5, sla, &branch),
            *FromLocal(LocalDateTime{2027, 1, 7, 10, 0, 0}, "Europe/Berlin"));
}

TEST(CallbackOverdueAt, SkipsClosingDays) {
  tenancy::Branch branch = WeekdaysNineToSix();
  const CallbackSla sla{minutes(120), true};
  // Monday 30.11. 17:00: one hour; Tuesday and Wednesday are Betriebsferien; Thursday 9:00 + 1 h.
  branch.closing_days = {{"2026-12-01", "2026-12-02", "Betriebsferien"}};
  EXPECT_EQ(CallbackOverdueAt(Berlin(11, 30, 17), sla, &branch), Berlin(12, 3, 10));
}

TEST(CallbackOverdueAt, CountsWallClockTimeWithoutBranchHoursOrWhenConfigured) {
  const SystemTimePoint due = Berlin(11, 27, 17, 30);
  const tenancy::Branch open = WeekdaysNineToSix();
  tenancy::Branch never_open;
  EXPECT_EQ(CallbackOverdueAt(due, {minutes(120), true}, nullptr), due + hours(2));
  EXPECT_EQ(CallbackOverdueAt(due, {minutes(120), true}, &never_open), due + hours(2));
  EXPECT_EQ(CallbackOverdueAt(due, {minutes(120), false}, &open), due + hours(2));
  EXPECT_EQ(CallbackOverdueAt(due, {minutes(45), false}, &open), due + minutes(45));
}

TEST(CallbackFilterNames, ParseEveryFilterAndNothingElse) {
  for (const char* name :
       {"open", "overdue", "in_progress", "completed", "cancelled", "active", "all"}) {
    EXPECT_TRUE(ParseCallbackFilter(name).has_value()) << name;
  }
  EXPECT_FALSE(ParseCallbackFilter("OPEN").has_value());
  EXPECT_FALSE(ParseCallbackFilter("").has_value());
}

class CallbackQueueTest : public ::testing::Test {
 protected:
  testing::TwoCompanyWorld world;
  CallbackQueue queue{CallbackQueueSettings{}, world.callbacks, world.companies, world.branches,
                      world.clock};
  const CompanyId company{1};
  const CompanyId other{2};

  CallbackRequestId Add(CompanyId c, std::optional<BranchId> branch, SystemTimePoint due,
                        std::string status = "open", std::string name = "") {
    CallbackRequest r;
    r.branch_id = branch;
    r.phone = "+4915112345678";
    r.name = std::move(name);
    r.reason = "Rückfrage";
    r.status = std::move(status);
    r.due_at = due;
    r.created_at = r.updated_at = world.clock.Now();
    return world.callbacks.Create(c, r)->id;
  }

  static std::vector<std::int64_t> Ids(const CallbackQueuePage& page) {
    std::vector<std::int64_t> out;
    for (const auto& e : page.items) out.push_back(e.request.id.value);
    return out;
  }
};

TEST_F(CallbackQueueTest, TheCompanysClosingDaysHoldAtItsBranches) {
  // Due Wednesday 15:00 would be overdue Wednesday 17:00; the company was closed on Wednesday,
  // so the SLA runs from Thursday 9:00 and is not over at 10:00.
  world.companies.rows[0].closing_days = {{"2026-11-25", "2026-11-25", "Betriebsausflug"}};
  Add(company, BranchId(10), Berlin(11, 25, 15));
  auto page = queue.List(company, {});
  ASSERT_TRUE(page.has_value()) << page.error().message;
  ASSERT_EQ(page->items.size(), 1u);
  EXPECT_EQ(page->items[0].overdue_at, Berlin(11, 26, 11));
  EXPECT_FALSE(page->items[0].overdue);
}

TEST_F(CallbackQueueTest, ListsOpenRequestsInDueOrderWithTheirOverdueFlag) {
  // Now: Thursday 26.11. 10:00. Due Wednesday 15:00 → overdue Wednesday 17:00.
  const auto late = Add(company, BranchId(10), Berlin(11, 25, 15));
  const auto soon = Add(company, BranchId(10), Berlin(11, 26, 11));
  // Due at 8:30 today: the SLA runs from 9:00, so not before 11:00.
  const auto early = Add(company, BranchId(10), Berlin(11, 26, 8, 30));
  Add(company, BranchId(10), Berlin(11, 20, 9), "completed");
  Add(other, BranchId(20), Berlin(11, 20, 9));

  auto page = queue.List(company, {});
  ASSERT_TRUE(page.has_value()) << page.error().message;
  EXPECT_EQ(Ids(*page), (std::vector<std::int64_t>{late.value, early.value, soon.value}));
  EXPECT_TRUE(page->items[0].overdue);
  EXPECT_EQ(page->items[0].overdue_at, Berlin(11, 25, 17));
  EXPECT_FALSE(page->items[1].overdue);
  EXPECT_EQ(page->items[1].overdue_at, Berlin(11, 26, 11));
  EXPECT_FALSE(page->next_after.has_value());

  auto overdue = queue.List(company, {std::nullopt, CallbackFilter::kOverdue, 50, std::nullopt});
  ASSERT_TRUE(overdue.has_value());
  EXPECT_EQ(Ids(*overdue), (std::vector<std::int64_t>{late.value}));

  world.clock.SetNow(Berlin(11, 26, 11, 1));
  overdue = queue.List(company, {std::nullopt, CallbackFilter::kOverdue, 50, std::nullopt});
  EXPECT_EQ(Ids(*overdue), (std::vector<std::int64_t>{late.value, early.value}));
}

TEST_F(CallbackQueueTest, PagesContinueAfterTheLastEntryAndStayInTheirCompany) {
  std::vector<std::int64_t> all;
  for (int i = 0; i < 5; ++i)
    all.push_back(Add(company, BranchId(10), Berlin(11, 27, 9 + i)).value);
  CallbackQueueQuery q;
  q.limit = 2;
  std::vector<std::int64_t> seen;
  for (int pages = 0; pages < 5; ++pages) {
    auto page = queue.List(company, q);
    ASSERT_TRUE(page.has_value());
    for (auto id : Ids(*page)) seen.push_back(id);
    if (!page->next_after) break;
    q.after = page->next_after;
  }
  EXPECT_EQ(seen, all);

  // Another company's request or branch is not found, exactly like a missing one.
  const auto foreign = Add(other, BranchId(20), Berlin(11, 27, 9));
  CallbackQueueQuery after_foreign;
  after_foreign.after = foreign;
  EXPECT_EQ(queue.List(company, after_foreign).error().code, ErrorCode::kNotFound);
  CallbackQueueQuery foreign_branch;
  foreign_branch.branch_id = BranchId(20);
  EXPECT_EQ(queue.List(company, foreign_branch).error().code, ErrorCode::kNotFound);
  foreign_branch.branch_id = BranchId(10);
  EXPECT_EQ(queue.List(company, foreign_branch)->items.size(), 5u);
}

TEST_F(CallbackQueueTest, OverduePagesSkipRequestsStillWithinTheirSla) {
  world.clock.SetNow(Berlin(11, 30, 10, 15));                    // Monday
  const auto a = Add(company, BranchId(10), Berlin(11, 27, 9));  // Friday: overdue at 11:00
  // Saturday 12:30 (open until 13:00): half an hour, Monday 9:00 + 1:30 → 10:30, not yet.
  const auto b = Add(company, BranchId(10), Berlin(11, 28, 12, 30));
  // Saturday 12:00 (open until 13:00): Monday 10:00.
  const auto c = Add(company, BranchId(10), Berlin(11, 28, 12));
  // Without a branch the SLA is wall-clock time: Sunday 12:00.
  const auto d = Add(company, std::nullopt, Berlin(11, 29, 10));
  CallbackQueueQuery q{std::nullopt, CallbackFilter::kOverdue, 2, std::nullopt};
  auto first = queue.List(company, q);
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(Ids(*first), (std::vector<std::int64_t>{a.value, c.value}));
  ASSERT_TRUE(first->next_after.has_value());
  q.after = first->next_after;
  auto second = queue.List(company, q);
  EXPECT_EQ(Ids(*second), (std::vector<std::int64_t>{d.value}));
  EXPECT_FALSE(second->next_after.has_value());
  auto open = queue.List(company, {});
  EXPECT_EQ(Ids(*open), (std::vector<std::int64_t>{a.value, c.value, b.value, d.value}));
  EXPECT_FALSE(open->items[2].overdue);
  EXPECT_EQ(open->items[2].overdue_at, Berlin(11, 30, 10, 30));
}

TEST_F(CallbackQueueTest, StaffTakeFinishCancelAndHandBackRequests) {
  const auto id = Add(company, BranchId(10), Berlin(11, 25, 9));
  std::vector<CompanyId> writes;
  world.scope.on_write = [&](CompanyId c) { writes.push_back(c); };

  auto taken = queue.SetStatus(company, id, "in_progress");
  ASSERT_TRUE(taken.has_value()) << taken.error().message;
  EXPECT_EQ(taken->request.status, "in_progress");
  EXPECT_FALSE(taken->overdue);                                          // someone is on it
  EXPECT_TRUE(queue.SetStatus(company, id, "in_progress").has_value());  // no-op
  auto back = queue.SetStatus(company, id, "open");
  ASSERT_TRUE(back.has_value());
  EXPECT_TRUE(back->overdue);
  EXPECT_EQ(queue.SetStatus(company, id, "open")->request.status, "open");
  ASSERT_TRUE(queue.SetStatus(company, id, "completed").has_value());
  EXPECT_EQ(queue.SetStatus(company, id, "cancelled").error().code, ErrorCode::kConflict);
  EXPECT_EQ(queue.SetStatus(company, id, "open").error().code, ErrorCode::kConflict);
  EXPECT_EQ(writes, (std::vector<CompanyId>{company, company, company}));

  const auto fresh = Add(company, BranchId(10), Berlin(11, 27, 9));
  EXPECT_EQ(queue.SetStatus(company, fresh, "done").error().code, ErrorCode::kInvalidArgument);
  // Already open: nothing to do.
  EXPECT_EQ(queue.SetStatus(company, fresh, "open")->request.status, "open");
  const auto foreign = Add(other, BranchId(20), Berlin(11, 27, 9));
  writes.clear();
  EXPECT_EQ(queue.SetStatus(company, foreign, "cancelled").error().code, ErrorCode::kNotFound);
  EXPECT_TRUE(writes.empty());
  EXPECT_EQ(world.callbacks.FindById(other, foreign)->status, "open");
}

TEST_F(CallbackQueueTest, SummaryCountsOpenAndOverduePerBranchAndReportCoversEveryCompany) {
  Add(company, BranchId(10), Berlin(11, 24, 9));      // overdue
  Add(company, BranchId(10), Berlin(11, 26, 9, 30));  // open, overdue at 11:30
  Add(company, std::nullopt, Berlin(11, 26, 7));      // no branch: wall-clock, overdue at 9:00
  Add(company, BranchId(10), Berlin(11, 20, 9), "in_progress");
  Add(other, BranchId(20), Berlin(11, 25, 9));  // overdue

  auto own = queue.Summary(company);
  ASSERT_TRUE(own.has_value()) << own.error().message;
  ASSERT_EQ(own->size(), 2u);
  const auto& none = (*own)[0];  // requests without a branch sort first
  EXPECT_FALSE(none.branch_id.has_value());
  EXPECT_EQ(none.open, 1);
  EXPECT_EQ(none.overdue, 1);
  const auto& mitte = (*own)[1];
  EXPECT_EQ(mitte.branch_id, BranchId(10));
  EXPECT_EQ(mitte.open, 2);
  EXPECT_EQ(mitte.overdue, 1);
  EXPECT_EQ(mitte.oldest_overdue_due, Berlin(11, 24, 9));

  auto platform = queue.Summary(std::nullopt);
  ASSERT_TRUE(platform.has_value());
  EXPECT_EQ(platform->size(), 3u);

  auto report = queue.Overdue();
  ASSERT_TRUE(report.has_value());
  EXPECT_EQ(report->overdue, 3);
  EXPECT_EQ(report->branches.size(), 3u);
  EXPECT_FALSE(report->truncated);

  world.clock.SetNow(Berlin(11, 26, 11, 31));
  EXPECT_EQ(queue.Overdue()->overdue, 4);
}

TEST_F(CallbackQueueTest, TheOverdueReportSaysWhenItStoppedReading) {
  CallbackQueueSettings settings;
  settings.max_scan = 2;
  CallbackQueue small(settings, world.callbacks, world.companies, world.branches, world.clock);
  for (int i = 0; i < 3; ++i) Add(company, BranchId(10), Berlin(11, 20, 9 + i));
  auto report = small.Overdue();
  ASSERT_TRUE(report.has_value());
  EXPECT_TRUE(report->truncated);
  EXPECT_EQ(report->overdue, 2);
}

}  // namespace
}  // namespace callgate::booking
