#include "calls/call_event_service.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <thread>

#include "calls/call_analysis.hpp"
#include "calls/inbound_call_service.hpp"
#include "calls/testing/recording_job_queue.hpp"
#include "storage/session.hpp"
#include "storage/sql_calls_repositories.hpp"
#include "storage/sql_tenancy_repositories.hpp"
#include "storage/testing/test_database.hpp"
#include "tenancy/tenant_directory.hpp"

namespace callgate::calls {
namespace {

using tenancy::CompanyId;

class CallEventServiceTest : public storage::testing::DatabaseTest {
 protected:
  void SetUp() override {
    DatabaseTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    companies_ = std::make_unique<storage::SqlCompanyRepository>(db(), clock_);
    branches_ = std::make_unique<storage::SqlBranchRepository>(db(), clock_);
    numbers_ = std::make_unique<storage::SqlPhoneNumberRepository>(db(), clock_);
    customers_ = std::make_unique<storage::SqlCustomerRepository>(db(), clock_);
    calls_ = std::make_unique<storage::SqlCallRepository>(db(), clock_);
    events_ = std::make_unique<storage::SqlWebhookEventRepository>(db(), clock_);
    store_ = std::make_unique<storage::SqlCallEventStore>(db(), clock_);
    transactions_ = std::make_unique<storage::DatabaseTransactionRunner>(db());
    directory_ = std::make_unique<tenancy::TenantDirectory>(*companies_, *branches_, *numbers_);
    service_ =
        std::make_unique<CallEventService>(CallEventSettings{}, *directory_, *calls_, *events_,
                                           *store_, jobs_, *transactions_, metrics_);
    a_ = MakeCompany("praxis-a", "+493083793369", "agent-a");
    b_ = MakeCompany("praxis-b", "+493031801234", "agent-b");
    ASSERT_TRUE(customers_->Upsert(a_, {"+4915112345678", "Erika Mustermann", {}, {}}));
  }

  CompanyId MakeCompany(const std::string& slug, const std::string& number,
                        const std::string& agent) {
    tenancy::Company c;
    c.name = "Company " + slug;
    c.slug = slug;
    auto company = companies_->Create(c);
    EXPECT_TRUE(company.has_value());
    tenancy::Branch b;
    b.name = "Mitte";
    auto branch = branches_->Create(company->id, b);
    EXPECT_TRUE(branch.has_value());
    tenancy::PhoneNumber n;
    n.branch_id = branch->id;
    n.number_e164 = number;
    n.retell_agent_id = agent;
    EXPECT_TRUE(numbers_->Create(company->id, n).has_value());
    return company->id;
  }

  CallEventInput Event(std::string event, std::string call_id = "call-1",
                       std::string to = "+493083793369") {
    CallEventInput in;
    in.event = std::move(event);
    in.call.call_id = std::move(call_id);
    in.call.call_type = "phone_call";
    in.call.direction = "inbound";
    in.call.from_number = "+4915112345678";
    in.call.to_number = std::move(to);
    in.call.agent_id = "agent-a";
    in.dedupe_key = "retell:" + in.event + ":" + in.call.call_id;
    in.raw_body = R"({"event":")" + in.event + R"("})";
    in.request_id = "req-1";
    return in;
  }

  // RecordLater, waiting here for its outcome; `answered_at_once` tells whether `done` ran
  // before RecordLater returned.
  Result<EventResult> RecordLater(const CallEventInput& in, bool* answered_at_once = nullptr) {
    auto outcome = std::make_shared<std::promise<Result<EventResult>>>();
    auto calls = std::make_shared<std::atomic<int>>(0);
    service_->RecordLater(in, [outcome, calls](Result<EventResult> r) {
      if (++*calls == 1) outcome->set_value(std::move(r));
    });
    auto future = outcome->get_future();
    if (answered_at_once != nullptr) {
      *answered_at_once = future.wait_for(std::chrono::seconds(0)) == std::future_status::ready;
    }
    auto result = future.get();
    std::this_thread::sleep_for(std::chrono::milliseconds(5));  // room for a second call
    EXPECT_EQ(calls->load(), 1) << "the outcome is handed on exactly once";
    return result;
  }

  // Delivers `in` six times at once: one is recorded, five are duplicates, none fails.
  void ExpectRecordedOnceOfSixConcurrentDeliveries(const CallEventInput& in, bool later = false) {
    std::atomic<int> recorded{0}, duplicates{0}, errors{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < 6; ++i) {
      threads.emplace_back([&] {
        auto r = later ? RecordLater(in) : service_->Record(in);
        if (!r) {
          ++errors;
        } else if (r->outcome == EventOutcome::kRecorded) {
          ++recorded;
        } else {
          ++duplicates;
        }
      });
    }
    for (auto& t : threads) t.join();
    EXPECT_EQ(errors.load(), 0);
    EXPECT_EQ(recorded.load(), 1);
    EXPECT_EQ(duplicates.load(), 5);
  }

  long long CountRows(const std::string& table) {
    auto n = db().Run([&](storage::Session& s) -> Result<long long> {
      long long count = 0;
      s.Query("COUNT(*) AS n", "FROM " + table, {},
              [&](const storage::Row& r) { count = r.Int64("n"); });
      return count;
    });
    return n.value_or(-1);
  }

