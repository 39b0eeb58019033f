// The tools/list result MCP clients get: the shared table's definitions plus `branch`.
#include "mcp/agent_tools.hpp"

#include <gtest/gtest.h>

#include "booking/testing/in_memory.hpp"
#include "ratelimit/local_rate_limiter.hpp"

namespace callgate::mcp {
namespace {

TEST(McpToolList, EveryToolOfTheTableWithBranchWhereNoCallGivesOne) {
  const nlohmann::json list = McpToolList();
  ASSERT_EQ(list["tools"].size(), agent::Tools().size());
  for (const auto& tool : list["tools"]) {
    const std::string name = tool["name"];
    const agent::ToolSpec* spec = agent::FindTool(name);
    ASSERT_NE(spec, nullptr) << name;
    EXPECT_EQ(tool["inputSchema"]["type"], "object") << name;
    EXPECT_EQ(tool["annotations"]["readOnlyHint"], spec->read_only) << name;
    EXPECT_EQ(tool["annotations"]["destructiveHint"], spec->destructive) << name;
    const bool has_branch = tool["inputSchema"].contains("properties") &&
                            tool["inputSchema"]["properties"].contains("branch");
    const bool caller_data = spec->access == agent::ToolAccess::kCallerData;
    EXPECT_EQ(has_branch, !caller_data && spec->name != "get-branches") << name;
    EXPECT_EQ(tool["description"].get<std::string>().find("X-Call-Id") != std::string::npos,
              caller_data)
        << name;
  }
}

// The gateway's calls spend the agent API's allowance: an MCP client that uses its limit up is
// refused, while the company's phone line (the same runner, a Retell call) still has its own.
TEST(GatewayLimitsTest, AClientThatUsesItsLimitUpLeavesThePhoneLinesAllowance) {
  booking::testing::TwoCompanyWorld world;
  ratelimit::LocalRateLimiter limiter{world.clock};
  agent::ToolRunner runner{
      world.contexts, world.booking, world.metrics, &limiter,
      agent::ToolLimits{{2, std::chrono::minutes(1)}, {1, std::chrono::minutes(1)}}};
  AgentToolGateway gateway{runner, world.contexts, world.companies, world.branches, world.clock};
  ToolRequest request;
  request.company = tenancy::CompanyId(1);
  request.session_id = "session-1";
  request.name = "list-services";
  for (int i = 0; i < 2; ++i) {
    auto allowed = gateway.Call(request);
    ASSERT_TRUE(allowed) << allowed.error().message;
    EXPECT_FALSE(allowed->is_error) << allowed->text;
  }
  auto refused = gateway.Call(request);
  ASSERT_TRUE(refused) << refused.error().message;
  EXPECT_TRUE(refused->is_error);
  EXPECT_EQ(refused->structured["error"], "rate_limited") << refused->text;

  auto ctx = world.contexts.Resolve("call_fuzz_1", std::nullopt);
  ASSERT_TRUE(ctx);
  ASSERT_EQ(ctx->company.id, tenancy::CompanyId(1));
  agent::ToolCall phone;
  phone.tool = agent::FindTool("list-services");
  phone.scope = "call_fuzz_1";
  phone.platform = "retell";
  EXPECT_FALSE(runner.Run(*ctx, phone).limited);
  EXPECT_FALSE(runner.Run(*ctx, phone).limited);
  EXPECT_TRUE(runner.Run(*ctx, phone).limited);
}

}  // namespace
}  // namespace callgate::mcp

// ---- AgentToolGateway against the in-memory two-company world ----
// The agent token is company 1's ("Praxis Sonnenschein"); company 2's names all contain
// "Nordlicht". Calls call_fuzz_1 (company 1) and call_fuzz_2 (company 2) are ongoing.

namespace callgate::mcp {
namespace {

using nlohmann::json;

class GatewayTest : public ::testing::Test {
 protected:
  booking::testing::TwoCompanyWorld world;
  agent::ToolRunner runner{world.contexts, world.booking, world.metrics};
  AgentToolGateway gateway{runner, world.contexts, world.companies, world.branches, world.clock};
  std::vector<tenancy::CompanyId> writes;

