// SqlCallEventStore against SqlCallRepository::Upsert: on PostgreSQL the store runs migration
// 0016's function, whose upsert is a second copy of CallUpsertSql. The same updates applied
// through both must leave the same call, on both backends. Events recorded concurrently are
// written as one group, each with its own outcome.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <future>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/blocking.hpp"
#include "core/testing/gate.hpp"
#include "crypto/testing/test_keyring.hpp"
#include "observability/log.hpp"
#include "storage/session.hpp"
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

  // A call_started event and its call update.
  struct Submitted {
    calls::WebhookEventRecord event;
    calls::CallUpdate update;
    Result<calls::RecordedCallEvent> outcome = calls::RecordedCallEvent{};
    std::string answered_under;  // the request id of the thread when the outcome arrived
  };
  Submitted Event(const std::string& dedupe_key, const std::string& call_id,
                  const std::string& status) const {
    Submitted e;
    e.event = CallStarted(dedupe_key);
    e.update.retell_call_id = call_id;
    e.update.status = status;
    return e;
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
  Submitted e = Event("retell:call_started:c1", "c1", "ongoing");
  const auto& event = e.event;
  auto& u = e.update;
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

TEST_P(CallEventStoreTest, AnEnormousDedupeKeyIsStoredAndItsRedeliveryIsADuplicate) {
  // A platform's fields make up the key (a Vapi status, a Cal.com uid): one far longer than
  // PostgreSQL's B-tree entries allow is still stored once, and told apart from another one
  // differing only in its last byte.
  SqlCallEventStore store(db(), clock_);
  std::string noise;  // does not compress, as a repeated letter would
  for (std::uint32_t x = 12345; noise.size() < 9000;) {
    x = x * 1103515245u + 12345u;
    noise += static_cast<char>('a' + (x >> 16) % 26);
  }
  const std::string long_key = "vapi:status-update:" + noise + ":c9";
  Submitted e = Event(long_key, "c9", "ongoing");
  auto first = store.RecordWithCall(e.event, company_, e.update);
  ASSERT_TRUE(first.has_value()) << first.error().message;
  EXPECT_FALSE(first->duplicate);
  auto again = store.RecordWithCall(e.event, company_, e.update);
  ASSERT_TRUE(again.has_value()) << again.error().message;
  EXPECT_TRUE(again->duplicate);
  Submitted other = Event(long_key.substr(0, long_key.size() - 1) + "X", "c9", "ongoing");
  auto different = store.RecordWithCall(other.event, company_, other.update);
  ASSERT_TRUE(different.has_value()) << different.error().message;
  EXPECT_FALSE(different->duplicate);

  SqlWebhookEventRepository events(db(), clock_);
  calls::WebhookEventRecord record = CallStarted(noise.substr(0, 5000));
  record.payload_json = "{}";
  record.status = "ignored";
  ASSERT_TRUE(events.Record(record).has_value());
  auto repeated = events.Record(record);
  ASSERT_FALSE(repeated.has_value());
  EXPECT_EQ(repeated.error().code, ErrorCode::kAlreadyExists);

  // Stored as their digests (every backend takes these keys as they are; PostgreSQL's index
  // would refuse the long ones), like a short key that could be taken for a digest; a key of
  // 256 bytes as it is.
  calls::WebhookEventRecord hash_like = CallStarted("#sha256:not-a-digest");
  hash_like.payload_json = "{}";
  hash_like.status = "ignored";
  ASSERT_TRUE(events.Record(hash_like).has_value());
  calls::WebhookEventRecord longest_plain = CallStarted(noise.substr(0, 256));
  longest_plain.payload_json = "{}";
  longest_plain.status = "ignored";
  ASSERT_TRUE(events.Record(longest_plain).has_value());
  std::vector<std::string> keys;
  auto read = db().Run([&](Session& s) -> Status {
    s.Query("dedupe_key", "FROM webhook_events ORDER BY id", {},
            [&](const Row& row) { keys.push_back(row.String("dedupe_key")); });
    return Ok();
  });
  ASSERT_TRUE(read.has_value());
  ASSERT_EQ(keys.size(), 5u);
  for (std::size_t i : {0u, 1u, 2u, 3u}) {
    EXPECT_TRUE(keys[i].starts_with("#sha256:")) << i;
    EXPECT_EQ(keys[i].size(), 8u + 64u) << i;
  }
  EXPECT_NE(keys[0], keys[1]);
  EXPECT_EQ(keys[4], noise.substr(0, 256));
}

TEST_P(CallEventStoreTest, AnInvalidCallIdIsRefusedBeforeAnythingIsWritten) {
  SqlCallEventStore store(db(), clock_);
  const auto event = CallStarted("retell:call_started:");
  auto refused = store.RecordWithCall(event, company_, calls::CallUpdate{});
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code, ErrorCode::kInvalidArgument);
}