  observability::Metrics metrics_;
  testing::RecordingJobQueue jobs_;
  std::unique_ptr<storage::SqlCompanyRepository> companies_;
  std::unique_ptr<storage::SqlBranchRepository> branches_;
  std::unique_ptr<storage::SqlPhoneNumberRepository> numbers_;
  std::unique_ptr<storage::SqlCustomerRepository> customers_;
  std::unique_ptr<storage::SqlCallRepository> calls_;
  std::unique_ptr<storage::SqlWebhookEventRepository> events_;
  std::unique_ptr<storage::SqlCallEventStore> store_;
  std::unique_ptr<storage::DatabaseTransactionRunner> transactions_;
  std::unique_ptr<tenancy::TenantDirectory> directory_;
  std::unique_ptr<CallEventService> service_;
  CompanyId a_, b_;
};

TEST_P(CallEventServiceTest, CallStartedCreatesTheCallForTheDialledCompany) {
  auto in = Event("call_started");
  in.call.start_timestamp_ms = 1714608475945;
  auto r = service_->Record(in);
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_EQ(r->outcome, EventOutcome::kRecorded);
  EXPECT_EQ(r->company_id, a_);
  auto call = calls_->FindByRetellId(a_, "call-1");
  ASSERT_TRUE(call.has_value());
  EXPECT_EQ(call->status, "ongoing");
  EXPECT_TRUE(call->branch_id.has_value());
  EXPECT_TRUE(call->customer_id.has_value());  // Erika is a known customer of company A
  EXPECT_EQ(ToUnixMillis(*call->started_at), 1714608475945);
  EXPECT_FALSE(calls_->FindByRetellId(b_, "call-1").has_value());  // scoped
  EXPECT_EQ(metrics_.Value("callgate_retell_webhook_total",
                           {{"event", "call_started"}, {"outcome", "recorded"}}),
            1);
}

TEST_P(CallEventServiceTest, TheCallIsLinkedOnlyToACustomerOfItsOwnCompany) {
  // The same caller is a customer of company B, and a national spelling of a customer of A.
  auto of_b = customers_->Upsert(b_, {"+4915177776666", "Max Muster", {}, {}});
  ASSERT_TRUE(of_b.has_value());
  auto to_a = Event("call_started", "call-b-caller");
  to_a.call.from_number = "+4915177776666";
  ASSERT_TRUE(service_->Record(to_a).has_value());
  auto call = calls_->FindByRetellId(a_, "call-b-caller");
  ASSERT_TRUE(call.has_value());
  EXPECT_FALSE(call->customer_id.has_value());  // B's customer is never linked to A's call

  auto national = Event("call_started", "call-national");
  national.call.from_number = "0151 12345678";  // Erika, dialled without the country code
  ASSERT_TRUE(service_->Record(national).has_value());
  auto erika = customers_->FindByPhone(a_, "+4915112345678");
  ASSERT_TRUE(erika.has_value());
  EXPECT_EQ(calls_->FindByRetellId(a_, "call-national").value().customer_id, erika->id);
}

TEST_P(CallEventServiceTest, RedeliveryChangesNothing) {
  auto in = Event("call_ended");
  in.call.duration_ms = 15791;
  in.call.combined_cost_cents = 12.5;
  ASSERT_TRUE(service_->Record(in).has_value());
  auto before = calls_->FindByRetellId(a_, "call-1");
  ASSERT_TRUE(before.has_value());
  clock_.Advance(std::chrono::minutes(1));
  in.call.duration_ms = 99999;  // a redelivery must not change the record even if it differs
  auto again = service_->Record(in);
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->outcome, EventOutcome::kDuplicate);
  auto after = calls_->FindByRetellId(a_, "call-1");
  ASSERT_TRUE(after.has_value());
  EXPECT_EQ(after->duration_ms, 15791);
  EXPECT_EQ(after->updated_at, before->updated_at);
  EXPECT_EQ(jobs_.jobs().size(), 1u);
  EXPECT_EQ(CountRows("webhook_events"), 1);
}

// A signed webhook can carry any number: times, durations and costs no call can have count as
// not reported (before, a call_ended from the smallest to the largest instant overflowed the
// duration, and a duration of the largest number the pricing job's minutes).
TEST_P(CallEventServiceTest, AbsurdTimesDurationsAndCostsCountAsNotReported) {
  auto ended = Event("call_ended", "call-absurd");
  ended.call.start_timestamp_ms = INT64_MIN;
  ended.call.end_timestamp_ms = INT64_MAX;
  ended.call.combined_cost_cents = 1e300;
  ASSERT_TRUE(service_->Record(ended).has_value());
  auto absurd = calls_->FindByRetellId(a_, "call-absurd");
  ASSERT_TRUE(absurd.has_value());
  EXPECT_FALSE(absurd->started_at.has_value());
  EXPECT_FALSE(absurd->ended_at.has_value());
  EXPECT_FALSE(absurd->duration_ms.has_value());
  EXPECT_FALSE(absurd->retell_cost_cents.has_value());

  auto analyzed = Event("call_analyzed", "call-long");
  analyzed.call.duration_ms = INT64_MAX;
  analyzed.call.start_timestamp_ms = 4'102'444'800'000;  // 2100-01-01: no longer a call's
  analyzed.call.combined_cost_cents = -5;
  ASSERT_TRUE(service_->Record(analyzed).has_value());
  auto long_call = calls_->FindByRetellId(a_, "call-long");
  ASSERT_TRUE(long_call.has_value());
  EXPECT_FALSE(long_call->duration_ms.has_value());
  EXPECT_FALSE(long_call->started_at.has_value());
  EXPECT_FALSE(long_call->retell_cost_cents.has_value());

  // What a call can have is kept: a week-long call, a duration from its two times.
  auto week = Event("call_ended", "call-week");
  week.call.start_timestamp_ms = 1'780'000'000'000;
  week.call.end_timestamp_ms = 1'780'000'000'000 + 7LL * 24 * 3'600'000;
  week.call.combined_cost_cents = 12.5;
  ASSERT_TRUE(service_->Record(week).has_value());
  auto kept = calls_->FindByRetellId(a_, "call-week");
  ASSERT_TRUE(kept.has_value());
  EXPECT_EQ(kept->duration_ms, 7LL * 24 * 3'600'000);
  EXPECT_EQ(kept->retell_cost_cents, 13);
  ASSERT_TRUE(kept->started_at.has_value());
  EXPECT_EQ(ToUnixMillis(*kept->started_at), 1'780'000'000'000);
}

TEST_P(CallEventServiceTest, OutOfOrderDeliveryStillYieldsACompleteRecord) {
  auto ended = Event("call_ended");
  ended.call.call_status = "ended";
  ended.call.start_timestamp_ms = 1000;
  ended.call.end_timestamp_ms = 61000;
  ended.call.transcript = "Agent: Guten Tag\nUser: Hallo\n";
  ended.call.disconnection_reason = "user_hangup";
  ASSERT_TRUE(service_->Record(ended).has_value());
  auto started = Event("call_started");
  started.call.call_status = "ongoing";
  started.call.start_timestamp_ms = 1000;
  ASSERT_TRUE(service_->Record(started).has_value());
  auto live = Event("transcript_updated");
  live.call.transcript = "Agent: Guten";
  ASSERT_TRUE(service_->Record(live).has_value());

  auto call = calls_->FindByRetellId(a_, "call-1");
  ASSERT_TRUE(call.has_value());
  EXPECT_EQ(call->status, "ended");  // never moves back
  EXPECT_EQ(call->duration_ms, 60000);
  EXPECT_EQ(call->transcript, "Agent: Guten Tag\nUser: Hallo\n");  // final transcript kept
  EXPECT_EQ(call->disconnection_reason, "user_hangup");
}

TEST_P(CallEventServiceTest, CallAnalyzedFillsAnalysisAndEnqueuesTheAnalysisJob) {
  auto in = Event("call_analyzed");
  in.call.summary = "Termin gebucht.";
  in.call.user_sentiment = "Positive";
  in.call.call_successful = true;
  in.call.call_analysis_json = R"({"call_summary":"Termin gebucht."})";
  auto r = service_->Record(in);
  ASSERT_TRUE(r.has_value());
  auto call = calls_->FindByRetellId(a_, "call-1");
  ASSERT_TRUE(call.has_value());
  EXPECT_EQ(call->summary, "Termin gebucht.");
  EXPECT_EQ(call->sentiment, "Positive");
  EXPECT_EQ(call->call_successful, true);
  const auto jobs = jobs_.jobs();
  ASSERT_EQ(jobs.size(), 1u);
  const auto& job = jobs[0];
  EXPECT_EQ(job.type, kCallAnalysisJob);
  EXPECT_EQ(job.request_id, "req-1");
  EXPECT_EQ(job.payload_json, "{\"company_id\":" + std::to_string(a_.value) +
                                  ",\"call_id\":" + std::to_string(call->id.value) + "}");
}

TEST_P(CallEventServiceTest, UnknownNumberCreatesNothing) {
  auto r = service_->Record(Event("call_started", "call-x", "+4940999999"));
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(CountRows("calls"), 0);
  EXPECT_EQ(CountRows("webhook_events"), 0);
  auto invalid = service_->Record(Event("call_started", "call-y", "not a number"));
  ASSERT_FALSE(invalid.has_value());
  EXPECT_EQ(invalid.error().code, ErrorCode::kNotFound);
}

// Refused as an unknown number would be, word for word: a company's URL does not tell which
// numbers are another company's.
TEST_P(CallEventServiceTest, NumberOfAnotherCompanyThanTheUrlIsRejected) {
  auto in = Event("call_started");
  in.url_company = b_;
  auto r = service_->Record(in);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(CountRows("calls"), 0);
  auto unknown = Event("call_started", "call-z", "+4940999999");
  unknown.url_company = b_;
  auto u = service_->Record(unknown);
  ASSERT_FALSE(u.has_value());
  EXPECT_EQ(r.error().message, u.error().message);
  // A deactivated company's number is just as unknown on another company's URL: nothing tells
  // that it exists (on its own URL, or the platform's, it is "not active").
  const CompanyId c = MakeCompany("praxis-c", "+493040000000", "agent-c");
  auto company_c = companies_->FindById(c);
  ASSERT_TRUE(company_c.has_value());
  company_c->is_active = false;
  ASSERT_TRUE(companies_->Update(c, tenancy::SetTo(*company_c)).has_value());
  auto inactive = Event("call_started", "call-c", "+493040000000");
  inactive.url_company = b_;
  auto i = service_->Record(inactive);
  ASSERT_FALSE(i.has_value());
  EXPECT_EQ(i.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(i.error().message, u.error().message);
  inactive.url_company = std::nullopt;
  auto own = service_->Record(inactive);
  ASSERT_FALSE(own.has_value());
  EXPECT_NE(own.error().message, u.error().message);
  // A web call is found through its agent: another company's agent, or a deactivated
  // company's, is as unknown as an agent nobody uses.
  const auto web_call = [&](const std::string& agent) {
    auto web = Event("call_started", "web-" + agent, "");
    web.call.call_type = "web_call";
    web.call.agent_id = agent;
    web.url_company = b_;
    return service_->Record(web);
  };
  auto nobodys = web_call("agent-nobody");
  ASSERT_FALSE(nobodys.has_value());
  for (const char* agent : {"agent-a", "agent-c"}) {
    auto w = web_call(agent);
    ASSERT_FALSE(w.has_value()) << agent;
    EXPECT_EQ(w.error().code, ErrorCode::kNotFound);
    EXPECT_EQ(w.error().message, nobodys.error().message) << agent;
  }
  ASSERT_TRUE(web_call("agent-b").has_value());
  EXPECT_EQ(CountRows("calls"), 1);  // B's own web call
}

TEST_P(CallEventServiceTest, CallIdOfAnotherCompanyIsNotTouched) {
  ASSERT_TRUE(service_->Record(Event("call_started", "shared-id")).has_value());
  auto r = service_->Record(Event("call_ended", "shared-id", "+493031801234"));
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, ErrorCode::kPermissionDenied);
  auto call = calls_->FindByRetellId(a_, "shared-id");
  ASSERT_TRUE(call.has_value());
  EXPECT_EQ(call->status, "ongoing");
  EXPECT_EQ(CountRows("webhook_events"), 1);  // the rejected delivery rolled back
}

// call_started writes its event and the call in one statement on PostgreSQL (no transaction):
// the same rules as for the events written in a transaction.
TEST_P(CallEventServiceTest, CallStartedWithAnotherCompanysCallIdStoresNothing) {
  auto first = Event("call_started", "shared-2");
  first.call.start_timestamp_ms = 1714608475945;
  ASSERT_TRUE(service_->Record(first).has_value());
  // The same delivery to company B is a redelivery: nothing is written.
  auto same = service_->Record(Event("call_started", "shared-2", "+493031801234"));
  ASSERT_TRUE(same.has_value()) << same.error().message;
  EXPECT_EQ(same->outcome, EventOutcome::kDuplicate);
  // Another delivery naming A's call id is refused.
  auto other = Event("call_started", "shared-2", "+493031801234");
  other.dedupe_key = "retell:call_started:shared-2:other";
  auto r = service_->Record(other);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, ErrorCode::kPermissionDenied);
  EXPECT_FALSE(calls_->FindByRetellId(b_, "shared-2").has_value());
  auto call = calls_->FindByRetellId(a_, "shared-2");
  ASSERT_TRUE(call.has_value());
  EXPECT_EQ(call->to_number, "+493083793369");
  EXPECT_EQ(ToUnixMillis(*call->started_at), 1714608475945);
  EXPECT_EQ(CountRows("webhook_events"), 1);  // B's delivery left no trace
  EXPECT_EQ(metrics_.Value("callgate_retell_webhook_total",
                           {{"event", "call_started"}, {"outcome", "error"}}),
            1);
}

