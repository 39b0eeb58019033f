#include "vapi/payload.hpp"

#include <gtest/gtest.h>

namespace callgate::vapi {
namespace {

using nlohmann::json;

// reference/vapi.md §2, with the call of a German business.
constexpr std::string_view kToolCalls =
    R"({"message":{"type":"tool-calls","timestamp":1678901234567,
 "toolCallList":[
   {"id":"call_abc","type":"function",
    "function":{"name":"check_availability","arguments":{"service":"Erstberatung","date":"morgen"}}},
   {"id":"call_def","type":"function",
    "function":{"name":"book_appointment","arguments":"{\"service\":\"Erstberatung\",\"time\":\"10:00\"}"}},
   {"id":"call_ghi","name":"list_services","parameters":{}},
   {"id":"call_jkl","type":"function","function":{"name":"list_services","arguments":""}},
   {"id":"call_mno","type":"function","function":{"name":"list_services","arguments":"[1,2"}}],
 "toolWithToolCallList":[],
 "call":{"id":"5f4c-uuid","orgId":"org-uuid","type":"inboundPhoneCall",
         "assistantId":"asst_1","customer":{"number":"+4915112345678"}},
 "customer":{"number":"+4915112345678"},"phoneNumber":{"number":"+493083793369"},
 "assistant":{},"artifact":{"messages":[]}}})";

TEST(VapiPayload, ToolCallsReadEveryDocumentedArgumentShape) {
  auto m = ParseServerMessage(kToolCalls);
  ASSERT_TRUE(m.has_value()) << m.error().message;
  EXPECT_EQ(m->type, "tool-calls");
  ASSERT_EQ(m->tool_calls.size(), 5u);
  EXPECT_EQ(m->tool_calls[0].id, "call_abc");
  EXPECT_EQ(m->tool_calls[0].name, "check_availability");
  EXPECT_EQ(m->tool_calls[0].args, (json{{"service", "Erstberatung"}, {"date", "morgen"}}));
  // arguments as a JSON string (the SDK's type)
  EXPECT_EQ(m->tool_calls[1].name, "book_appointment");
  EXPECT_EQ(m->tool_calls[1].args, (json{{"service", "Erstberatung"}, {"time", "10:00"}}));
  EXPECT_FALSE(m->tool_calls[1].args_error.has_value());
  // name and parameters on the list item (DOCS server-url/events.mdx)
  EXPECT_EQ(m->tool_calls[2].name, "list_services");
  EXPECT_EQ(m->tool_calls[2].args, json::object());
  // an empty string is no arguments, a broken one is an error of that call only
  EXPECT_EQ(m->tool_calls[3].args, json::object());
  EXPECT_FALSE(m->tool_calls[3].args_error.has_value());
  EXPECT_TRUE(m->tool_calls[4].args_error.has_value());
}

// Arguments sent as a JSON string are not measured by the request's depth check: a deeply
// nested string is refused for that call, never parsed.
TEST(VapiPayload, DeeplyNestedStringArgumentsAreRefused) {
  const std::string deep = std::string(100000, '[') + std::string(100000, ']');
  json body = {{"message",
                {{"type", "tool-calls"},
                 {"toolCallList",
                  json::array({{{"id", "tc_deep"},
                                {"type", "function"},
                                {"function", {{"name", "list_services"}, {"arguments", deep}}}},
                               {{"id", "tc_ok"},
                                {"type", "function"},
                                {"function",
                                 {{"name", "list_services"},
                                  {"arguments", std::string(R"({"a":{"b":1}})")}}}}})},
                 {"call", {{"id", "c1"}}}}}};
  auto m = ParseServerMessage(body.dump());
  ASSERT_TRUE(m.has_value()) << m.error().message;
  ASSERT_EQ(m->tool_calls.size(), 2u);
  ASSERT_TRUE(m->tool_calls[0].args_error.has_value());
  EXPECT_NE(m->tool_calls[0].args_error->find("nested"), std::string::npos);
  EXPECT_EQ(m->tool_calls[0].args, json::object());
  EXPECT_FALSE(m->tool_calls[1].args_error.has_value());
}

TEST(VapiPayload, TheCallIsTheDialledNumberAndThePlatformsCaller) {
  auto m = ParseServerMessage(kToolCalls);
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->call.platform, "vapi");
  EXPECT_EQ(m->call.call_id, "5f4c-uuid");
  EXPECT_EQ(m->call.to_number, "+493083793369");
  EXPECT_EQ(m->call.from_number, "+4915112345678");
  EXPECT_EQ(m->call.call_type, "phone_call");
  EXPECT_EQ(m->call.direction, "inbound");
  EXPECT_EQ(m->call.agent_id, "asst_1");
}

