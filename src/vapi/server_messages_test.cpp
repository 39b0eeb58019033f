#include "vapi/server_messages.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <memory>

#include "calls/testing/recording_job_queue.hpp"
#include "core/blocking.hpp"
#include "http/pending_answer.hpp"
#include "storage/session.hpp"
#include "storage/sql_calls_repositories.hpp"
#include "storage/sql_tenancy_repositories.hpp"
#include "storage/testing/test_database.hpp"
#include "tenancy/tenant_directory.hpp"

namespace callgate::vapi {
namespace {

using nlohmann::json;
using tenancy::CompanyId;

constexpr std::string_view kNumberA = "+493083793369";
constexpr std::string_view kNumberB = "+493031801234";
constexpr std::string_view kErika = "+4915112345678";

// The real call context; the tools answer with what they were given, so the tests see which
// company, caller and arguments a tool would run with.
class EchoTools final : public ToolPort {
 public:
  explicit EchoTools(booking::CallContextResolver& contexts) : contexts_(contexts) {}

  Result<booking::CallContext> Resolve(const calls::CallSnapshot& call,
                                       std::optional<CompanyId> url_company) override {
    return contexts_.Resolve(call.call_id, call, url_company);
  }
  std::optional<std::string> Run(const booking::CallContext& ctx, std::string_view name,
                                 const json& args, std::string_view call_id) override {
    if (name != "check_availability" && name != "book_appointment") return std::nullopt;
    ++runs;
    return json{{"success", true},
                {"message", "Frei.\nMöchten Sie buchen?"},
                {"tool", name},
                {"company", ctx.company.slug},
                {"caller", ctx.caller_e164},
                {"call", call_id},
                {"args", args}}
        .dump();
  }

  int runs = 0;

 private:
  booking::CallContextResolver& contexts_;
};

class ServerMessagesTest : public storage::testing::DatabaseTest {
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
    call_events_ = std::make_unique<calls::CallEventService>(
        calls::CallEventSettings{}, *directory_, *calls_, *events_, *store_, jobs_, *transactions_,
        metrics_);
    inbound_ =
        std::make_unique<calls::InboundCallService>(*directory_, *customers_, clock_, metrics_);
    contexts_ = std::make_unique<booking::CallContextResolver>(*directory_, *branches_, *customers_,
                                                               *calls_, clock_);
    tools_ = std::make_unique<EchoTools>(*contexts_);
    handler_ = std::make_unique<ServerMessageHandler>(ServerMessageSettings{"asst_default"},
                                                      *call_events_, *inbound_, *tools_, metrics_);
    a_ = MakeCompany("praxis-a", kNumberA, "asst_a");
    b_ = MakeCompany("praxis-b", kNumberB, "");
    ASSERT_TRUE(customers_->Upsert(a_, {std::string(kErika), "Erika Mustermann", {}, {}}));
  }

  CompanyId MakeCompany(const std::string& slug, std::string_view number,
                        const std::string& agent) {
    tenancy::Company c;
    c.name = "Praxis " + slug;
    c.slug = slug;
    auto company = companies_->Create(c);
    EXPECT_TRUE(company.has_value());
    tenancy::Branch b;
    b.name = "Mitte";
    auto branch = branches_->Create(company->id, b);
    EXPECT_TRUE(branch.has_value());
    tenancy::PhoneNumber n;
    n.branch_id = branch->id;
    n.number_e164 = std::string(number);
    if (!agent.empty()) n.retell_agent_id = agent;
    EXPECT_TRUE(numbers_->Create(company->id, n).has_value());
    return company->id;
  }

  http::Response Post(const json& message, std::optional<CompanyId> url_company = std::nullopt) {
    http::Request r;
    r.method = http::Method::kPost;
    r.body = json{{"message", message}}.dump();
    r.request_id = "req-1";
    if (url_company) r.attributes.company_id = url_company->value;
    http::Response response = handler_->Handle(r);
    if (!response.pending) return response;
    // A call's start is answered once it is written, from the group commit's writer thread.
    auto answered = std::make_shared<std::promise<http::Response>>();
    auto future = answered->get_future();
    response.pending->Deliver(
        [answered](http::Response answer, auto) { answered->set_value(std::move(answer)); });
    if (future.wait_for(std::chrono::seconds(20)) != std::future_status::ready) {
      ADD_FAILURE() << "the later answer did not come";
      return http::Response::Text(599, "no answer");
    }
    return future.get();
  }