TEST_P(CallEventServiceTest, RedeliveredCallStartedChangesNothing) {
  auto in = Event("call_started");
  in.call.start_timestamp_ms = 1714608475945;
  ASSERT_TRUE(service_->Record(in).has_value());
  auto before = calls_->FindByRetellId(a_, "call-1");
  ASSERT_TRUE(before.has_value());
  clock_.Advance(std::chrono::minutes(1));
  in.call.start_timestamp_ms = 1714608999999;  // a redelivery never changes the record
  auto again = service_->Record(in);
  ASSERT_TRUE(again.has_value()) << again.error().message;
  EXPECT_EQ(again->outcome, EventOutcome::kDuplicate);
  auto after = calls_->FindByRetellId(a_, "call-1");
  ASSERT_TRUE(after.has_value());
  EXPECT_EQ(ToUnixMillis(*after->started_at), 1714608475945);
  EXPECT_EQ(after->updated_at, before->updated_at);
  EXPECT_EQ(CountRows("webhook_events"), 1);
}

// After an erasure (privacy::PersonalData::Erase marks the call erased and deletes its raw
// events, so nothing is a duplicate any more), every later delivery about the call is
// acknowledged and keeps nothing: a redelivery, a late call_analyzed, a live transcript, and a
// call_started written alone or queued. The call keeps no content and no analysis is queued
// (which would make the caller a customer again).
TEST_P(CallEventServiceTest, DeliveriesAboutAnErasedCallKeepNothing) {
  ASSERT_TRUE(service_->Record(Event("call_started")).has_value());
  ASSERT_TRUE(service_->Record(Event("call_ended")).has_value());
  ASSERT_EQ(jobs_.jobs().size(), 1u);
  auto erased = db().Run([&](storage::Session& s) -> Status {
    s.Execute("DELETE FROM webhook_events");
    s.Execute(
        "UPDATE calls SET from_number = NULL, customer_id = NULL, transcript = NULL, "
        "erased_at = updated_at");
    return Ok();
  });
  ASSERT_TRUE(erased.has_value()) << erased.error().message;

  auto analyzed = Event("call_analyzed");
  analyzed.call.transcript = "Agent: Guten Tag.\nUser: Ich habe Zahnschmerzen.";
  auto live = Event("transcript_updated");
  live.call.transcript = "Agent: Guten Tag.";
  for (const CallEventInput& in : {Event("call_started"), Event("call_ended"), analyzed, live}) {
    auto r = service_->Record(in);
    ASSERT_TRUE(r.has_value()) << in.event << ": " << r.error().message;
    EXPECT_EQ(r->outcome, EventOutcome::kErased) << in.event;
    EXPECT_EQ(r->company_id, a_);
  }
  auto later = RecordLater(Event("call_started"));
  ASSERT_TRUE(later.has_value()) << later.error().message;
  EXPECT_EQ(later->outcome, EventOutcome::kErased);

  auto call = calls_->FindByRetellId(a_, "call-1");
  ASSERT_TRUE(call.has_value());
  EXPECT_EQ(call->from_number, "");
  EXPECT_FALSE(call->customer_id.has_value());
  EXPECT_FALSE(call->transcript.has_value());
  EXPECT_EQ(CountRows("webhook_events"), 0);
  EXPECT_EQ(jobs_.jobs().size(), 1u);  // only the one from before the erasure
  EXPECT_EQ(metrics_.Value("callgate_retell_webhook_total",
                           {{"event", "call_started"}, {"outcome", "erased"}}),
            2);
  // Another company naming the erased call's id is still refused as before.
  auto other = Event("call_ended", "call-1", "+493031801234");
  auto refused = service_->Record(other);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code, ErrorCode::kPermissionDenied);
}

