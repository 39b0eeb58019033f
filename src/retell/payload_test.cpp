#include "retell/payload.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace callgate::retell {
namespace {

constexpr std::string_view kCallEnded = R"({"event":"call_ended","call":{"call_type":"phone_call",
 "from_number":"+4915112345678","to_number":"+493083793369","direction":"inbound",
 "call_id":"Jabr9TXYYJHfvl6Syypi88rdAHYHmcq6","agent_id":"oBeDLoLOeuAbiuaMFXRtDOLriTJ5tSxD",
 "agent_version":1,"call_status":"ended","start_timestamp":1714608475945,
 "end_timestamp":1714608491736,"duration_ms":15791,"disconnection_reason":"user_hangup",
 "transcript":"Agent: Guten Tag ...\nUser: ...\n","metadata":{"k":"v"},
 "call_cost":{"combined_cost":12.5,"product_costs":[],"total_duration_seconds":16},
 "some_future_field":{"x":1}}})";

TEST(ParseWebhookEvent, ReadsTheReferenceCallEnded) {
  auto e = ParseWebhookEvent(kCallEnded);
  ASSERT_TRUE(e.has_value()) << e.error().message;
  EXPECT_EQ(e->event, "call_ended");
  EXPECT_EQ(e->dedupe_key, "retell:call_ended:Jabr9TXYYJHfvl6Syypi88rdAHYHmcq6");
  const auto& c = e->call;
  EXPECT_EQ(c.call_type, "phone_call");
  EXPECT_EQ(c.from_number, "+4915112345678");
  EXPECT_EQ(c.to_number, "+493083793369");
  EXPECT_EQ(c.start_timestamp_ms, 1714608475945LL);
  EXPECT_EQ(c.duration_ms, 15791);
  EXPECT_EQ(c.disconnection_reason, "user_hangup");
  EXPECT_EQ(c.metadata_json, R"({"k":"v"})");
  ASSERT_TRUE(c.combined_cost_cents.has_value());
  EXPECT_DOUBLE_EQ(*c.combined_cost_cents, 12.5);
  EXPECT_FALSE(c.call_analysis_json.has_value());
}

// A web call has no telephone line: a from_number on it (none is documented) is not a caller id.
TEST(ParseWebhookEvent, AWebCallKeepsNoCallerNumber) {
  auto e = ParseWebhookEvent(R"({"event":"call_started","call":{"call_type":"web_call",
    "from_number":"+4915112345678","call_id":"w1","agent_id":"a1"}})");
  ASSERT_TRUE(e.has_value()) << e.error().message;
  EXPECT_EQ(e->call.call_type, "web_call");
  EXPECT_EQ(e->call.from_number, "");
  EXPECT_EQ(e->call.agent_id, "a1");
}

// Retell always reports the call type; a call without one, or with one not documented, is not a
// telephone call as far as callgate can tell, so its from_number is not a caller id either.
TEST(ParseWebhookEvent, ACallOfUnknownTypeKeepsNoCallerNumber) {
  for (const char* type_field : {"", R"("call_type":"sip_call",)", R"("call_type":null,)"}) {
    auto e = ParseWebhookEvent(std::string(R"({"event":"call_started","call":{)") + type_field +
                               R"("from_number":"+4915112345678","to_number":"+493083793369",
      "call_id":"u1","agent_id":"a1"}})");
    ASSERT_TRUE(e.has_value()) << e.error().message;
    EXPECT_EQ(e->call.from_number, "") << type_field;
    EXPECT_EQ(e->call.to_number, "+493083793369") << type_field;
  }
}

TEST(ParseWebhookEvent, ReadsCallAnalysis) {
  auto e = ParseWebhookEvent(R"({"event":"call_analyzed","call":{"call_id":"c1",
    "call_analysis":{"call_summary":"Termin gebucht.","user_sentiment":"Positive",
    "call_successful":true,"in_voicemail":false,"custom_analysis_data":{}}}})");
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->call.summary, "Termin gebucht.");
  EXPECT_EQ(e->call.user_sentiment, "Positive");
  EXPECT_EQ(e->call.call_successful, true);
  EXPECT_EQ(e->call.in_voicemail, false);
}

TEST(ParseWebhookEvent, TransferEventsIncludeStartTimestampInDedupeKey) {
  auto e = ParseWebhookEvent(
      R"({"event":"transfer_started","call":{"call_id":"c1","start_timestamp":42},
          "transfer_destination":{"number":"+4930"},"transfer_option":{}})");
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->dedupe_key, "retell:transfer_started:c1:42");
}

