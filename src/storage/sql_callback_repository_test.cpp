// SqlCallbackRequestRepository on every backend: the requests of one call are found by its id
// (oldest first, any status, the reason opened), never another call's or another company's.
#include <gtest/gtest.h>

#include <memory>

#include "storage/session.hpp"
#include "storage/sql_booking_repositories.hpp"
#include "storage/sql_calls_repositories.hpp"
#include "storage/sql_tenancy_repositories.hpp"
#include "storage/testing/test_database.hpp"

namespace callgate::storage {
namespace {

using tenancy::CompanyId;

class CallbackRequestsTest : public testing::DatabaseTest {
 protected:
  CompanyId NewCompany(const std::string& slug) { return testing::NewCompany(db(), clock_, slug); }
  calls::CallId NewCall(CompanyId company, const std::string& retell_id) {
    SqlCallRepository calls(db(), clock_);
    calls::CallUpdate update;
    update.retell_call_id = retell_id;
    update.status = "ongoing";
    auto call = calls.Upsert(company, update);
    EXPECT_TRUE(call.has_value()) << call.error().message;
    return call ? call->id : calls::CallId(0);
  }
  booking::CallbackRequest Note(CompanyId company, std::optional<calls::CallId> call,
                                const std::string& reason) {
    booking::CallbackRequest request;
    request.call_id = call;
    request.phone = "+4915112345678";
    request.reason = reason;
    request.due_at = clock_.Now() + std::chrono::hours(2);
    auto created = callbacks().Create(company, request);
    EXPECT_TRUE(created.has_value()) << created.error().message;
    return created.value_or(booking::CallbackRequest{});
  }
  // Made once the database exists (SetUp).
  SqlCallbackRequestRepository& callbacks() {
    if (!callbacks_) callbacks_ = std::make_unique<SqlCallbackRequestRepository>(db(), clock_);
    return *callbacks_;
  }

