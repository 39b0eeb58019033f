// ToolRunner: one run of a table tool for a resolved call — access rule, typed arguments, limit
// classes, the use case and the cached call context — against the in-memory two-company world.
#include "agent/tool_runner.hpp"

#include <gtest/gtest.h>

#include "booking/testing/in_memory.hpp"
#include "core/blocking.hpp"
#include "ratelimit/local_rate_limiter.hpp"

namespace callgate::agent {
namespace {

using nlohmann::json;
using tenancy::CompanyId;

class ToolRunnerTest : public ::testing::Test {
 protected:
  booking::testing::TwoCompanyWorld world;
  ratelimit::LocalRateLimiter limiter{world.clock};
  ToolLimits limits{{3, std::chrono::minutes(1)}, {2, std::chrono::minutes(1)}};
  ToolRunner runner{world.contexts, world.booking, world.metrics, &limiter, limits};
  std::vector<CompanyId> writes;

  void SetUp() override {
    world.scope.on_write = [this](CompanyId id) { writes.push_back(id); };
  }

  booking::CallContext Context(const std::string& call_id = "call_fuzz_1") {
    auto ctx = world.contexts.Resolve(call_id, std::nullopt);
    EXPECT_TRUE(ctx) << call_id;
    return *ctx;
  }

  ToolRun Run(std::string_view tool, json args, bool known_call = true,
              const std::string& call_id = "call_fuzz_1") {
    ToolCall call;
    call.tool = FindTool(tool);
    EXPECT_NE(call.tool, nullptr) << tool;
    call.args = std::move(args);
    call.scope = call_id;
    call.known_call = known_call;
    call.platform = "test";
    return runner.Run(Context(call_id), call);
  }