// The analysis found the caller before an erasure committed and writes after it: the erased
// call is linked to nobody (the customer it names may be the person again, with a new record).
TEST_P(CallEventServiceTest, AnAnalysisWrittenAfterAnErasureLinksNoCustomer) {
  ASSERT_TRUE(service_->Record(Event("call_ended", "erased-1")).has_value());
  auto call = calls_->FindByRetellId(a_, "erased-1");
  ASSERT_TRUE(call.has_value());
  auto customer = customers_->Upsert(a_, {"+4915199998888", "Max Muster", {}, {}});
  ASSERT_TRUE(customer.has_value());
  ASSERT_TRUE(db().Run([&](storage::Session& s) -> Status {
                    s.Execute(
                        "UPDATE calls SET from_number = NULL, customer_id = NULL, "
                        "erased_at = updated_at WHERE id = :id",
                        storage::Params().Add(call->id.value));
                    return Ok();
                  })
                  .has_value());
  calls::CallCosts costs;
  costs.base_cost_cents = 13;
  ASSERT_TRUE(calls_->SetAnalysis(a_, call->id, customer->id, costs).has_value());
  auto stored = calls_->FindByRetellId(a_, "erased-1");
  ASSERT_TRUE(stored.has_value());
  EXPECT_FALSE(stored->customer_id.has_value());
  ASSERT_TRUE(stored->costs.has_value());
  EXPECT_EQ(stored->costs->base_cost_cents, 13);
  // A call that is not erased is linked as before.
  ASSERT_TRUE(service_->Record(Event("call_ended", "kept-1")).has_value());
  auto kept = calls_->FindByRetellId(a_, "kept-1");
  ASSERT_TRUE(kept.has_value());
  ASSERT_TRUE(calls_->SetAnalysis(a_, kept->id, customer->id, costs).has_value());
  EXPECT_EQ(calls_->FindByRetellId(a_, "kept-1")->customer_id, customer->id);
}