  // The dialled number travels in the message's phoneNumber, not in the call.
  static json Call(const std::string& id, std::string_view from = kErika) {
    json call = {{"id", id}, {"orgId", "org-1"}, {"type", "inboundPhoneCall"}};
    if (!from.empty()) call["customer"] = {{"number", from}};
    return call;
  }

  static json ToolCalls(const std::string& call_id, json list, std::string_view to = kNumberA,
                        std::string_view from = kErika) {
    json m = {{"type", "tool-calls"},
              {"timestamp", 1678901234567},
              {"toolCallList", std::move(list)},
              {"call", Call(call_id, from)},
              {"phoneNumber", {{"number", to}}},
              {"artifact", {{"messages", json::array()}}}};
    if (!from.empty()) m["customer"] = {{"number", from}};
    return m;
  }

  long long Count(const std::string& table, const std::string& where = "") {
    auto n = db().Run([&](storage::Session& s) -> Result<long long> {
      long long count = 0;
      s.Query("COUNT(*) AS n", "FROM " + table + (where.empty() ? "" : " WHERE " + where), {},
              [&](const storage::Row& r) { count = r.Int64("n"); });
      return count;
    });
    return n.value_or(-1);
  }

  observability::Metrics metrics_;
  calls::testing::RecordingJobQueue jobs_;
  std::unique_ptr<storage::SqlCompanyRepository> companies_;
  std::unique_ptr<storage::SqlBranchRepository> branches_;
  std::unique_ptr<storage::SqlPhoneNumberRepository> numbers_;
  std::unique_ptr<storage::SqlCustomerRepository> customers_;
  std::unique_ptr<storage::SqlCallRepository> calls_;
  std::unique_ptr<storage::SqlWebhookEventRepository> events_;
  std::unique_ptr<storage::SqlCallEventStore> store_;
  std::unique_ptr<storage::DatabaseTransactionRunner> transactions_;
  std::unique_ptr<tenancy::TenantDirectory> directory_;
  std::unique_ptr<calls::CallEventService> call_events_;
  std::unique_ptr<calls::InboundCallService> inbound_;
  std::unique_ptr<booking::CallContextResolver> contexts_;
  std::unique_ptr<EchoTools> tools_;
  std::unique_ptr<ServerMessageHandler> handler_;
  CompanyId a_, b_;
};

TEST_P(ServerMessagesTest, ToolCallsAnswerOneSingleLineResultPerCallInOrder) {
  auto r = Post(ToolCalls(
      "vapi-call-1",
      {{{"id", "tc_1"},
        {"type", "function"},
        {"function", {{"name", "check_availability"}, {"arguments", {{"date", "morgen"}}}}}},
       {{"id", "tc_2"},
        {"type", "function"},
        {"function", {{"name", "book_appointment"}, {"arguments", R"({"time":"10:00"})"}}}},
       {{"id", "tc_3"}, {"type", "function"}, {"function", {{"name", "fly_to_the_moon"}}}},
       {{"id", "tc_4"},
        {"type", "function"},
        {"function", {{"name", "book_appointment"}, {"arguments", "{broken"}}}}}));
  ASSERT_EQ(r.status, 200) << r.body;
  const json body = json::parse(r.body);
  ASSERT_EQ(body["results"].size(), 4u);
  std::vector<std::string> ids;
  for (const auto& result : body["results"]) {
    ids.push_back(result["toolCallId"]);
    ASSERT_TRUE(result["result"].is_string());
    EXPECT_EQ(result["result"].get<std::string>().find('\n'), std::string::npos);
  }
  EXPECT_EQ(ids, (std::vector<std::string>{"tc_1", "tc_2", "tc_3", "tc_4"}));
  EXPECT_EQ(body["results"][0]["name"], "check_availability");
  const json first = json::parse(body["results"][0]["result"].get<std::string>());
  EXPECT_EQ(first["message"], "Frei.\nMöchten Sie buchen?");  // escaped inside the one line
  EXPECT_EQ(first["company"], "praxis-a");
  EXPECT_EQ(first["caller"], kErika);
  EXPECT_EQ(first["call"], "vapi-call-1");
  EXPECT_EQ(first["args"], (json{{"date", "morgen"}}));
  const json second = json::parse(body["results"][1]["result"].get<std::string>());
  EXPECT_EQ(second["args"], (json{{"time", "10:00"}}));
  const json unknown = json::parse(body["results"][2]["result"].get<std::string>());
  EXPECT_EQ(unknown["error"], "unknown_tool");
  EXPECT_EQ(unknown["success"], false);
  const json broken = json::parse(body["results"][3]["result"].get<std::string>());
  EXPECT_EQ(broken["error"], "invalid_arguments");
  EXPECT_EQ(tools_->runs, 2);
  // The first tool call of an unannounced call created it for the dialled company.
  EXPECT_EQ(
      Count("calls", "retell_call_id = 'vapi-call-1' AND company_id = " + std::to_string(a_.value)),
      1);
}

TEST_P(ServerMessagesTest, WhereWaitingIsNotAllowedABatchIsHandedOnBeforeAnyCallRuns) {
  const json call = {{"id", "tc_1"},
                     {"type", "function"},
                     {"function", {{"name", "check_availability"}, {"arguments", json::object()}}}};
  AttemptMemo memo;
  {
    // An I/O thread's attempt: a batch of two would run its first call again in the retry.
    AttemptScope io_thread(memo, /*may_block=*/false);
    try {
      Post(ToolCalls("vapi-batch", {call, call}));
      ADD_FAILURE() << "the batch was not handed on";
    } catch (const WouldBlock& e) {
      EXPECT_EQ(std::string_view(e.where), "a batch of Vapi tool calls");
    }
  }
  EXPECT_EQ(tools_->runs, 0);
  EXPECT_EQ(metrics_.Sum("callgate_vapi_message_total", [](const auto&) { return true; }), 0);
  {
    AttemptScope handler_thread(memo, /*may_block=*/true);
    EXPECT_EQ(Post(ToolCalls("vapi-batch", {call, call})).status, 200);
  }
  EXPECT_EQ(tools_->runs, 2);

  // With the tool limits in Redis every tool call waits: handed on before it runs, even alone.
  ServerMessageSettings redis_limits{"asst_default"};
  redis_limits.tool_calls_inline = false;
  handler_ = std::make_unique<ServerMessageHandler>(redis_limits, *call_events_, *inbound_, *tools_,
                                                    metrics_);
  AttemptMemo alone;
  AttemptScope io_thread(alone, /*may_block=*/false);
  EXPECT_THROW(Post(ToolCalls("vapi-batch", {call})), WouldBlock);
  EXPECT_EQ(tools_->runs, 2);
}

TEST_P(ServerMessagesTest, TheCallerComesFromThePlatformNeverFromArguments) {
  auto r = Post(ToolCalls(
      "vapi-call-2",
      {{{"id", "tc"},
        {"function",
         {{"name", "check_availability"}, {"arguments", {{"phone", std::string(kErika)}}}}}}},
      kNumberA, ""));
  ASSERT_EQ(r.status, 200) << r.body;
  const json result = json::parse(json::parse(r.body)["results"][0]["result"].get<std::string>());
  EXPECT_EQ(result["caller"], "");  // withheld, whatever the arguments say
}

// A web call's customer.number is whatever the page that started the call said: naming a
// customer's number there neither runs their tools as them nor links the stored call to them
// (the company is the assistant's; the call is anonymous).
TEST_P(ServerMessagesTest, AWebCallsNumberNeverIdentifiesTheCaller) {
  auto web = [](const std::string& id) {
    json call = {{"id", id},
                 {"orgId", "org-1"},
                 {"type", "webCall"},
                 {"assistantId", "asst_a"},
                 {"customer", {{"number", kErika}}}};
    return call;
  };
  json started = {
      {"type", "status-update"}, {"status", "in-progress"}, {"call", web("vapi-web-1")}};
  ASSERT_EQ(Post(started).status, 200);
  json tools = {{"type", "tool-calls"},
                {"timestamp", 1678901234567},
                {"toolCallList", {{{"id", "tc"}, {"function", {{"name", "check_availability"}}}}}},
                {"call", web("vapi-web-1")},
                {"customer", {{"number", kErika}}},
                {"artifact", {{"messages", json::array()}}}};
  auto r = Post(tools);
  ASSERT_EQ(r.status, 200) << r.body;
  const json result = json::parse(json::parse(r.body)["results"][0]["result"].get<std::string>());
  EXPECT_EQ(result["company"], "praxis-a");
  EXPECT_EQ(result["caller"], "");
  auto call = calls_->FindByRetellId(a_, "vapi-web-1");
  ASSERT_TRUE(call.has_value()) << call.error().message;
  EXPECT_EQ(call->from_number, "");
  EXPECT_FALSE(call->customer_id.has_value());
}

TEST_P(ServerMessagesTest, UnknownNumbersAndOtherCompaniesAre404AndCreateNothing) {
  const json one = {{{"id", "tc"}, {"function", {{"name", "check_availability"}}}}};
  EXPECT_EQ(Post(ToolCalls("vapi-x", one, "+491511111111")).status, 404);
  // Company A's URL naming company B's number.
  EXPECT_EQ(Post(ToolCalls("vapi-y", one, kNumberB), a_).status, 404);
  EXPECT_EQ(tools_->runs, 0);
  EXPECT_EQ(Count("calls"), 0);
  // A known call of company A on company B's URL.
  ASSERT_EQ(Post(ToolCalls("vapi-z", one, kNumberA), a_).status, 200);
  EXPECT_EQ(Post(ToolCalls("vapi-z", one, kNumberA), b_).status, 404);
  EXPECT_EQ(tools_->runs, 1);
}

// An id no call can have is an unknown call, as on every platform: 404, nothing run or stored,
// even on the company's own number.
TEST_P(ServerMessagesTest, AnOverlongCallIdIsAnUnknownCallAndCreatesNothing) {
  const json one = {{{"id", "tc"}, {"function", {{"name", "check_availability"}}}}};
  const std::string overlong(calls::kMaxCallIdLength + 1, 'v');
  const auto answer = Post(ToolCalls(overlong, one), a_);
  EXPECT_EQ(answer.status, 404) << answer.body;
  EXPECT_EQ(tools_->runs, 0);
  EXPECT_EQ(Count("calls"), 0);
  // The longest id a call can have is still one.
  EXPECT_EQ(Post(ToolCalls(std::string(calls::kMaxCallIdLength, 'v'), one), a_).status, 200);
  EXPECT_EQ(tools_->runs, 1);
}

TEST_P(ServerMessagesTest, AssistantRequestAnswersTheInboundVariables) {
  json m = {{"type", "assistant-request"},
            {"call", Call("vapi-call-3")},
            {"phoneNumber", {{"number", kNumberA}}},
            {"customer", {{"number", kErika}}},
            {"timestamp", 1678901234567}};
  auto r = Post(m);
  ASSERT_EQ(r.status, 200) << r.body;
  const json body = json::parse(r.body);
  EXPECT_EQ(body["assistantId"], "asst_a");  // the number's agent
  const json& vars = body["assistantOverrides"]["variableValues"];
  EXPECT_EQ(vars["company_name"], "Praxis praxis-a");
  EXPECT_EQ(vars["branch_name"], "Mitte");
  EXPECT_EQ(vars["caller_known"], "true");
  EXPECT_EQ(vars["caller_name"], "Erika Mustermann");
  EXPECT_TRUE(vars.contains("heute_datum"));
  // A number without its own agent gets the default assistant.
  m["phoneNumber"]["number"] = kNumberB;
  auto b = Post(m);
  ASSERT_EQ(b.status, 200) << b.body;
  EXPECT_EQ(json::parse(b.body)["assistantId"], "asst_default");
  EXPECT_EQ(json::parse(b.body)["assistantOverrides"]["variableValues"]["caller_known"], "false");
  // Another company's number on a company URL, and an unknown number.
  EXPECT_EQ(Post(m, a_).status, 404);
  m["phoneNumber"]["number"] = "+491511111111";
  EXPECT_EQ(Post(m).status, 404);
  EXPECT_EQ(metrics_.Value("callgate_vapi_inbound_total", {{"outcome", "answered"}}), 2);
}

TEST_P(ServerMessagesTest, LifecycleMessagesAreStoredOnceWithThePlatform) {
  json started = {{"type", "status-update"},
                  {"status", "in-progress"},
                  {"call", Call("vapi-call-4")},
                  {"phoneNumber", {{"number", kNumberA}}}};
  auto r = Post(started);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(json::parse(r.body)["outcome"], "recorded");
  json report = {{"type", "end-of-call-report"},
                 {"endedReason", "customer-ended-call"},
                 {"cost", 0.12},
                 {"startedAt", "2026-11-26T09:00:00.000Z"},
                 {"endedAt", "2026-11-26T09:02:00.000Z"},
                 {"artifact", {{"transcript", "AI: Guten Tag\nUser: Hallo"}}},
                 {"analysis", {{"summary", "Termin gebucht"}}},
                 {"call", Call("vapi-call-4")},
                 {"phoneNumber", {{"number", kNumberA}}}};
  ASSERT_EQ(Post(report).status, 200);
  auto again = Post(report);
  ASSERT_EQ(again.status, 200);
  EXPECT_EQ(json::parse(again.body)["outcome"], "duplicate");
  auto call = calls_->FindByRetellId(a_, "vapi-call-4");
  ASSERT_TRUE(call.has_value()) << call.error().message;
  EXPECT_EQ(call->platform, "vapi");
  EXPECT_EQ(call->status, "ended");
  EXPECT_EQ(call->duration_ms, 120000);
  EXPECT_EQ(call->summary, "Termin gebucht");
  EXPECT_EQ(call->retell_cost_cents, 12);
  EXPECT_EQ(call->disconnection_reason, "customer-ended-call");
  EXPECT_TRUE(call->customer_id.has_value());
  EXPECT_EQ(Count("webhook_events", "source = 'vapi'"), 2);
  ASSERT_EQ(jobs_.jobs().size(), 1u);  // the analysis prices the call once
  EXPECT_EQ(jobs_.jobs()[0].type, calls::kCallAnalysisJob);
  EXPECT_EQ(metrics_.Value("callgate_vapi_webhook_total",
                           {{"event", "call_analyzed"}, {"outcome", "duplicate"}}),
            1);
}

TEST_P(ServerMessagesTest, ACallFirstSeenInAToolCallTakesItsPlatformFromItsStatusUpdate) {
  const json one = {{{"id", "tc"}, {"function", {{"name", "check_availability"}}}}};
  ASSERT_EQ(Post(ToolCalls("vapi-call-5", one)).status, 200);
  json ringing = {{"type", "status-update"},
                  {"status", "ringing"},
                  {"call", Call("vapi-call-5")},
                  {"phoneNumber", {{"number", kNumberA}}}};
  auto ignored = Post(ringing);
  ASSERT_EQ(ignored.status, 200);
  EXPECT_EQ(json::parse(ignored.body)["outcome"], "ignored");
  json ended = {{"type", "status-update"},
                {"status", "ended"},
                {"endedReason", "assistant-ended-call"},
                {"call", Call("vapi-call-5")},
                {"phoneNumber", {{"number", kNumberA}}}};
  ASSERT_EQ(Post(ended).status, 200);
  auto call = calls_->FindByRetellId(a_, "vapi-call-5");
  ASSERT_TRUE(call.has_value());
  EXPECT_EQ(call->platform, "vapi");
  EXPECT_EQ(call->status, "ended");
}

TEST_P(ServerMessagesTest, OtherMessagesAreAcknowledgedAndStoreNothing) {
  for (const char* type : {"conversation-update", "speech-update", "hang", "transcript"}) {
    auto r = Post({{"type", type}, {"call", Call("vapi-call-6")}});
    EXPECT_EQ(r.status, 200) << type;
  }
  EXPECT_EQ(Post({{"status", "ended"}}).status, 400);
  EXPECT_EQ(Count("calls"), 0);
  EXPECT_EQ(Count("webhook_events"), 0);
}

INSTANTIATE_TEST_SUITE_P(Backends, ServerMessagesTest, storage::testing::AllBackends(),
                         storage::testing::BackendName);

}  // namespace
}  // namespace callgate::vapi