  double Counted(const std::string& tool, const std::string& outcome) {
    return world.metrics.Value("callgate_agent_tool_total",
                               {{"platform", "test"}, {"tool", tool}, {"outcome", outcome}});
  }
};

TEST_F(ToolRunnerTest, RunsTheToolsUseCaseForTheCallsCompany) {
  auto run =
      Run("check-availability", {{"service", "Beratung"}, {"date", "morgen"}, {"time", "10 Uhr"}});
  ASSERT_TRUE(run.answer) << run.answer.error().message;
  EXPECT_TRUE(run.answer->success);
  EXPECT_EQ(run.answer->data.value("available", false), true) << run.answer->data.dump();
  EXPECT_FALSE(run.limited);
  EXPECT_EQ(Counted("check-availability", "success"), 1);
}

TEST_F(ToolRunnerTest, CallerDataToolsNeedACallThePlatformSigned) {
  for (const char* tool : {"cancel-appointment", "reschedule-appointment",
                           "query-customer-appointments", "collect-customer-info"}) {
    auto run = Run(tool, {{"new_date", "Freitag"}, {"new_time", "9 Uhr"}}, /*known_call=*/false);
    ASSERT_FALSE(run.answer) << tool;
    EXPECT_EQ(run.answer.error().code, ErrorCode::kPermissionDenied) << tool;
  }
  EXPECT_TRUE(writes.empty());
  EXPECT_TRUE(world.calendar.cancelled.empty());
  // The offer and a new booking work without one.
  EXPECT_TRUE(Run("list-services", json::object(), false).answer);
  auto booked = Run(
      "book-appointment",
      {{"service", "Beratung"}, {"date", "morgen"}, {"time", "11 Uhr"}, {"name", "Erika Muster"}},
      false);
  ASSERT_TRUE(booked.answer) << booked.answer.error().message;
  EXPECT_TRUE(booked.answer->success) << booked.answer->message;
}

// A client whose token may only read reaches every tool that changes nothing and none that
// changes data: each of those is refused before its arguments are read, and nothing is written,
// booked or cancelled. Which tools change data is the table's (ToolSpec::read_only).
TEST_F(ToolRunnerTest, AReadOnlyClientRunsOnlyToolsThatChangeNothing) {
  const json args = {{"service", "Beratung"},  {"date", "morgen"},      {"time", "11 Uhr"},
                     {"name", "Erika Muster"}, {"new_date", "Freitag"}, {"new_time", "9 Uhr"},
                     {"topic", "Rückruf"}};
  int refused = 0;
  for (const ToolSpec& tool : Tools()) {
    ToolCall call;
    call.tool = &tool;
    call.args = args;
    call.scope = "call_fuzz_1";
    call.platform = "test";
    call.may_write = false;
    const ToolRun run = runner.Run(Context(), call);
    if (tool.read_only) {
      EXPECT_TRUE(run.answer) << tool.name << ": " << run.answer.error().message;
      continue;
    }
    ++refused;
    ASSERT_FALSE(run.answer) << tool.name;
    EXPECT_EQ(run.answer.error().code, ErrorCode::kPermissionDenied) << tool.name;
    EXPECT_NE(run.answer.error().message.find("may only read"), std::string::npos) << tool.name;
    EXPECT_EQ(Counted(std::string(tool.name), "read_only_token"), 1) << tool.name;
  }
  EXPECT_GE(refused, 5);  // booking, collecting, cancelling, moving, callbacks
  EXPECT_TRUE(writes.empty());
  EXPECT_TRUE(world.calendar.created.empty());
  EXPECT_TRUE(world.calendar.cancelled.empty());
  // The same client with a token that may write books.
  auto booked = Run("book-appointment", args);
  ASSERT_TRUE(booked.answer) << booked.answer.error().message;
  EXPECT_TRUE(booked.answer->success) << booked.answer->message;
}

TEST_F(ToolRunnerTest, UnusableArgumentsAreAClearErrorAndRunNothing) {
  auto run = Run("book-appointment", {{"date", {{"day", 1}}}, {"time", "10"}, {"name", "E"}});
  ASSERT_FALSE(run.answer);
  EXPECT_EQ(run.answer.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(run.answer.error().message.find("'date'"), std::string::npos);
  EXPECT_TRUE(world.calendar.created.empty());
  EXPECT_TRUE(writes.empty());
  auto not_object = Run("check-availability", json::array({1, 2}));
  ASSERT_FALSE(not_object.answer);
  EXPECT_EQ(not_object.answer.error().code, ErrorCode::kInvalidArgument);
}

TEST_F(ToolRunnerTest, PerToolLimitIsPerCompanyAndTool) {
  for (int i = 0; i < 3; ++i) EXPECT_FALSE(Run("list-services", json::object()).limited);
  auto limited = Run("list-services", json::object());
  ASSERT_TRUE(limited.limited);
  ASSERT_FALSE(limited.answer);
  EXPECT_EQ(limited.answer.error().code, ErrorCode::kRateLimited);
  EXPECT_GT(limited.limited->retry_after.count(), 0);
  // Another tool and another company have their own buckets.
  EXPECT_FALSE(Run("get-branches", json::object()).limited);
  EXPECT_FALSE(Run("list-services", json::object(), true, "call_fuzz_2").limited);
}

// An agent API (MCP) spends buckets of its own: a client that uses its allowance up is
// refused, a caller of the same company on the phone is not — and the other way round.
TEST_F(ToolRunnerTest, AnAgentApiAndThePhoneLineHaveSeparateAllowances) {
  const auto run = [&](ToolCall::Channel channel, std::string_view tool, json args) {
    ToolCall call;
    call.tool = FindTool(tool);
    call.args = std::move(args);
    call.scope = "call_fuzz_1";
    call.platform = "test";
    call.channel = channel;
    return runner.Run(Context(), call);
  };
  const json book = {{"service", "Beratung"}, {"date", "morgen"}};
  for (int i = 0; i < 3; ++i) {
    EXPECT_FALSE(run(ToolCall::Channel::kAgentApi, "list-services", json::object()).limited);
  }
  EXPECT_TRUE(run(ToolCall::Channel::kAgentApi, "list-services", json::object()).limited);
  for (int i = 0; i < 2; ++i) {
    EXPECT_FALSE(run(ToolCall::Channel::kAgentApi, "book-appointment", book).limited);
  }
  EXPECT_TRUE(run(ToolCall::Channel::kAgentApi, "book-appointment", book).limited);

  for (int i = 0; i < 3; ++i) {
    EXPECT_FALSE(run(ToolCall::Channel::kPhone, "list-services", json::object()).limited) << i;
  }
  EXPECT_TRUE(run(ToolCall::Channel::kPhone, "list-services", json::object()).limited);
  for (int i = 0; i < 2; ++i) {
    EXPECT_FALSE(run(ToolCall::Channel::kPhone, "book-appointment", book).limited) << i;
  }
  EXPECT_TRUE(run(ToolCall::Channel::kPhone, "book-appointment", book).limited);
}

// The server tries a request on the I/O thread in an attempt that may not wait, and runs it again
// on a handler thread when it would (core/blocking.hpp). The attempt is charged only once its
// answer is ready, so neither an attempt that stops nor its retry spends the allowance twice.
TEST_F(ToolRunnerTest, AnAttemptThatWouldWaitIsNotChargedAndItsRetryIsChargedOnce) {
  world.calendar.waits = true;
  const json args = {{"service", "Beratung"}, {"date", "morgen"}};
  // Attempts whose retries never ran (the server refused them with a full queue): no charge.
  for (int attempt = 0; attempt < 5; ++attempt) {
    AttemptMemo memo;
    AttemptScope scope(memo, /*may_block=*/false);
    EXPECT_THROW(Run("check-availability", args), WouldBlock) << attempt;
  }
  for (int request = 0; request < 3; ++request) {
    AttemptMemo memo;
    {
      AttemptScope attempt(memo, /*may_block=*/false);
      EXPECT_THROW(Run("check-availability", args), WouldBlock) << request;
    }
    AttemptScope retry(memo, /*may_block=*/true);
    const ToolRun run = Run("check-availability", args);
    EXPECT_FALSE(run.limited) << request;
    EXPECT_TRUE(run.answer) << request;
  }
  // Three requests used the allowance of three; the fourth is refused.
  EXPECT_TRUE(Run("check-availability", args).limited);
}

TEST_F(ToolRunnerTest, AnAnswerFromMemoryIsChargedOnceItIsReady) {
  const json args = {{"service", "Beratung"}, {"date", "morgen"}};
  for (int request = 0; request < 3; ++request) {
    AttemptMemo memo;
    AttemptScope attempt(memo, /*may_block=*/false);
    const ToolRun run = Run("check-availability", args);
    EXPECT_FALSE(run.limited) << request;
    EXPECT_TRUE(run.answer) << request;
  }
  AttemptMemo memo;
  AttemptScope attempt(memo, /*may_block=*/false);
  const ToolRun refused = Run("check-availability", args);
  ASSERT_TRUE(refused.limited);
  ASSERT_FALSE(refused.answer);
  EXPECT_EQ(refused.answer.error().code, ErrorCode::kRateLimited);
  EXPECT_EQ(Counted("check-availability", "rate_limited"), 1);
  EXPECT_EQ(Counted("check-availability", "success"), 3);
}

TEST_F(ToolRunnerTest, BookingLimitIsKeyedByTheResolvedServiceWhateverItsSpelling) {
  // Beratung is service 100: its name, another case, a synonym and its id share one bucket.
  EXPECT_FALSE(Run("book-appointment", {{"service", "Beratung"}, {"date", "morgen"}}).limited);
  EXPECT_FALSE(Run("book-appointment", {{"service", "beratung"}, {"date", "morgen"}}).limited);
  EXPECT_TRUE(Run("book-appointment", {{"service_id", "100"}, {"date", "morgen"}}).limited);
  EXPECT_TRUE(Run("collect-appointment-data",
                  {{"service", "Erstgespräch"}, {"date", "morgen"}, {"confirm", "ja"}})
                  .limited);
  // Without confirm, collect-appointment-data only checks: the per-tool limit applies.
  EXPECT_FALSE(
      Run("collect-appointment-data", {{"service", "Beratung"}, {"date", "morgen"}}).limited);
  // Another service has its own bucket.
  EXPECT_FALSE(Run("book-appointment", {{"service", "Zahnreinigung"}, {"date", "morgen"}}).limited);
}

TEST_F(ToolRunnerTest, ARetriedBookingAnswersTheSameAndBooksOnce) {
  const json args = {{"service", "Beratung"}, {"date", "morgen"}, {"time", "14 Uhr"}};
  auto first = Run("book-appointment", args);
  auto again = Run("book-appointment", args);
  ASSERT_TRUE(first.answer && again.answer);
  EXPECT_TRUE(first.answer->success) << first.answer->message;
  EXPECT_EQ(again.answer->data.value("idempotent_replay", false), true);
  EXPECT_EQ(first.answer->data["appointment_id"], again.answer->data["appointment_id"]);
  EXPECT_EQ(world.calendar.created.size(), 1u);
  // The summary (no confirm) and the confirming call book what was summarised, once.
  auto summary = Run("collect-appointment-data",
                     {{"service", "Beratung"}, {"date", "morgen"}, {"time", "15 Uhr"}});
  ASSERT_TRUE(summary.answer);
  EXPECT_EQ(summary.answer->data.value("needs_confirmation", false), true);
  EXPECT_EQ(world.calendar.created.size(), 1u);
  world.clock.Advance(std::chrono::minutes(1));  // a new minute of the booking limit
  auto confirmed =
      Run("collect-appointment-data",
          {{"service", "Beratung"}, {"date", "morgen"}, {"time", "15 Uhr"}, {"confirm", true}});
  ASSERT_TRUE(confirmed.answer);
  EXPECT_TRUE(confirmed.answer->success) << confirmed.answer->message;
  EXPECT_EQ(world.calendar.created.size(), 2u);
}

TEST_F(ToolRunnerTest, CollectCustomerInfoUpdatesTheCallsCachedContext) {
  // Call 2 of company 2 has a known caller; rename them and the next context sees the new name.
  auto run = Run("collect-customer-info", {{"name", "Erika Nordlicht-Neu"}}, true, "call_fuzz_2");
  ASSERT_TRUE(run.answer);
  auto ctx = world.contexts.Resolve("call_fuzz_2", std::nullopt);
  ASSERT_TRUE(ctx && ctx->customer);
  EXPECT_EQ(ctx->customer->name, "Erika Nordlicht-Neu");
  for (CompanyId id : writes) EXPECT_EQ(id, CompanyId(2));
}

TEST_F(ToolRunnerTest, CancelTouchesOnlyTheCallersOwnAppointment) {
  // Company 2's appointment (id 701) is not reachable from company 1's call.
  auto foreign = Run("cancel-appointment", {{"appointment_id", "701"}});
  ASSERT_FALSE(foreign.answer);
  EXPECT_EQ(foreign.answer.error().code, ErrorCode::kPermissionDenied);
  EXPECT_TRUE(world.calendar.cancelled.empty());
  auto own = Run("cancel-appointment", {{"reason", "krank"}});
  ASSERT_TRUE(own.answer) << own.answer.error().message;
  EXPECT_TRUE(own.answer->success) << own.answer->message;
  EXPECT_EQ(world.calendar.cancelled, std::vector<std::string>{"uid-sonnenschein"});
  for (CompanyId id : writes) EXPECT_EQ(id, CompanyId(1));
}

TEST_F(ToolRunnerTest, AStorageErrorsTextIsNeverAnswered) {
  world.customers.write_error =
      Error{ErrorCode::kAlreadyExists,
            "database: UNIQUE constraint failed: customers.phone_e164 (+4915112345678)"};
  auto run = Run("collect-customer-info", {{"name", "Jürgen Weiß"}}, true, "call_fuzz_2");
  ASSERT_FALSE(run.answer);
  EXPECT_EQ(run.answer.error().code, ErrorCode::kAlreadyExists);
  EXPECT_EQ(run.answer.error().message.find("database"), std::string::npos);
  EXPECT_EQ(run.answer.error().message.find("+49"), std::string::npos);
  // The use case's own refusals keep their message.
  auto foreign = Run("cancel-appointment", {{"appointment_id", "701"}});
  ASSERT_FALSE(foreign.answer);
  EXPECT_EQ(foreign.answer.error().message, "appointment not accessible");
}

TEST(RenderJson, ShortensTheLongestListFirstAndStaysUnderTheCap) {
  ToolOutcome outcome{true, "Ich habe viele Termine.", json::object(), std::nullopt};
  outcome.data["slots"] = json::array();
  for (int i = 0; i < 2000; ++i) outcome.data["slots"].push_back("2026-12-01T10:00:00Z");
  outcome.data["service"] = "Beratung";
  const std::string text = RenderJson(outcome, 1000);
  EXPECT_LE(text.size(), 1000u);
  const auto body = json::parse(text);
  EXPECT_EQ(body["truncated"], true);
  EXPECT_EQ(body["message"], outcome.message);
  EXPECT_EQ(body["service"], "Beratung");
  EXPECT_FALSE(body["slots"].empty());
  const auto small = json::parse(RenderJson(ToolOutcome{false, "Nein.", {{"x", 1}}, std::nullopt}));
  EXPECT_EQ(small, (json{{"x", 1}, {"success", false}, {"message", "Nein."}}));
}

}  // namespace
}  // namespace callgate::agent