TEST_P(CallEventServiceTest, ConcurrentDuplicateCallStartedRecordsOnce) {
  auto in = Event("call_started");
  ExpectRecordedOnceOfSixConcurrentDeliveries(in);
  EXPECT_EQ(CountRows("calls"), 1);
  EXPECT_EQ(CountRows("webhook_events"), 1);
}

TEST_P(CallEventServiceTest, TransferAndUnknownEventsAreStoredAndIgnored) {
  auto in = Event("transfer_started");
  in.dedupe_key += ":42";
  auto r = service_->Record(in);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->outcome, EventOutcome::kIgnored);
  EXPECT_EQ(service_->Record(in)->outcome, EventOutcome::kDuplicate);
  EXPECT_EQ(service_->Record(Event("something_new"))->outcome, EventOutcome::kIgnored);
  EXPECT_EQ(CountRows("calls"), 0);
  EXPECT_EQ(CountRows("webhook_events"), 2);
  // Documented events are counted by name; any other name a platform sends is "other", so a
  // stream of made-up names adds no series.
  EXPECT_EQ(metrics_.Value("callgate_retell_webhook_total",
                           {{"event", "transfer_started"}, {"outcome", "ignored"}}),
            1);
  EXPECT_EQ(
      metrics_.Value("callgate_retell_webhook_total", {{"event", "other"}, {"outcome", "ignored"}}),
      1);
  EXPECT_EQ(metrics_.Value("callgate_retell_webhook_total",
                           {{"event", "something_new"}, {"outcome", "ignored"}}),
            0);
  for (int i = 0; i < 20; ++i) {
    EXPECT_EQ(service_->Record(Event("made_up_" + std::to_string(i)))->outcome,
              EventOutcome::kIgnored);
  }
  EXPECT_EQ(
      metrics_.Value("callgate_retell_webhook_total", {{"event", "other"}, {"outcome", "ignored"}}),
      21);
  EXPECT_EQ(metrics_.RenderPrometheus().find("made_up_"), std::string::npos);
}

TEST_P(CallEventServiceTest, WebCallsResolveThroughTheAgent) {
  auto in = Event("call_started", "web-1", "");
  in.call.call_type = "web_call";
  in.call.from_number = "";
  in.call.agent_id = "agent-b";
  auto r = service_->Record(in);
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_EQ(r->company_id, b_);
  in.call.call_id = "web-2";
  in.call.agent_id = "agent-unknown";
  in.dedupe_key = "retell:call_started:web-2";
  auto unknown = service_->Record(in);
  ASSERT_FALSE(unknown.has_value());
  EXPECT_EQ(unknown.error().code, ErrorCode::kNotFound);
}

TEST_P(CallEventServiceTest, ConcurrentDuplicateDeliveriesRecordOnce) {
  auto in = Event("call_ended");
  ExpectRecordedOnceOfSixConcurrentDeliveries(in);
  EXPECT_EQ(CountRows("calls"), 1);
  EXPECT_EQ(jobs_.jobs().size(), 1u);
}

