// SqlCallEventStore against SqlCallRepository::Upsert: on PostgreSQL the store runs migration
// 0015's function, whose upsert is a second copy of CallUpsertSql. The same updates applied
// through both must leave the same call, on both backends.
#include <gtest/gtest.h>

#include "storage/sql_calls_repositories.hpp"
#include "storage/sql_tenancy_repositories.hpp"
#include "storage/testing/test_database.hpp"

namespace callgate::storage {
namespace {

using tenancy::CompanyId;

class CallEventStoreTest : public testing::DatabaseTest {
 protected:
  void SetUp() override {
    DatabaseTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    SqlCompanyRepository companies(db(), clock_);
    tenancy::Company c;
    c.name = "Praxis";
    c.slug = "praxis";
    auto created = companies.Create(c);
    ASSERT_TRUE(created.has_value()) << created.error().message;
    company_ = created->id;
    SqlCustomerRepository customers(db(), clock_);
    tenancy::Customer erika;
    erika.phone_e164 = "+4915112345678";
    erika.name = "Erika";
    auto customer = customers.Create(company_, erika);
    ASSERT_TRUE(customer.has_value());
    erika_ = customer->id;
  }

  // Applies `u` to call "upserted" through the repository and to call "recorded" through the
  // store (with an event of its own), and expects both calls to read the same afterwards.
  void ApplyToBoth(calls::CallUpdate u, const std::string& step) {
    SCOPED_TRACE(step);
    SqlCallRepository repository(db(), clock_);
    SqlCallEventStore store(db(), clock_);
    u.retell_call_id = "upserted";
    auto upserted = repository.Upsert(company_, u);
    ASSERT_TRUE(upserted.has_value()) << upserted.error().message;
    u.retell_call_id = "recorded";
    calls::WebhookEventRecord event;
    event.company_id = company_;
    event.source = "retell";
    event.event = step;
    event.dedupe_key = "retell:" + step;
    event.payload_json = R"({"event":")" + step + R"("})";
    auto recorded = store.RecordWithCall(event, company_, u);
    ASSERT_TRUE(recorded.has_value()) << recorded.error().message;
    ASSERT_FALSE(recorded->duplicate);
    auto recorded_call = repository.FindByRetellId(company_, "recorded");
    ASSERT_TRUE(recorded_call.has_value());
    EXPECT_EQ(recorded_call->id, recorded->call_id);
    ExpectSameCall(*upserted, *recorded_call);
  }

  calls::WebhookEventRecord CallStarted(const std::string& dedupe_key) const {
    calls::WebhookEventRecord event;
    event.company_id = company_;
    event.source = "retell";
    event.event = "call_started";
    event.dedupe_key = dedupe_key;
    return event;
  }

  static void ExpectSameCall(const calls::Call& a, const calls::Call& b) {
    EXPECT_EQ(a.company_id, b.company_id);
    EXPECT_EQ(a.branch_id, b.branch_id);
    EXPECT_EQ(a.phone_number_id, b.phone_number_id);
    EXPECT_EQ(a.customer_id, b.customer_id);
    EXPECT_EQ(a.platform, b.platform);
    EXPECT_EQ(a.agent_id, b.agent_id);
    EXPECT_EQ(a.direction, b.direction);
    EXPECT_EQ(a.from_number, b.from_number);
    EXPECT_EQ(a.to_number, b.to_number);
    EXPECT_EQ(a.status, b.status);
    EXPECT_EQ(a.started_at, b.started_at);
    EXPECT_EQ(a.ended_at, b.ended_at);
    EXPECT_EQ(a.duration_ms, b.duration_ms);
    EXPECT_EQ(a.disconnection_reason, b.disconnection_reason);
    EXPECT_EQ(a.transcript, b.transcript);
    EXPECT_EQ(a.transcript_object_json, b.transcript_object_json);
    EXPECT_EQ(a.recording_url, b.recording_url);
    EXPECT_EQ(a.summary, b.summary);
    EXPECT_EQ(a.sentiment, b.sentiment);
    EXPECT_EQ(a.call_successful, b.call_successful);
    EXPECT_EQ(a.analysis_json, b.analysis_json);
    EXPECT_EQ(a.metadata_json.has_value(), b.metadata_json.has_value());
    EXPECT_EQ(a.retell_cost_cents, b.retell_cost_cents);
    EXPECT_EQ(a.created_at, b.created_at);
    EXPECT_EQ(a.updated_at, b.updated_at);
  }