 private:
  std::unique_ptr<SqlCallbackRequestRepository> callbacks_;
};

TEST_P(CallbackRequestsTest, ACallsRequestsAreFoundByItsId) {
  const CompanyId a = NewCompany("a");
  const CompanyId b = NewCompany("b");
  const calls::CallId call = NewCall(a, "call_a_1");
  const calls::CallId other_call = NewCall(a, "call_a_2");
  const calls::CallId foreign_call = NewCall(b, "call_b_1");
  const auto first = Note(a, call, "Frage zur Rechnung");
  Note(a, other_call, "Befund");
  Note(a, std::nullopt, "ohne Anruf");
  Note(b, foreign_call, "Nordlicht");
  const auto second = Note(a, call, "Rezept");
  ASSERT_TRUE(db().Run([&](Session& s) -> Status {
    s.Execute("UPDATE callback_requests SET status = 'completed' WHERE id = :id",
              Params().Add(first.id.value));
    return Ok();
  }));

  auto found = callbacks().ListForCall(a, call);
  ASSERT_TRUE(found.has_value()) << found.error().message;
  ASSERT_EQ(found->size(), 2u);
  EXPECT_EQ((*found)[0].id, first.id);
  EXPECT_EQ((*found)[0].status, "completed");
  EXPECT_EQ((*found)[0].reason, "Frage zur Rechnung");
  EXPECT_EQ((*found)[1].id, second.id);
  EXPECT_EQ((*found)[1].call_id, call);
  EXPECT_EQ((*found)[1].due_at, clock_.Now() + std::chrono::hours(2));

  // Another company's call id under this company: nothing.
  auto foreign = callbacks().ListForCall(a, foreign_call);
  ASSERT_TRUE(foreign.has_value());
  EXPECT_TRUE(foreign->empty());
  EXPECT_EQ(callbacks().ListForCall(b, foreign_call).value().size(), 1u);
}

TEST_P(CallbackRequestsTest, TheQueueReadsInDueOrderPageByPageWithinOneCompany) {
  const CompanyId a = NewCompany("a");
  const CompanyId b = NewCompany("b");
  SqlBranchRepository branches(db(), clock_);
  tenancy::Branch mitte;
  mitte.name = "Mitte";
  const auto branch = branches.Create(a, mitte);
  ASSERT_TRUE(branch.has_value()) << branch.error().message;
  const SystemTimePoint now = clock_.Now();
  auto note = [&](CompanyId company, std::optional<tenancy::BranchId> at, SystemTimePoint due,
                  std::string reason) {
    booking::CallbackRequest r;
    r.branch_id = at;
    r.phone = "+4915112345678";
    r.name = "Erika";
    r.reason = std::move(reason);
    r.due_at = due;
    auto created = callbacks().Create(company, r);
    EXPECT_TRUE(created.has_value()) << created.error().message;
    return created.value_or(booking::CallbackRequest{});
  };
  const auto third = note(a, branch->id, now + std::chrono::hours(3), "drei");
  const auto first = note(a, std::nullopt, now - std::chrono::hours(5), "eins");
  const auto second = note(a, branch->id, now - std::chrono::hours(1), "zwei");
  const auto tie = note(a, branch->id, now - std::chrono::hours(1), "zwei-b");
  const auto foreign = note(b, std::nullopt, now - std::chrono::hours(9), "Nordlicht");

  booking::CallbackQuery q;
  q.statuses = {"open"};
  q.limit = 2;
  auto page = callbacks().List(a, q);
  ASSERT_TRUE(page.has_value()) << page.error().message;
  ASSERT_EQ(page->size(), 2u);
  EXPECT_EQ((*page)[0].id, first.id);
  EXPECT_EQ((*page)[0].reason, "eins");  // opened
  EXPECT_EQ((*page)[1].id, second.id);
  q.after = booking::CallbackCursor{booking::DueOf((*page)[1]), (*page)[1].id};
  page = callbacks().List(a, q);
  ASSERT_EQ(page->size(), 2u);
  EXPECT_EQ((*page)[0].id, tie.id);
  EXPECT_EQ((*page)[1].id, third.id);

  booking::CallbackQuery by_branch;
  by_branch.branch_id = branch->id;
  by_branch.due_until = now;
  page = callbacks().List(a, by_branch);
  ASSERT_EQ(page->size(), 2u);
  EXPECT_EQ((*page)[0].id, second.id);

  // Status changes compare and set, within the company.
  auto taken = callbacks().SetStatus(a, second.id, "open", "in_progress");
  ASSERT_TRUE(taken.has_value()) << taken.error().message;
  EXPECT_EQ(taken->status, "in_progress");
  EXPECT_EQ(callbacks().SetStatus(a, second.id, "open", "completed").error().code,
            ErrorCode::kConflict);
  EXPECT_EQ(callbacks().SetStatus(a, foreign.id, "open", "cancelled").error().code,
            ErrorCode::kNotFound);
  EXPECT_EQ(callbacks().FindById(b, foreign.id)->status, "open");
  EXPECT_EQ(callbacks().FindById(a, foreign.id).error().code, ErrorCode::kNotFound);
  q = {};
  q.statuses = {"open", "in_progress"};
  EXPECT_EQ(callbacks().List(a, q)->size(), 4u);
  q.statuses = {"in_progress"};
  EXPECT_EQ(callbacks().List(a, q)->size(), 1u);

  // Platform-wide: the open ones due by now, every company, in due order.
  auto due = callbacks().ListOpenDueUntil(now, 10);
  ASSERT_TRUE(due.has_value()) << due.error().message;
  ASSERT_EQ(due->size(), 3u);
  EXPECT_EQ((*due)[0].id, foreign.id);
  EXPECT_EQ((*due)[1].id, first.id);
  EXPECT_EQ((*due)[2].id, tie.id);

  auto counts = callbacks().CountOpen(a);
  ASSERT_TRUE(counts.has_value()) << counts.error().message;
  int open = 0;
  for (const auto& c : *counts) {
    EXPECT_EQ(c.company_id, a);
    open += c.open;
  }
  EXPECT_EQ(open, 3);
  EXPECT_EQ(callbacks().CountOpen(std::nullopt)->size(), 3u);  // a without branch, a Mitte, b
}

INSTANTIATE_TEST_SUITE_P(Backends, CallbackRequestsTest, testing::AllBackends(),
                         testing::BackendName);

}  // namespace
}  // namespace callgate::storage