TEST_P(CallEventServiceTest, InboundAnswerGreetsWithCompanyDatesAndKnownCaller) {
  // 2026-11-26T09:00Z = Thursday 10:00 in Berlin.
  InboundCallService inbound(*directory_, *customers_, clock_, metrics_);
  auto answer = inbound.Answer({"+4915112345678", "+493083793369", "agent-a", std::nullopt});
  ASSERT_TRUE(answer.has_value()) << answer.error().message;
  const auto& v = answer->dynamic_variables;
  EXPECT_EQ(v.at("company_name"), "Company praxis-a");
  EXPECT_EQ(v.at("branch_name"), "Mitte");
  EXPECT_EQ(v.at("heute_datum"), "Donnerstag, 26. November 2026");
  EXPECT_EQ(v.at("heute_wochentag"), "Donnerstag");
  EXPECT_EQ(v.at("morgen_datum"), "Freitag, 27. November 2026");
  EXPECT_EQ(v.at("uhrzeit"), "10:00");
  EXPECT_EQ(v.at("caller_known"), "true");
  EXPECT_EQ(v.at("caller_name"), "Erika Mustermann");

  // The same caller is a stranger to company B, and a withheld number is nobody.
  auto other = inbound.Answer({"+4915112345678", "+493031801234", "", std::nullopt});
  ASSERT_TRUE(other.has_value());
  EXPECT_EQ(other->dynamic_variables.at("caller_known"), "false");
  EXPECT_EQ(other->dynamic_variables.count("caller_name"), 0u);
  auto withheld = inbound.Answer({"anonymous", "+493083793369", "", std::nullopt});
  ASSERT_TRUE(withheld.has_value());
  EXPECT_EQ(withheld->dynamic_variables.at("caller_number"), "");

  auto unknown = inbound.Answer({"+4915112345678", "+4940999999", "", std::nullopt});
  ASSERT_FALSE(unknown.has_value());
  EXPECT_EQ(unknown.error().code, ErrorCode::kNotFound);
}

TEST_P(CallEventServiceTest, InboundAnswerCarriesTheAiDisclosureDefaultOrTheCompanys) {
  InboundCallService inbound(*directory_, *customers_, clock_, metrics_);
  auto answer = inbound.Answer({"+4915112345678", "+493083793369", "agent-a", std::nullopt});
  ASSERT_TRUE(answer.has_value()) << answer.error().message;
  EXPECT_EQ(answer->dynamic_variables.at("ai_disclosure"),
            "Sie sprechen mit dem digitalen Assistenten von Company praxis-a.");
  auto company = companies_->FindById(b_);
  ASSERT_TRUE(company.has_value());
  company->ai_disclosure = "Hier spricht die KI-Assistenz der Praxis B.";
  ASSERT_TRUE(companies_->Update(company->id, tenancy::SetTo(*company)).has_value());
  auto own = inbound.Answer({"+4915112345678", "+493031801234", "", std::nullopt});
  ASSERT_TRUE(own.has_value());
  EXPECT_EQ(own->dynamic_variables.at("ai_disclosure"),
            "Hier spricht die KI-Assistenz der Praxis B.");
  // Blanks are no disclosure: the default sentence is said instead.
  company->ai_disclosure = "  \n ";
  ASSERT_TRUE(companies_->Update(company->id, tenancy::SetTo(*company)).has_value());
  auto blank = inbound.Answer({"+4915112345678", "+493031801234", "", std::nullopt});
  ASSERT_TRUE(blank.has_value());
  EXPECT_EQ(blank->dynamic_variables.at("ai_disclosure").rfind("Sie sprechen mit", 0), 0u);
}

TEST_P(CallEventServiceTest, InboundAnswerCarriesTheTransferNumberWhileTheBranchIsOpen) {
  // Thursday 10:00 in Berlin.
  InboundCallService inbound(*directory_, *customers_, clock_, metrics_);
  auto transfer = [&] {
    auto answer = inbound.Answer({"+4915112345678", "+493083793369", "agent-a", std::nullopt});
    EXPECT_TRUE(answer.has_value()) << answer.error().message;
    return answer ? answer->dynamic_variables.at("transfer_number") : std::string("?");
  };
  EXPECT_EQ(transfer(), "");  // none configured

  auto branch = branches_->FindByName(a_, "Mitte");
  ASSERT_TRUE(branch.has_value());
  branch->transfer_number = "+493083793300";
  ASSERT_TRUE(branches_->Update(a_, branch->id, tenancy::SetTo(*branch)).has_value());
  EXPECT_EQ(transfer(), "+493083793300");  // no opening hours: always

  branch->business_hours[4] = tenancy::OpeningHours{9 * 60, 18 * 60};
  ASSERT_TRUE(branches_->Update(a_, branch->id, tenancy::SetTo(*branch)).has_value());
  EXPECT_EQ(transfer(), "+493083793300");  // open Thursdays 9–18

  branch->business_hours[4] = tenancy::OpeningHours{12 * 60, 18 * 60};
  ASSERT_TRUE(branches_->Update(a_, branch->id, tenancy::SetTo(*branch)).has_value());
  EXPECT_EQ(transfer(), "");  // not open yet

  branch->business_hours[4].reset();
  branch->business_hours[5] = tenancy::OpeningHours{9 * 60, 18 * 60};
  ASSERT_TRUE(branches_->Update(a_, branch->id, tenancy::SetTo(*branch)).has_value());
  EXPECT_EQ(transfer(), "");  // closed on Thursdays

  // Open by the hours, but a holiday where the branch is: closed.
  branch->business_hours[4] = tenancy::OpeningHours{9 * 60, 18 * 60};
  branch->region = "BY";
  ASSERT_TRUE(branches_->Update(a_, branch->id, tenancy::SetTo(*branch)).has_value());
  std::string asked_region;
  inbound.SetHolidayCheck(
      [&](const tenancy::Company&, const tenancy::Branch& b, const LocalDateTime& day) {
        asked_region = b.region;
        return day.month == 11 && day.day == 26;
      });
  EXPECT_EQ(transfer(), "");
  EXPECT_EQ(asked_region, "BY");
}