TEST(ParseWebhookEvent, ToleratesUnknownEventsButNeedsCallId) {
  EXPECT_TRUE(ParseWebhookEvent(R"({"event":"something_new","call":{"call_id":"c"}})"));
  EXPECT_FALSE(ParseWebhookEvent(R"({"event":"call_ended","call":{}})"));
  EXPECT_FALSE(ParseWebhookEvent(R"({"call":{"call_id":"c"}})"));
  EXPECT_FALSE(ParseWebhookEvent("not json"));
  EXPECT_FALSE(ParseWebhookEvent("[]"));
}

// Regression (found by fuzz/retell_webhook_fuzz.cpp): a timestamp outside long long was
// converted anyway (undefined for a double, wrapping for a large unsigned).
TEST(ParseWebhookEvent, IgnoresTimestampsOutsideTheIntegerRange) {
  auto e = ParseWebhookEvent(R"({"event":"call_ended","call":{"call_id":"c",
    "start_timestamp":1.7146084759450851e20,"end_timestamp":18446744073709551615,
    "duration_ms":-1e300}})");
  ASSERT_TRUE(e.has_value());
  EXPECT_FALSE(e->call.start_timestamp_ms.has_value());
  EXPECT_FALSE(e->call.end_timestamp_ms.has_value());
  EXPECT_FALSE(e->call.duration_ms.has_value());
  auto f = ParseWebhookEvent(
      R"({"event":"call_ended","call":{"call_id":"c","start_timestamp":1714608475945.7}})");
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->call.start_timestamp_ms, 1714608475945LL);
}

TEST(FunctionCallIdentity, ReadsWhoCallsWhomLikeParseCallObjectAndNothingElse) {
  const std::string call = R"({"call_id":"c-77","agent_id":"agent_a","call_type":"phone_call",
    "call_status":"ongoing","direction":"inbound","from_number":"+4915112345678",
    "to_number":"+493083793369","start_timestamp":1714608475945,
    "transcript":"Agent: Guten Tag","transcript_object":[{"role":"agent","content":"Guten Tag"}],
    "metadata":{"k":"v"}})";
  auto full = ParseCallObject(call);
  ASSERT_TRUE(full.has_value());
  auto identity = FunctionCallIdentity(nlohmann::json::parse(call));
  ASSERT_TRUE(identity.has_value());
  EXPECT_EQ(identity->call_id, full->call_id);
  EXPECT_EQ(identity->agent_id, full->agent_id);
  EXPECT_EQ(identity->call_type, full->call_type);
  EXPECT_EQ(identity->call_status, full->call_status);
  EXPECT_EQ(identity->direction, full->direction);
  EXPECT_EQ(identity->from_number, full->from_number);
  EXPECT_EQ(identity->to_number, full->to_number);
  EXPECT_TRUE(full->transcript_object_json.has_value());
  EXPECT_FALSE(identity->transcript.has_value());
  EXPECT_FALSE(identity->transcript_object_json.has_value());
  EXPECT_FALSE(identity->start_timestamp_ms.has_value());

  EXPECT_FALSE(FunctionCallIdentity(nlohmann::json::parse(R"({"call_id":""})")).has_value());
  EXPECT_FALSE(FunctionCallIdentity(nlohmann::json::parse(R"({"call_id":7})")).has_value());
  EXPECT_FALSE(FunctionCallIdentity(nlohmann::json::parse(R"([1])")).has_value());
  EXPECT_FALSE(
      FunctionCallIdentity(nlohmann::json{{"call_id", std::string(129, 'x')}}).has_value());
}

TEST(ParseInboundCall, ReadsNumbersAndAgent) {
  auto in = ParseInboundCall(R"({"event":"call_inbound","event_timestamp":1,
    "call_inbound":{"agent_id":"a","agent_version":3,"from_number":"+4915112345678",
    "to_number":"+493083793369","custom_sip_headers":{}}})");
  ASSERT_TRUE(in.has_value());
  EXPECT_EQ(in->to_number, "+493083793369");
  EXPECT_EQ(in->from_number, "+4915112345678");
  EXPECT_EQ(in->agent_version, 3);
  EXPECT_FALSE(ParseInboundCall(R"({"event":"call_inbound","call_inbound":{}})"));
}

}  // namespace
}  // namespace callgate::retell