  CompanyId company_;
  tenancy::CustomerId erika_;
};

TEST_P(CallEventStoreTest, TheStoreUpsertsCallsExactlyLikeTheRepository) {
  // Out of order on purpose: the analysis first, then the end, then the late start.
  calls::CallUpdate analyzed;
  analyzed.status = "ended";
  analyzed.transcript = "Agent: Guten Tag. User: Einen Termin bitte.";
  analyzed.final_transcript = true;
  analyzed.summary = "Termin gewünscht";
  analyzed.sentiment = "Positive";
  analyzed.call_successful = true;
  analyzed.analysis_json = R"({"call_summary":"Termin gewünscht"})";
  analyzed.metadata_json = R"({"k":"v"})";
  analyzed.retell_cost_cents = 13;
  analyzed.platform = "vapi";
  ApplyToBoth(analyzed, "call_analyzed");

  clock_.Advance(std::chrono::seconds(5));
  calls::CallUpdate ended;
  ended.status = "ended";
  ended.started_at = clock_.Now() - std::chrono::minutes(3);
  ended.ended_at = clock_.Now();
  ended.duration_ms = 180'000;
  ended.disconnection_reason = "user_hangup";
  ended.transcript_object_json = "[]";
  ended.recording_url = "https://example.org/rec.wav";
  ApplyToBoth(ended, "call_ended");

  clock_.Advance(std::chrono::seconds(5));
  calls::CallUpdate started;  // late: must not move the status back or replace the transcript
  started.status = "ongoing";
  started.transcript = "Agent: Guten Tag.";
  started.direction = "outbound";
  started.from_number = "+4915112345678";
  started.to_number = "+493083793369";
  started.agent_id = "agent-a";
  started.caller_e164 = "+4915112345678";  // links Erika
  ApplyToBoth(started, "call_started");

  SqlCallRepository repository(db(), clock_);
  auto call = repository.FindByRetellId(company_, "recorded").value();
  EXPECT_EQ(call.status, "ended");
  EXPECT_EQ(call.transcript, analyzed.transcript);
  EXPECT_EQ(call.customer_id, erika_);
  EXPECT_EQ(call.platform, "vapi");
  EXPECT_EQ(call.direction, "inbound");  // the first write decides
}

TEST_P(CallEventStoreTest, ALiveTranscriptReplacesTheLastOneUntilTheCallEnds) {
  calls::CallUpdate started;
  started.status = "ongoing";
  started.transcript = "Agent: Guten Tag.";
  ApplyToBoth(started, "call_started");
  calls::CallUpdate live;
  live.transcript = "Agent: Guten Tag. User: Hallo.";
  ApplyToBoth(live, "transcript_updated");
  SqlCallRepository repository(db(), clock_);
  EXPECT_EQ(repository.FindByRetellId(company_, "recorded").value().transcript, live.transcript);
}

TEST_P(CallEventStoreTest, ARedeliveryWritesNothing) {
  SqlCallEventStore store(db(), clock_);
  const auto event = CallStarted("retell:call_started:c1");
  calls::CallUpdate u;
  u.retell_call_id = "c1";
  u.status = "ongoing";
  auto first = store.RecordWithCall(event, company_, u);
  ASSERT_TRUE(first.has_value()) << first.error().message;
  EXPECT_FALSE(first->duplicate);
  u.status = "ended";
  auto again = store.RecordWithCall(event, company_, u);
  ASSERT_TRUE(again.has_value()) << again.error().message;
  EXPECT_TRUE(again->duplicate);
  SqlCallRepository repository(db(), clock_);
  EXPECT_EQ(repository.FindByRetellId(company_, "c1").value().status, "ongoing");
}

TEST_P(CallEventStoreTest, AnInvalidCallIdIsRefusedBeforeAnythingIsWritten) {
  SqlCallEventStore store(db(), clock_);
  const auto event = CallStarted("retell:call_started:");
  auto refused = store.RecordWithCall(event, company_, calls::CallUpdate{});
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code, ErrorCode::kInvalidArgument);
}

INSTANTIATE_TEST_SUITE_P(Backends, CallEventStoreTest, testing::AllBackendsAndPgBouncer(),
                         testing::BackendName);

}  // namespace
}  // namespace callgate::storage