TEST_P(CallEventServiceTest, RecordingUrlsAreStoredOnlyWhenTheCompanyStoresRecordings) {
  const std::string url = "https://recordings.example/call-1.wav";
  auto ended = [&](const std::string& call_id, const std::string& to) {
    auto in = Event("call_ended", call_id, to);
    in.call.recording_url = url;
    in.raw_body =
        R"({"event":"call_ended","call":{"call_id":")" + call_id + R"(","recording_url":")" + url +
        R"(","scrubbed_recording_url":")" + url + R"(","recording_multi_channel_url":")" + url +
        R"(","scrubbed_recording_multi_channel_url":")" + url + R"(","transcript":"Hallo"}})";
    return in;
  };
  ASSERT_TRUE(service_->Record(ended("call-a", "+493083793369")).has_value());
  auto call = calls_->FindByRetellId(a_, "call-a");
  ASSERT_TRUE(call.has_value());
  EXPECT_FALSE(call->recording_url.has_value());

  auto company = companies_->FindById(b_);
  ASSERT_TRUE(company.has_value());
  EXPECT_FALSE(company->store_recordings);  // the default
  company->store_recordings = true;
  ASSERT_TRUE(companies_->Update(company->id, tenancy::SetTo(*company)).has_value());
  ASSERT_TRUE(service_->Record(ended("call-b", "+493031801234")).has_value());
  auto stored = calls_->FindByRetellId(b_, "call-b");
  ASSERT_TRUE(stored.has_value());
  EXPECT_EQ(stored->recording_url, url);

  // The raw body kept for deduplication has no recording URL either, unless stored.
  auto payloads = db().Run([&](storage::Session& s) -> Result<std::vector<std::string>> {
    std::vector<std::string> out;
    s.Query("payload", "FROM webhook_events ORDER BY id", {}, [&](const storage::Row& r) {
      out.push_back(r.Opened("payload", "webhook_events.payload"));
    });
    return out;
  });
  ASSERT_TRUE(payloads.has_value());
  ASSERT_EQ(payloads->size(), 2u);
  EXPECT_EQ((*payloads)[0].find("recording"), std::string::npos) << (*payloads)[0];
  EXPECT_NE((*payloads)[0].find("Hallo"), std::string::npos);
  EXPECT_NE((*payloads)[1].find(url), std::string::npos);
}

// Vapi spells recordings in camelCase (artifact.recordingUrl, stereoRecordingUrl, a recording
// object): none of them is kept for a company that stores no recordings.
TEST_P(CallEventServiceTest, VapiRecordingUrlsAreDroppedToo) {
  const std::string url = "https://recordings.example/vapi-1.wav";
  auto in = Event("call_ended", "vapi-1", "+493083793369");
  in.platform = "vapi";
  in.call.platform = "vapi";
  in.raw_body = R"({"message":{"type":"end-of-call-report","recordingUrl":")" + url +
                R"(","artifact":{"recordingUrl":")" + url + R"(","stereoRecordingUrl":")" + url +
                R"(","recording":{"mono":{"combinedUrl":")" + url +
                R"("}},"transcript":"Guten Tag"},"call":{"id":"vapi-1"}}})";
  ASSERT_TRUE(service_->Record(in).has_value());
  auto payloads = db().Run([&](storage::Session& s) -> Result<std::vector<std::string>> {
    std::vector<std::string> out;
    s.Query("payload", "FROM webhook_events ORDER BY id", {}, [&](const storage::Row& r) {
      out.push_back(r.Opened("payload", "webhook_events.payload"));
    });
    return out;
  });
  ASSERT_TRUE(payloads.has_value());
  ASSERT_EQ(payloads->size(), 1u);
  EXPECT_EQ((*payloads)[0].find("recordings.example"), std::string::npos) << (*payloads)[0];
  EXPECT_NE((*payloads)[0].find("Guten Tag"), std::string::npos);
}