TEST(VapiPayload, CallerAndNumberFallBackToTheirOtherDocumentedPlaces) {
  auto m = ParseServerMessage(R"({"message":{"type":"assistant-request",
    "call":{"id":"c1","type":"inboundPhoneCall","phoneNumber":{"number":"+493031801234"}},
    "customer":{"number":"+4917600000000"}}})");
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->call.to_number, "+493031801234");
  EXPECT_EQ(m->call.from_number, "+4917600000000");
  // A withheld caller has no customer number.
  auto web = ParseServerMessage(R"({"message":{"type":"assistant-request",
    "call":{"id":"c2","type":"webCall"}}})");
  ASSERT_TRUE(web.has_value());
  EXPECT_EQ(web->call.from_number, "");
  EXPECT_EQ(web->call.call_type, "web_call");
}

TEST(VapiPayload, ToolArgumentsNeverSetTheCaller) {
  auto m = ParseServerMessage(R"({"message":{"type":"tool-calls",
    "toolCallList":[{"id":"t","function":{"name":"query_customer_appointments",
      "arguments":{"phone":"+4915199999999","customer":{"number":"+4915199999999"}}}}],
    "call":{"id":"c3","type":"inboundPhoneCall"},"phoneNumber":{"number":"+493083793369"}}})");
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->call.from_number, "");  // withheld: the arguments do not fill it in
}

TEST(VapiPayload, RefusesWhatIsNotAServerMessage) {
  for (std::string_view body :
       {std::string_view("not json"), std::string_view("[]"), std::string_view(R"({"type":"x"})"),
        std::string_view(R"({"message":{"status":"ended"}})"),
        std::string_view(R"({"message":{"type":"tool-calls","call":{"id":"c"}}})"),
        std::string_view(R"({"message":{"type":"tool-calls","toolCallList":[]}})")}) {
    auto m = ParseServerMessage(body);
    ASSERT_FALSE(m.has_value()) << body;
    EXPECT_EQ(m.error().code, ErrorCode::kInvalidArgument);
  }
  // Unknown types are messages all the same (answered and ignored).
  EXPECT_TRUE(ParseServerMessage(R"({"message":{"type":"speech-update"}})").has_value());
}

TEST(VapiPayload, AToolCallListOfMoreThanTwentyIsRefusedWhole) {
  auto message_with = [](int calls) {
    nlohmann::json list = nlohmann::json::array();
    for (int i = 0; i < calls; ++i) {
      list.push_back({{"id", "t" + std::to_string(i)},
                      {"function", {{"name", "list_services"}, {"arguments", "{}"}}}});
    }
    return nlohmann::json{{"message",
                           {{"type", "tool-calls"},
                            {"toolCallList", list},
                            {"call", {{"id", "c9"}, {"type", "inboundPhoneCall"}}}}}}
        .dump();
  };
  auto twenty = ParseServerMessage(message_with(20));
  ASSERT_TRUE(twenty.has_value());
  EXPECT_EQ(twenty->tool_calls.size(), 20u);
  auto too_many = ParseServerMessage(message_with(21));
  ASSERT_FALSE(too_many.has_value());
  EXPECT_EQ(too_many.error().code, ErrorCode::kInvalidArgument);
}

TEST(VapiPayload, StatusUpdatesMapToLifecycleEvents) {
  auto started = ParseServerMessage(R"({"message":{"type":"status-update","status":"in-progress",
    "call":{"id":"c4","type":"inboundPhoneCall","startedAt":"2026-11-26T09:00:00.000Z",
            "customer":{"number":"+4915112345678"}},"phoneNumber":{"number":"+493083793369"}}})");
  ASSERT_TRUE(started.has_value());
  EXPECT_EQ(started->call.call_status, "ongoing");
  EXPECT_EQ(started->call.start_timestamp_ms, 1795683600000LL);
  auto event = LifecycleEventOf(*started);
  ASSERT_TRUE(event.has_value());
  EXPECT_EQ(event->event, "call_started");
  EXPECT_EQ(event->dedupe_key, "vapi:status-update:in-progress:c4");

  auto ended = ParseServerMessage(R"({"message":{"type":"status-update","status":"ended",
    "endedReason":"customer-ended-call","call":{"id":"c4"}}})");
  ASSERT_TRUE(ended.has_value());
  EXPECT_EQ(ended->call.call_status, "ended");
  EXPECT_EQ(ended->call.disconnection_reason, "customer-ended-call");
  EXPECT_EQ(LifecycleEventOf(*ended)->event, "call_ended");

  auto ringing = ParseServerMessage(R"({"message":{"type":"status-update","status":"ringing",
    "call":{"id":"c4"}}})");
  EXPECT_EQ(LifecycleEventOf(*ringing)->event, "vapi_status_ringing");
  EXPECT_EQ(ringing->call.call_status, "");

  auto no_call = ParseServerMessage(R"({"message":{"type":"status-update","status":"ended"}})");
  EXPECT_FALSE(LifecycleEventOf(*no_call).has_value());
  auto other = ParseServerMessage(R"({"message":{"type":"hang","call":{"id":"c4"}}})");
  EXPECT_FALSE(LifecycleEventOf(*other).has_value());
}

