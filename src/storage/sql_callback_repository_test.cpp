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
  CompanyId NewCompany(const std::string& slug) {
    SqlCompanyRepository companies(db(), clock_);
    tenancy::Company c;
    c.name = "Praxis " + slug;
    c.slug = slug;
    auto created = companies.Create(c);
    EXPECT_TRUE(created.has_value()) << created.error().message;
    return created ? created->id : CompanyId(0);
  }
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

INSTANTIATE_TEST_SUITE_P(Backends, CallbackRequestsTest, testing::AllBackends(),
                         testing::BackendName);

}  // namespace
}  // namespace callgate::storage
