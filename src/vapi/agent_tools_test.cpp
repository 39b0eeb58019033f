#include "vapi/agent_tools.hpp"

#include <gtest/gtest.h>

namespace callgate::vapi {
namespace {

using nlohmann::json;

TEST(VapiResultText, AnAnswerIsTheToolsJsonOnOneLine) {
  agent::ToolRun run;
  agent::ToolOutcome outcome;
  outcome.message = "Der Termin ist frei.\nSoll ich buchen?";
  outcome.data = {{"available", true}};
  run.answer = outcome;
  const std::string text = ResultText(run);
  EXPECT_EQ(text.find('\n'), std::string::npos);
  const json parsed = json::parse(text);
  EXPECT_EQ(parsed["success"], true);
  EXPECT_EQ(parsed["message"], "Der Termin ist frei. Soll ich buchen?");
  EXPECT_EQ(parsed["available"], true);
}

TEST(VapiResultText, ALimitIsAnsweredInTheResultOfThatCall) {
  agent::ToolRun run;
  run.answer = Fail(ErrorCode::kRateLimited, "too many requests");
  ratelimit::Decision decision;
  decision.retry_after = std::chrono::milliseconds(1500);
  run.limited = decision;
  const json parsed = json::parse(ResultText(run));
  EXPECT_EQ(parsed["success"], false);
  EXPECT_EQ(parsed["error"], "rate_limited");
  EXPECT_EQ(parsed["retry_after_seconds"], 2);
}

TEST(VapiResultText, RefusalsKeepTheirReasonFailuresHideTheirDetail) {
  agent::ToolRun refused;
  refused.answer = Fail(ErrorCode::kInvalidArgument, "date: not a date");
  EXPECT_EQ(json::parse(ResultText(refused))["message"], "date: not a date");
  agent::ToolRun failed;
  failed.answer = Fail(ErrorCode::kUnavailable, "database is locked at /var/lib/callgate/x.db");
  const std::string text = ResultText(failed);
  EXPECT_EQ(text.find("database"), std::string::npos) << text;
  EXPECT_EQ(json::parse(text)["error"], "unavailable");
}

}  // namespace
}  // namespace callgate::vapi