  void SetUp() override {
    world.scope.on_write = [this](tenancy::CompanyId id) { writes.push_back(id); };
    for (auto& call : world.calls.rows)
      call.started_at = world.clock.Now() - std::chrono::minutes(3);
  }

  ToolRequest Request(std::string tool, json arguments = json::object(),
                      std::optional<std::string> call_id = std::nullopt) {
    ToolRequest r;
    r.company = tenancy::CompanyId(1);
    r.session_id = "session-1";
    r.call_id = std::move(call_id);
    r.name = std::move(tool);
    r.arguments = std::move(arguments);
    return r;
  }

  ToolResult Call(const ToolRequest& request) {
    auto result = gateway.Call(request);
    EXPECT_TRUE(result) << result.error().message;
    return result ? *result : ToolResult{};
  }

  static bool MentionsOtherCompany(const ToolResult& r) {
    return r.text.find("Nordlicht") != std::string::npos ||
           r.structured.dump().find("Nordlicht") != std::string::npos;
  }
};

TEST_F(GatewayTest, AnOfferToolRunsForTheTokensCompanyWithoutACall) {
  auto r = Call(Request("check-availability",
                        {{"service", "Beratung"}, {"date", "morgen"}, {"time", "10 Uhr"}}));
  EXPECT_FALSE(r.is_error) << r.text;
  EXPECT_EQ(r.structured["available"], true) << r.text;
  ASSERT_FALSE(world.calendar.queries.empty());
  EXPECT_EQ(world.calendar.queries.back().account.api_key.Reveal(), "cal_sonnenschein");
  // Asked as an agent API's client: it takes from that share of the account's budget.
  EXPECT_EQ(world.calendar.queries.back().account.channel, booking::Channel::kAgentApi);
}

// A read-only client hears so before anything else is asked of it (which branch, which call),
// for every tool that changes data, and nothing is written.
TEST_F(GatewayTest, AReadOnlyClientIsToldSoFirst) {
  for (const agent::ToolSpec& tool : agent::Tools()) {
    if (tool.read_only) continue;
    auto request = Request(std::string(tool.name), json::object());
    request.may_write = false;
    auto refused = Call(request);
    EXPECT_TRUE(refused.is_error) << tool.name;
    EXPECT_EQ(refused.structured.value("error", ""), "read_only_token") << refused.text;
  }
  EXPECT_TRUE(writes.empty());
  EXPECT_TRUE(world.calendar.created.empty());
}

// With a known call too, what an MCP client asks of the calendar is the agent API's; the same
// call's function calls on the phone line are the phone line's.
TEST_F(GatewayTest, TheCalendarIsAskedAsTheAgentApiAlsoForAKnownCall) {
  auto booked = Call(Request(
      "book-appointment",
      {{"service", "Beratung"}, {"date", "morgen"}, {"time", "11 Uhr"}, {"name", "Erika Muster"}},
      "call_fuzz_1"));
  EXPECT_FALSE(booked.is_error) << booked.text;
  ASSERT_FALSE(world.calendar.created.empty()) << booked.text;
  EXPECT_EQ(world.calendar.created.back().account.channel, booking::Channel::kAgentApi);
  auto ctx = world.contexts.Resolve("call_fuzz_1", std::nullopt);
  ASSERT_TRUE(ctx.has_value());
  EXPECT_EQ(ctx->channel, booking::Channel::kPhoneLine);
  const auto run = runner.Run(*ctx, [] {
    agent::ToolCall call;
    call.tool = agent::FindTool("check-availability");
    call.args = {{"service", "Beratung"}, {"date", "morgen"}, {"time", "10 Uhr"}};
    call.scope = "call_fuzz_1";
    return call;
  }());
  ASSERT_TRUE(run.answer) << run.answer.error().message;
  ASSERT_FALSE(world.calendar.queries.empty());
  EXPECT_EQ(world.calendar.queries.back().account.channel, booking::Channel::kPhoneLine);
}

TEST_F(GatewayTest, AnotherCompanysCallIdIsUnknown) {
  auto r = Call(Request("query-customer-appointments", json::object(), "call_fuzz_2"));
  EXPECT_TRUE(r.is_error);
  EXPECT_EQ(r.structured["error"], "unknown_call") << r.text;
  EXPECT_FALSE(MentionsOtherCompany(r)) << r.text;
  auto cancel = Call(Request("cancel-appointment", {{"appointment_id", "701"}}, "call_fuzz_2"));
  EXPECT_EQ(cancel.structured["error"], "unknown_call") << cancel.text;
  EXPECT_TRUE(world.calendar.cancelled.empty());
  EXPECT_TRUE(writes.empty());
}

// The client chooses the header: an id no call can have is answered like an unknown call, not
// as an outage (which would also write an error line per request).
TEST_F(GatewayTest, AnOverlongCallIdIsAnUnknownCall) {
  for (const auto& id : {std::string(129, 'x'), std::string(100'000, 'c')}) {
    auto r = Call(Request("query-customer-appointments", json::object(), id));
    EXPECT_TRUE(r.is_error);
    EXPECT_EQ(r.structured["error"], "unknown_call") << r.text;
  }
}

TEST_F(GatewayTest, AnOldCallNoLongerOpensTheCallersData) {
  world.calls.rows[0].started_at = world.clock.Now() - std::chrono::hours(8);
  world.calls.rows[0].ended_at = world.clock.Now() - std::chrono::hours(3);
  auto r = Call(Request("query-customer-appointments", json::object(), "call_fuzz_1"));
  EXPECT_EQ(r.structured["error"], "unknown_call") << r.text;
  EXPECT_EQ(r.text.find("Jürgen"), std::string::npos) << r.text;
}

// A call stored with an absurd time (a signed webhook can carry any number) is simply not
// recent; comparing it with now must not overflow.
TEST_F(GatewayTest, ACallWithAnAbsurdTimeIsNotRecent) {
  using std::chrono::milliseconds;
  world.calls.rows[0].started_at = SystemTimePoint{milliseconds(INT64_MIN)};
  auto r = Call(Request("query-customer-appointments", json::object(), "call_fuzz_1"));
  EXPECT_EQ(r.structured["error"], "unknown_call") << r.text;
  world.calls.rows[0].ended_at = SystemTimePoint{milliseconds(INT64_MIN)};
  r = Call(Request("query-customer-appointments", json::object(), "call_fuzz_1"));
  EXPECT_EQ(r.structured["error"], "unknown_call") << r.text;
}

TEST_F(GatewayTest, ARecentlyEndedCallStillOpensOnlyItsCallersData) {
  world.calls.rows[0].ended_at = world.clock.Now() - std::chrono::minutes(30);
  auto recent = Call(Request("query-customer-appointments", json::object(), "call_fuzz_1"));
  EXPECT_FALSE(recent.is_error) << recent.text;
  ASSERT_EQ(recent.structured["appointments"].size(), 1u) << recent.text;
  EXPECT_EQ(recent.structured["appointments"][0]["id"], 700);
}

TEST_F(GatewayTest, TheCallersOwnDataNeedsACall) {
  auto r = Call(Request("cancel-appointment", {{"appointment_id", "700"}}));
  EXPECT_TRUE(r.is_error);
  EXPECT_EQ(r.structured["error"], "call_required") << r.text;
  EXPECT_TRUE(world.calendar.cancelled.empty());
}

TEST_F(GatewayTest, AnotherCompanysAppointmentCannotBeCancelledFromOwnCall) {
  auto r = Call(Request("cancel-appointment", {{"appointment_id", "701"}}, "call_fuzz_1"));
  EXPECT_TRUE(r.is_error);
  EXPECT_EQ(r.structured["error"], "forbidden") << r.text;
  EXPECT_TRUE(world.calendar.cancelled.empty());
  EXPECT_FALSE(MentionsOtherCompany(r));
}

TEST_F(GatewayTest, ABranchOfAnotherCompanyIsUnknownAndOnlyOwnBranchesAreListed) {
  tenancy::Branch second = world.branches.rows[0];
  second.id = tenancy::BranchId(11);
  second.name = "Nord";
  world.branches.rows.push_back(second);
  auto by_name =
      Call(Request("check-availability",
                   {{"service", "Beratung"}, {"date", "morgen"}, {"branch", "Nordlicht Hafen"}}));
  EXPECT_EQ(by_name.structured["error"], "unknown_branch") << by_name.text;
  // The refusal repeats only the name the client itself sent, never the other branch's data.
  EXPECT_EQ(by_name.text.find("Nordlichtweg"), std::string::npos) << by_name.text;
  ASSERT_EQ(by_name.structured["branches"].size(), 2u) << by_name.text;
  for (const auto& b : by_name.structured["branches"]) EXPECT_NE(b["id"], 20);
  auto by_id = Call(
      Request("check-availability", {{"service", "Beratung"}, {"date", "morgen"}, {"branch", 20}}));
  EXPECT_EQ(by_id.structured["error"], "unknown_branch") << by_id.text;
  EXPECT_TRUE(world.calendar.queries.empty());
}

// The refusal quotes at most 100 bytes of the name sent, cut between characters: a long name
// of umlauts is refused like any unknown branch (it answered 500: half an "ä" in the text).
TEST_F(GatewayTest, ALongUnknownBranchNameIsQuotedWithoutSplittingACharacter) {
  std::string name = "a";
  for (int i = 0; i < 300; ++i) name += "ä";
  auto r = Call(Request("check-availability",
                        {{"service", "Beratung"}, {"date", "morgen"}, {"branch", name}}));
  EXPECT_TRUE(r.is_error);
  EXPECT_EQ(r.structured["error"], "unknown_branch") << r.text;
  const std::string message = r.structured["message"];
  EXPECT_NE(message.find(name.substr(0, 99) + "\""), std::string::npos) << message;
  EXPECT_NO_THROW((void)json(message).dump());
}

TEST_F(GatewayTest, SeveralBranchesAskWhichAndTheBranchArgumentChoosesOne) {
  tenancy::Branch second = world.branches.rows[0];
  second.id = tenancy::BranchId(11);
  second.name = "Nord";
  world.branches.rows.push_back(second);
  auto ask = Call(Request("check-availability", {{"service", "Beratung"}, {"date", "morgen"}}));
  EXPECT_FALSE(ask.is_error);
  EXPECT_EQ(ask.structured["needs"], "branch") << ask.text;
  EXPECT_TRUE(world.calendar.queries.empty());
  auto chosen = Call(Request("check-availability",
                             {{"service", "Beratung"}, {"date", "morgen"}, {"branch", "mitte"}}));
  EXPECT_FALSE(chosen.is_error) << chosen.text;
  EXPECT_EQ(chosen.structured["available"], true) << chosen.text;
}

TEST_F(GatewayTest, AStorageFailuresTextNeverReachesTheClient) {
  world.customers.write_error =
      Error{ErrorCode::kUnavailable, "database: disk I/O error at /var/lib"};
  auto r = Call(Request("collect-customer-info", {{"name", "Jürgen Weiß"}}, "call_fuzz_1"));
  EXPECT_TRUE(r.is_error);
  EXPECT_EQ(r.structured["error"], "unavailable") << r.text;
  EXPECT_EQ(r.text.find("disk"), std::string::npos) << r.text;
}

TEST_F(GatewayTest, UnknownToolIsAProtocolError) {
  auto r = gateway.Call(Request("drop-tables"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kNotFound);
}

}  // namespace
}  // namespace callgate::mcp