TEST_P(CallEventServiceTest, AnalysisPricesCallsAndMatchesTheCaller) {
  auto company = companies_->FindById(a_);
  ASSERT_TRUE(company.has_value());
  company->price_per_minute_cents = 15;
  company->included_minutes = 2;
  ASSERT_TRUE(companies_->Update(company->id, tenancy::SetTo(*company)).has_value());
  CallAnalysis analysis(*companies_, *customers_, *calls_, metrics_);

  auto first = Event("call_ended", "priced-1");
  first.call.from_number = "+4915199998888";  // not yet a customer
  first.call.start_timestamp_ms = ToUnixMillis(clock_.Now());
  first.call.duration_ms = 121'000;  // 3 started minutes, 2 of them included
  first.call.combined_cost_cents = 12.5;
  ASSERT_TRUE(service_->Record(first).has_value());
  auto jobs = jobs_.jobs();
  ASSERT_EQ(jobs.size(), 1u);
  ASSERT_TRUE(analysis.Run(jobs[0].payload_json).has_value());
  ASSERT_TRUE(analysis.Run(jobs[0].payload_json).has_value());  // idempotent

  auto call = calls_->FindByRetellId(a_, "priced-1");
  ASSERT_TRUE(call.has_value());
  ASSERT_TRUE(call->costs.has_value());
  EXPECT_EQ(call->costs->base_cost_cents, 13);
  EXPECT_EQ(call->costs->customer_cost_cents, 15);
  EXPECT_EQ(call->costs->total_profit_cents, 2);
  // A caller the company does not know stays unknown: the analysis matches, it creates nobody.
  EXPECT_FALSE(call->customer_id.has_value());
  auto unknown = customers_->FindByPhone(a_, "+4915199998888");
  ASSERT_FALSE(unknown.has_value());
  EXPECT_EQ(unknown.error().code, ErrorCode::kNotFound);
  // Once the caller is a customer (a booking made one, before the analysis ran), the call is
  // linked to it and counts as the customer's last call; another company's customer never is.
  ASSERT_TRUE(customers_->Upsert(b_, {"+4915199998888", "Max Muster", {}, {}}));
  ASSERT_TRUE(analysis.Run(jobs[0].payload_json).has_value());
  EXPECT_FALSE(calls_->FindByRetellId(a_, "priced-1").value().customer_id.has_value());
  auto booked = customers_->Upsert(a_, {"+4915199998888", "Max Muster", {}, {}});
  ASSERT_TRUE(booked.has_value());
  ASSERT_TRUE(analysis.Run(jobs[0].payload_json).has_value());
  call = calls_->FindByRetellId(a_, "priced-1");
  ASSERT_TRUE(call.has_value());
  EXPECT_EQ(call->customer_id, booked->id);
  auto caller = customers_->FindByPhone(a_, "+4915199998888");
  ASSERT_TRUE(caller.has_value());
  EXPECT_TRUE(caller->last_call_at.has_value());
  EXPECT_EQ(call->costs->customer_cost_cents, 15);  // priced the same each time

  // The included minutes are used up now: the next call pays every started minute.
  clock_.Advance(std::chrono::minutes(10));
  auto second = Event("call_ended", "priced-2");
  second.call.start_timestamp_ms = ToUnixMillis(clock_.Now());
  second.call.duration_ms = 150'000;
  second.call.combined_cost_cents = 20;
  ASSERT_TRUE(service_->Record(second).has_value());
  ASSERT_TRUE(analysis.Run(jobs_.jobs().back().payload_json).has_value());
  auto call2 = calls_->FindByRetellId(a_, "priced-2");
  ASSERT_TRUE(call2 && call2->costs);
  EXPECT_EQ(call2->costs->customer_cost_cents, 45);
  EXPECT_EQ(metrics_.Value("callgate_call_analysis_total", {{"outcome", "done"}}), 5);

  EXPECT_FALSE(analysis.Run("{\"call_id\":1}").has_value());
  auto gone = analysis.Run("{\"company_id\":" + std::to_string(b_.value) +
                           ",\"call_id\":" + std::to_string(call2->id.value) + "}");
  ASSERT_FALSE(gone.has_value());
  EXPECT_EQ(gone.error().code, ErrorCode::kNotFound);  // company B cannot reach A's call
}

TEST_P(CallEventServiceTest, CallStartedQueuedLaterIsRecordedAndCountedOnceWritten) {
  auto in = Event("call_started");
  auto r = RecordLater(in);
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_EQ(r->outcome, EventOutcome::kRecorded);
  EXPECT_EQ(r->company_id, a_);
  auto call = calls_->FindByRetellId(a_, "call-1");
  ASSERT_TRUE(call.has_value());
  EXPECT_EQ(r->call_id, call->id);
  EXPECT_EQ(call->status, "ongoing");
  EXPECT_EQ(CountRows("webhook_events"), 1);
  EXPECT_EQ(metrics_.Value("callgate_retell_webhook_total",
                           {{"event", "call_started"}, {"outcome", "recorded"}}),
            1);

  auto again = RecordLater(in);
  ASSERT_TRUE(again.has_value()) << again.error().message;
  EXPECT_EQ(again->outcome, EventOutcome::kDuplicate);
  EXPECT_EQ(CountRows("webhook_events"), 1);
  EXPECT_EQ(metrics_.Value("callgate_retell_webhook_total",
                           {{"event", "call_started"}, {"outcome", "duplicate"}}),
            1);
}

TEST_P(CallEventServiceTest, CallStartedQueuedLaterWithAnotherCompanysCallIdStoresNothing) {
  ASSERT_TRUE(RecordLater(Event("call_started", "shared-3")).has_value());
  auto other = Event("call_started", "shared-3", "+493031801234");  // B's number
  other.dedupe_key = "retell:call_started:shared-3:b";
  auto r = RecordLater(other);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, ErrorCode::kPermissionDenied);
  EXPECT_EQ(CountRows("webhook_events"), 1);
  EXPECT_EQ(metrics_.Value("callgate_retell_webhook_total",
                           {{"event", "call_started"}, {"outcome", "error"}}),
            1);
}

TEST_P(CallEventServiceTest, RecordLaterRefusesAnUnknownNumberAtOnceAndRecordsOtherEventsNow) {
  bool at_once = false;
  auto unknown = RecordLater(Event("call_started", "call-x", "+4940999999"), &at_once);
  ASSERT_FALSE(unknown.has_value());
  EXPECT_EQ(unknown.error().code, ErrorCode::kNotFound);
  EXPECT_TRUE(at_once);
  EXPECT_EQ(metrics_.Value("callgate_retell_webhook_total",
                           {{"event", "call_started"}, {"outcome", "unknown_tenant"}}),
            1);
  // An event with more than one write (the analysis job) is Record's, before it returns.
  auto ended = RecordLater(Event("call_ended"), &at_once);
  ASSERT_TRUE(ended.has_value()) << ended.error().message;
  EXPECT_TRUE(at_once);
  EXPECT_EQ(ended->outcome, EventOutcome::kRecorded);
  ASSERT_EQ(jobs_.jobs().size(), 1u);
  EXPECT_EQ(jobs_.jobs().back().type, kCallAnalysisJob);
}

TEST_P(CallEventServiceTest, ConcurrentDuplicateCallStartedQueuedLaterRecordsOnce) {
  ExpectRecordedOnceOfSixConcurrentDeliveries(Event("call_started"), /*later=*/true);
  EXPECT_EQ(CountRows("calls"), 1);
  EXPECT_EQ(CountRows("webhook_events"), 1);
}

INSTANTIATE_TEST_SUITE_P(Backends, CallEventServiceTest, storage::testing::AllBackends(),
                         storage::testing::BackendName);

}  // namespace
}  // namespace callgate::calls