TEST(VapiPayload, EndOfCallReportCarriesTranscriptAnalysisAndCost) {
  auto m = ParseServerMessage(R"({"message":{"type":"end-of-call-report",
    "endedReason":"hangup","cost":0.23,
    "startedAt":"2026-11-26T09:00:00.000Z","endedAt":"2026-11-26T09:01:30.500Z",
    "artifact":{"transcript":"AI: Guten Tag\nUser: Hallo","messages":[{"role":"bot"}],
                "recordingUrl":"https://rec.example/1.wav"},
    "analysis":{"summary":"Termin gebucht","successEvaluation":"true","structuredData":{}},
    "call":{"id":"c5","type":"inboundPhoneCall","customer":{"number":"+4915112345678"}},
    "phoneNumber":{"number":"+493083793369"}}})");
  ASSERT_TRUE(m.has_value()) << m.error().message;
  const auto& c = m->call;
  EXPECT_EQ(c.call_status, "ended");
  EXPECT_EQ(c.disconnection_reason, "hangup");
  EXPECT_EQ(c.transcript, "AI: Guten Tag\nUser: Hallo");
  EXPECT_EQ(c.transcript_object_json, R"([{"role":"bot"}])");
  EXPECT_EQ(c.recording_url, "https://rec.example/1.wav");
  EXPECT_EQ(c.summary, "Termin gebucht");
  EXPECT_EQ(c.call_successful, true);
  ASSERT_TRUE(c.combined_cost_cents.has_value());
  EXPECT_DOUBLE_EQ(*c.combined_cost_cents, 23.0);
  EXPECT_EQ(c.start_timestamp_ms, 1795683600000LL);
  EXPECT_EQ(c.end_timestamp_ms, 1795683690500LL);
  auto event = LifecycleEventOf(*m);
  EXPECT_EQ(event->event, "call_analyzed");
  EXPECT_EQ(event->dedupe_key, "vapi:end-of-call-report:c5");
}

TEST(VapiPayload, EndOfCallReportReadsTheLegacyTopLevelFields) {
  auto m = ParseServerMessage(R"({"message":{"type":"end-of-call-report","endedReason":"x",
    "artifact":{},"analysis":{},"durationSeconds":42.5,"transcript":"AI: Hallo",
    "summary":"kurz","recordingUrl":"https://rec.example/2.wav","call":{"id":"c6"}}})");
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->call.duration_ms, 42500);
  EXPECT_EQ(m->call.transcript, "AI: Hallo");
  EXPECT_EQ(m->call.summary, "kurz");
  EXPECT_EQ(m->call.recording_url, "https://rec.example/2.wav");
}

TEST(VapiPayload, SingleLineReplacesEveryLineBreak) {
  EXPECT_EQ(SingleLine("a\nb\r\nc\xE2\x80\xA8"
                       "d\xE2\x80\xA9"
                       "e"),
            "a b  c d e");
  EXPECT_EQ(SingleLine("Grüße: 10:00 – 11:00"), "Grüße: 10:00 – 11:00");
}

// Web and websocket calls have no telephone line: their customer.number is not a caller id;
// nor is that of a call whose type is missing or not documented.
TEST(VapiPayload, AWebCallKeepsNoCallerNumber) {
  for (const char* type : {"webCall", "vapi.websocketCall", "", "sipCall"}) {
    auto m = ParseServerMessage(std::string(R"({"message":{"type":"status-update",
      "status":"in-progress","customer":{"number":"+4915112345678"},
      "call":{"id":"w1","type":")") +
                                type + R"(","assistantId":"asst_1",
              "customer":{"number":"+4915112345678"}}}})");
    ASSERT_TRUE(m.has_value()) << m.error().message;
    EXPECT_EQ(m->call.from_number, "") << type;
    EXPECT_EQ(m->call.agent_id, "asst_1") << type;
    const std::string_view t(type);
    EXPECT_EQ(m->call.call_type, t == "webCall" || t == "vapi.websocketCall" ? "web_call" : "")
        << type;
  }
}

}  // namespace
}  // namespace callgate::vapi