// Events that arrive while another group is being written: on PostgreSQL one call of the
// group function (on SQLite one transaction of Database's group commit), every caller with its
// own outcome. The test holds the company's row (PostgreSQL) or the write lock (SQLite), so the
// first event is held while the others queue behind it in a known order.
class GroupedEventsTest : public CallEventStoreTest {
 protected:
  // Records `events` concurrently: the first while the database is held, the others queued
  // behind it one after another; then lets them go and returns once all have their outcome.
  // With `later`, every second one after the first is queued with RecordWithCallLater. Event i
  // is recorded under request id "req-<i>"; `written_under` gets, in the order they ran, the
  // statements that write events ("event"), begin or commit a transaction ("BEGIN", "COMMIT"),
  // each with the request id in force: "event req-1". The holder's own are left out.
  void RecordHeld(SqlCallEventStore& store, std::vector<Submitted>& events, bool later = false,
                  std::vector<std::string>* written_under = nullptr) {
    if (written_under != nullptr) {
      SetStatementObserver([&](std::string_view sql, std::chrono::nanoseconds) {
        std::string_view kind;
        if (sql.find("INSERT INTO webhook_events") != std::string_view::npos ||
            sql.find("callgate_record_call_events") != std::string_view::npos) {
          kind = "event";
        } else if (sql.starts_with("BEGIN")) {
          kind = "BEGIN";
        } else if (sql.starts_with("COMMIT")) {
          kind = "COMMIT";
        }
        const std::string_view id = observability::CurrentRequestId();
        if (kind.empty() || id == "holder") return;
        std::lock_guard lock(written_mutex_);
        written_under->push_back(std::string(kind) + " " + std::string(id));
      });
    }
    callgate::testing::Gate held;
    const bool postgres = db().dialect() == Dialect::kPostgresql;
    std::thread holder([&] {
      const observability::ScopedRequestId request("holder");
      auto done = db().WithTransaction([&](Session& s) -> Status {
        if (postgres) {
          s.Execute("SELECT id FROM companies WHERE id = :id FOR UPDATE",
                    Params().Add(company_.value));
        } else {
          s.Execute("UPDATE companies SET name = name WHERE id = :id",
                    Params().Add(company_.value));
        }
        held.Arrive();  // open until the events queue behind it
        return Ok();
      });
      EXPECT_TRUE(done.has_value()) << done.error().message;
    });
    if (!held.WaitForArrival()) {
      held.Open();
      holder.join();
      if (written_under != nullptr) SetStatementObserver(nullptr);
      FAIL() << "the holder never held the database";
    }
    auto waiting = [&] { return postgres ? store.waiting() : db().grouped_waiting(); };
    const auto groups_before = store.groups_written();
    std::vector<std::thread> callers;
    std::vector<std::promise<void>> reported(events.size());
    for (std::size_t i = 0; i < events.size(); ++i) {
      const std::string request_id = "req-" + std::to_string(i);
      if (later && i % 2 == 1) {
        // Queued without waiting (allowed where waiting is not); the outcome comes later.
        AttemptMemo memo;
        AttemptScope no_waiting(memo, /*may_block=*/false);
        const observability::ScopedRequestId request(request_id);
        store.RecordWithCallLater(events[i].event, company_, events[i].update,
                                  [&, i](Result<calls::RecordedCallEvent> outcome) {
                                    events[i].outcome = std::move(outcome);
                                    events[i].answered_under = observability::CurrentRequestId();
                                    reported[i].set_value();
                                  });
      } else {
        callers.emplace_back([&, i, request_id] {
          const observability::ScopedRequestId request(request_id);
          events[i].outcome = store.RecordWithCall(events[i].event, company_, events[i].update);
          events[i].answered_under = observability::CurrentRequestId();
          reported[i].set_value();
        });
      }
      // The first one writes (held by the database); each later one waits in its place.
      if (i > 0) {
        WaitUntil([&] { return waiting() == i; });
      } else if (postgres) {
        WaitUntil([&] { return store.groups_written() == groups_before + 1; });
      } else {  // SQLite's group commit counts no groups: give it time to take the write lock
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
    }
    held.Open();
    for (auto& t : callers) t.join();
    for (auto& r : reported) r.get_future().wait();
    holder.join();
    if (written_under != nullptr) SetStatementObserver(nullptr);
  }

  // Waits (at most ~5 s) until `condition` is seen to hold once. It is not asked again: a state
  // the test only has to reach (a count of waiting statements, say) may move on meanwhile.
  static void WaitUntil(const std::function<bool()>& condition) {
    bool met = condition();
    for (int i = 0; i < 5000 && !met; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
      met = condition();
    }
    ASSERT_TRUE(met);
  }

  std::int64_t EventsWithKey(const std::string& dedupe_key) {
    std::int64_t n = -1;
    auto done = db().Run([&](Session& s) -> Status {
      s.Query("COUNT(*) AS n", "FROM webhook_events WHERE dedupe_key = :k",
              Params().Add(dedupe_key), [&](const Row& row) { n = row.Int64("n"); });
      return Ok();
    });
    EXPECT_TRUE(done.has_value());
    return n;
  }

  // A call id recorded for another company.
  void RecordTheirs() {
    SqlCompanyRepository companies(db(), clock_);
    tenancy::Company other;
    other.name = "Salon";
    other.slug = "salon";
    auto created = companies.Create(other);
    ASSERT_TRUE(created.has_value());
    SqlCallRepository repository(db(), clock_);
    calls::CallUpdate theirs;
    theirs.retell_call_id = "theirs";
    theirs.status = "ongoing";
    ASSERT_TRUE(repository.Upsert(created->id, theirs).has_value());
  }

  void ExpectEachWithItsOwnOutcome(bool later);
  void ExpectEachUnderItsOwnRequestId(bool later);

  // Four events of new calls; the third names a branch that does not exist.
  std::vector<Submitted> WithABrokenThird() const {
    std::vector<Submitted> events{
        Event("first", "c0", "ongoing"),
        Event("before", "c1", "ongoing"),
        Event("broken", "c2", "ongoing"),
        Event("after", "c3", "ongoing"),
    };
    events[2].update.branch_id = tenancy::BranchId(987654);
    return events;
  }

  std::mutex written_mutex_;  // RecordHeld's statement observer
};

TEST_P(GroupedEventsTest, EventsArrivingTogetherAreWrittenAsOneGroupEachWithItsOwnOutcome) {
  ExpectEachWithItsOwnOutcome(/*later=*/false);
}

TEST_P(GroupedEventsTest, EventsQueuedLaterShareTheGroupWithWaitingOnesEachWithItsOwnOutcome) {
  ExpectEachWithItsOwnOutcome(/*later=*/true);
}

void GroupedEventsTest::ExpectEachWithItsOwnOutcome(bool later) {
  ASSERT_NO_FATAL_FAILURE(RecordTheirs());
  SqlCallEventStore store(db(), clock_);
  std::vector<Submitted> events{
      Event("first", "c0", "ongoing"),         Event("c1-started", "c1", "ongoing"),
      Event("first", "c9", "ongoing"),       // a redelivery of the first event
      Event("not-ours", "theirs", "ended"),  // another company's call
      Event("c1-ended", "c1", "ended"),      // the same call again, after its start
      Event("c2-started", "c2", "registered"),
  };
  RecordHeld(store, events, later);
  SqlCallRepository repository(db(), clock_);
  for (std::size_t i : {0, 1, 4, 5}) {
    ASSERT_TRUE(events[i].outcome.has_value()) << i << ": " << events[i].outcome.error().message;
    EXPECT_FALSE(events[i].outcome->duplicate) << i;
    auto call = repository.FindByRetellId(company_, events[i].update.retell_call_id);
    ASSERT_TRUE(call.has_value()) << i;
    EXPECT_EQ(call->id, events[i].outcome->call_id) << i;
    EXPECT_EQ(EventsWithKey(events[i].event.dedupe_key), 1) << i;
  }
  EXPECT_EQ(events[1].outcome->call_id, events[4].outcome->call_id);
  EXPECT_EQ(repository.FindByRetellId(company_, "c1").value().status, "ended");
  ASSERT_TRUE(events[2].outcome.has_value());
  EXPECT_TRUE(events[2].outcome->duplicate);
  EXPECT_FALSE(repository.FindByRetellId(company_, "c9").has_value());
  ASSERT_FALSE(events[3].outcome.has_value());
  EXPECT_EQ(events[3].outcome.error().code, ErrorCode::kPermissionDenied);
  EXPECT_EQ(EventsWithKey("not-ours"), 0);  // the event is not kept either
  if (db().dialect() == Dialect::kPostgresql) {
    // The first event alone, then the five that queued behind it in one statement, written
    // by the first caller as a follow-on (no other thread woken to write it).
    EXPECT_EQ(store.groups_written(), 2u);
    EXPECT_EQ(store.events_grouped(), 6u);
    EXPECT_EQ(store.follow_on_groups(), 1u);
  }
}

TEST_P(GroupedEventsTest, AGroupThatFailsIsWrittenAgainOneEventAtATime) {
  SqlCallEventStore store(db(), clock_);
  std::vector<Submitted> events = WithABrokenThird();
  RecordHeld(store, events);
  for (std::size_t i : {0, 1, 3}) {
    ASSERT_TRUE(events[i].outcome.has_value()) << i << ": " << events[i].outcome.error().message;
    EXPECT_FALSE(events[i].outcome->duplicate);
    EXPECT_EQ(EventsWithKey(events[i].event.dedupe_key), 1) << i;
  }
  ASSERT_FALSE(events[2].outcome.has_value());
  EXPECT_EQ(events[2].outcome.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(EventsWithKey("broken"), 0);
  SqlCallRepository repository(db(), clock_);
  EXPECT_FALSE(repository.FindByRetellId(company_, "c2").has_value());
  if (db().dialect() == Dialect::kPostgresql) {
    EXPECT_EQ(store.groups_written(), 2u);  // the group of three failed and was written alone
    EXPECT_EQ(store.events_grouped(), 4u);
  }
}

// A group runs on whichever thread writes it: each event's statements and its answer run under
// the request id of the caller that queued it (log lines name the request they served), and what
// serves several events (a statement, BEGIN and COMMIT) under none — not under the writing
// thread's own.
TEST_P(GroupedEventsTest, EachEventIsWrittenAndAnsweredUnderItsOwnRequestId) {
  ExpectEachUnderItsOwnRequestId(/*later=*/false);
}

TEST_P(GroupedEventsTest, EachEventQueuedLaterIsWrittenAndAnsweredUnderItsOwnRequestId) {
  ExpectEachUnderItsOwnRequestId(/*later=*/true);
}

void GroupedEventsTest::ExpectEachUnderItsOwnRequestId(bool later) {
  SqlCallEventStore store(db(), clock_);
  std::vector<Submitted> events = WithABrokenThird();
  std::vector<std::string> written_under;
  RecordHeld(store, events, later, &written_under);
  for (std::size_t i = 0; i < events.size(); ++i) {
    EXPECT_EQ(events[i].outcome.has_value(), i != 2) << i;
    EXPECT_EQ(events[i].answered_under, "req-" + std::to_string(i)) << i;
  }
  if (db().dialect() == Dialect::kPostgresql) {
    // The first alone; the three behind it in one statement (written by the first caller's
    // thread), which failed (the broken one), then each alone. No transaction around them.
    EXPECT_EQ(written_under, (std::vector<std::string>{"event req-0", "event ", "event req-1",
                                                       "event req-2", "event req-3"}));
  } else {
    // The first in its own transaction; the three behind it in one (written by the writer
    // thread or by the second caller's), each in its savepoint.
    EXPECT_EQ(written_under,
              (std::vector<std::string>{"BEGIN req-0", "event req-0", "COMMIT req-0", "BEGIN ",
                                        "event req-1", "event req-2", "event req-3", "COMMIT "}));
  }
}

// Groups of the store's own are PostgreSQL's (SQLite's are the Database's transactions).
class PostgresGroupedEventsTest : public GroupedEventsTest {};

TEST_P(PostgresGroupedEventsTest, AGroupWhoseConnectionIsLostFailsAllItsCallersWithoutWritingAny) {
  SqlCallEventStore store(db(), clock_);
  {  // a call whose row the test will hold, so the group's statement waits inside it
    auto first = store.RecordWithCall(CallStarted("held-call-started"), company_,
                                      Event("", "held", "ongoing").update);
    ASSERT_TRUE(first.has_value()) << first.error().message;
  }
  callgate::testing::Gate call_held;
  std::thread call_holder([&] {
    auto done = db().WithTransaction([&](Session& s) -> Status {
      s.Execute("SELECT id FROM calls WHERE retell_call_id = 'held' FOR UPDATE");
      call_held.Arrive();  // open until the group's connection is gone
      return Ok();
    });
    EXPECT_TRUE(done.has_value()) << done.error().message;
  });
  if (!call_held.WaitForArrival()) {
    call_held.Open();
    call_holder.join();
    FAIL() << "the call's row was never held";
  }
  std::vector<Submitted> events{
      Event("first", "c0", "ongoing"),
      Event("held-call-ended", "held", "ended"),  // waits for the held row
      Event("next", "c2", "ongoing"),
      Event("last", "c3", "ongoing"),
  };
  // The first alone, then the three together, whose statement waits on the held call; the
  // test ends that statement's connection from outside. (The held call's start was group 1.)
  std::thread killer([&] {
    WaitUntil([&] { return store.groups_written() == 3; });
    std::int64_t killed = 0;
    for (int i = 0; i < 5000 && killed == 0; ++i) {
      auto done = db().Run([&](Session& s) -> Status {
        s.Query("COUNT(pg_terminate_backend(pid)) AS n",
                "FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND "
                "query LIKE '%callgate_record_call_events%'",
                {}, [&](const Row& row) { killed = row.Int64("n"); });
        return Ok();
      });
      ASSERT_TRUE(done.has_value()) << done.error().message;
      if (killed == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    EXPECT_EQ(killed, 1);
  });
  RecordHeld(store, events);
  killer.join();
  call_held.Open();
  call_holder.join();
  ASSERT_TRUE(events[0].outcome.has_value()) << events[0].outcome.error().message;
  for (std::size_t i : {1, 2, 3}) {
    ASSERT_FALSE(events[i].outcome.has_value()) << i;
    EXPECT_EQ(events[i].outcome.error().code, ErrorCode::kUnavailable) << i;
    // Not written again one at a time: nothing of the group was stored.
    EXPECT_EQ(EventsWithKey(events[i].event.dedupe_key), 0) << i;
  }
  EXPECT_EQ(store.groups_written(), 3u);
  SqlCallRepository repository(db(), clock_);
  EXPECT_EQ(repository.FindByRetellId(company_, "held").value().status, "ongoing");
}

TEST_P(PostgresGroupedEventsTest,
       GroupsOfTwoInstancesTakingTheSameCallsInOppositeOrdersBothCommit) {
  // Two instances (two Databases, two stores) each write a group of events of the calls "a"
  // and "b", which arrived in opposite orders. The test holds both calls' rows until both
  // groups wait, then lets "a" go before "b": in arrival order, one group would hold "a" and
  // wait for "b" while the other held "b" and waited for "a" — a deadlock, which PostgreSQL
  // ends after a second by failing one group's webhooks. Both groups lock in call-id order.
  DatabaseOptions second_options;
  second_options.keyring = crypto::testing::TestKeyring();
  auto second = Database::Open(db().url(), second_options);
  ASSERT_TRUE(second.has_value()) << second.error().message;
  SqlCallEventStore one(db(), clock_);
  SqlCallEventStore two(**second, clock_);
  for (const char* call : {"a", "b"}) {
    auto started = one.RecordWithCall(CallStarted(std::string("start-") + call), company_,
                                      Event("", call, "ongoing").update);
    ASSERT_TRUE(started.has_value()) << started.error().message;
  }
  // A transaction on `database` that holds `sql` until its gate is opened; joined when it ends.
  struct Holder {
    callgate::testing::Gate gate;
    std::thread thread;
    ~Holder() {
      gate.Open();
      if (thread.joinable()) thread.join();
    }
  };
  auto hold = [&](Database& database, std::string sql, Holder& h) {
    h.thread = std::thread([&database, sql, &h] {
      auto done = database.WithTransaction([&](Session& s) -> Status {
        s.Execute(sql);
        h.gate.Arrive();
        return Ok();
      });
      EXPECT_TRUE(done.has_value()) << done.error().message;
    });
    return h.gate.WaitForArrival();
  };
  Holder company, call_a, call_b;
  ASSERT_TRUE(hold(
      db(), "SELECT id FROM companies WHERE id = " + std::to_string(company_.value) + " FOR UPDATE",
      company));
  ASSERT_TRUE(hold(db(), "SELECT id FROM calls WHERE retell_call_id = 'a' FOR UPDATE", call_a));
  ASSERT_TRUE(hold(**second, "SELECT id FROM calls WHERE retell_call_id = 'b' FOR UPDATE", call_b));

  // Each store: a first event held by the company's row, then two queued behind it, which
  // its caller writes next as one group.
  std::vector<Submitted> events{
      Event("one-first", "c1", "ongoing"), Event("one-a", "a", "ended"),
      Event("one-b", "b", "ended"),        Event("two-first", "c2", "ongoing"),
      Event("two-b", "b", "ended"),        Event("two-a", "a", "ended"),
  };
  std::vector<std::thread> callers;
  auto record = [&](SqlCallEventStore& store, std::size_t i) {
    callers.emplace_back([&, i] {
      events[i].outcome = store.RecordWithCall(events[i].event, company_, events[i].update);
    });
  };
  // events[first] starts a group (held by the company's row), the next two queue behind it.
  auto queue_group = [&](SqlCallEventStore& store, std::size_t first) {
    const auto before = store.groups_written();
    record(store, first);
    WaitUntil([&] { return store.groups_written() == before + 1; });
    for (std::size_t queued = 1; queued <= 2; ++queued) {
      record(store, first + queued);
      WaitUntil([&] { return store.waiting() == queued; });
    }
    return before;
  };
  const auto one_before = queue_group(one, 0);
  const auto two_before = queue_group(two, 3);

  auto waiting_for_locks = [&] {
    std::int64_t n = -1;
    auto done = db().Run([&](Session& s) -> Status {
      s.Query("COUNT(*) AS n",
              "FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND "
              "query LIKE '%callgate_record_call_events%'",
              {}, [&](const Row& row) { n = row.Int64("n"); });
      return Ok();
    });
    EXPECT_TRUE(done.has_value());
    return n;
  };
  company.gate.Open();
  company.thread.join();
  WaitUntil([&] { return one.groups_written() == one_before + 2; });
  WaitUntil([&] { return two.groups_written() == two_before + 2; });
  WaitUntil([&] { return waiting_for_locks() == 2; });  // both groups wait on a held call
  call_a.gate.Open();
  call_a.thread.join();
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  call_b.gate.Open();
  call_b.thread.join();
  for (auto& t : callers) t.join();

  for (std::size_t i = 0; i < events.size(); ++i) {
    ASSERT_TRUE(events[i].outcome.has_value()) << i << ": " << events[i].outcome.error().message;
    EXPECT_FALSE(events[i].outcome->duplicate) << i;
    EXPECT_EQ(EventsWithKey(events[i].event.dedupe_key), 1) << i;
  }
  EXPECT_EQ(one.events_grouped() + two.events_grouped(), 2u + 6u);
}

TEST_P(GroupedEventsTest, QueuedLaterInsideATransactionTheEventIsWrittenAtOnceAndPartOfIt) {
  SqlCallEventStore store(db(), clock_);
  const Submitted e = Event("rolled-back", "c1", "ongoing");
  bool reported = false;
  auto done = db().WithTransaction([&](Session&) -> Status {
    Status outcome = Fail(ErrorCode::kInternal, "not reported");
    store.RecordWithCallLater(e.event, company_, e.update,
                              [&](Result<calls::RecordedCallEvent> recorded) {
                                reported = true;
                                if (!recorded)
                                  outcome = tl::unexpected(recorded.error());
                                else
                                  outcome = Ok();
                              });
    EXPECT_TRUE(reported);  // before it returned
    if (!outcome) return outcome;
    return Fail(ErrorCode::kInternal, "the caller gives up");
  });
  ASSERT_FALSE(done.has_value());
  EXPECT_EQ(done.error().message, "the caller gives up");
  EXPECT_EQ(EventsWithKey("rolled-back"), 0);
  EXPECT_EQ(store.groups_written(), 0u);
}

TEST_P(GroupedEventsTest, InsideATransactionTheEventIsPartOfIt) {
  SqlCallEventStore store(db(), clock_);
  const Submitted e = Event("rolled-back", "c1", "ongoing");
  const auto& event = e.event;
  const auto& u = e.update;
  auto done = db().WithTransaction([&](Session&) -> Status {
    auto recorded = store.RecordWithCall(event, company_, u);
    if (!recorded) return tl::unexpected(recorded.error());
    return Fail(ErrorCode::kInternal, "the caller gives up");
  });
  ASSERT_FALSE(done.has_value());
  EXPECT_EQ(EventsWithKey("rolled-back"), 0);
  SqlCallRepository repository(db(), clock_);
  EXPECT_FALSE(repository.FindByRetellId(company_, "c1").has_value());
  EXPECT_EQ(store.groups_written(), 0u);
}

INSTANTIATE_TEST_SUITE_P(Backends, GroupedEventsTest, testing::AllBackendsAndPgBouncer(),
                         testing::BackendName);
INSTANTIATE_TEST_SUITE_P(Backends, PostgresGroupedEventsTest,
                         ::testing::Values(std::string("postgresql"), std::string("pgbouncer")),
                         testing::BackendName);

INSTANTIATE_TEST_SUITE_P(Backends, CallEventStoreTest, testing::AllBackendsAndPgBouncer(),
                         testing::BackendName);

}  // namespace
}  // namespace callgate::storage
