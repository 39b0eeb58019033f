// McpServer behind the Origin guard on a Router, with a stand-in token guard and a fake
// ToolGateway: sessions, versions, JSON-RPC errors, notifications, batches, DELETE, GET.
#include "mcp/mcp_server.hpp"

#include <gtest/gtest.h>

#include <mutex>

#include "core/testing/fake_clock.hpp"
#include "http/router.hpp"
#include "mcp/origin_guard.hpp"

namespace callgate::mcp {
namespace {

using nlohmann::json;

class FakeTools final : public ToolGateway {
 public:
  FakeTools() {
    list_ = json::parse(R"({"tools":[{"name":"check_availability","description":"d",
      "inputSchema":{"type":"object"},"annotations":{"readOnlyHint":true}}]})");
  }
  const json& ToolList() const override { return list_; }
  Result<ToolResult> Call(const ToolRequest& request) override {
    std::lock_guard lock(mutex_);
    calls.push_back(request);
    if (request.name == "broken") return Fail(ErrorCode::kUnavailable, "db password wrong");
    if (request.name != "check_availability") return Fail(ErrorCode::kNotFound, "no tool");
    if (request.arguments.contains("date") && request.arguments["date"] == "gestern") {
      return ToolResult{"Das Datum liegt in der Vergangenheit.", {{"reason", "past"}}, true};
    }
    return ToolResult{
        R"({"success":true,"message":"Frei."})", {{"success", true}, {"message", "Frei."}}, false};
  }
  std::vector<ToolRequest> calls;

 private:
  std::mutex mutex_;
  json list_;
};

class McpServerTest : public ::testing::Test {
 protected:
  McpServerTest()
      : sessions_(SessionSettings{}, clock_),
        server_(McpSettings{"callgate", "1.2.3", "Termine buchen."}, sessions_, tools_, metrics_) {
    // Stands in for agent_token: "Bearer alpha" is company 1, "Bearer beta" company 2.
    auto token = http::MakeFilter("agent_token", [](http::Request& r) {
      const auto auth = r.Header("Authorization");
      if (auth == "Bearer alpha") {
        r.attributes.principal = "user:1:agent";
        r.attributes.company_id = 1;
      } else if (auth == "Bearer beta") {
        r.attributes.principal = "user:2:agent";
        r.attributes.company_id = 2;
      } else {
        return std::optional<http::Response>(
            http::Response::Error(ErrorCode::kUnauthenticated, "no"));
      }
      return std::optional<http::Response>();
    });
    const http::RouteOptions guards{{MakeOriginGuard({"https://App.Example.com/"}), token}};
    router_.Add(
        http::Method::kPost, "/mcp", [this](http::Request& r) { return server_.Post(r); }, guards);
    router_.Add(
        http::Method::kDelete, "/mcp", [this](http::Request& r) { return server_.Delete(r); },
        guards);
  }

  struct Sent {
    int status = 0;
    json body;
    http::Headers headers;
    std::string raw;
  };

  Sent Send(http::Method method, const std::string& body, const std::string& token = "alpha",
            std::vector<std::pair<std::string, std::string>> headers = {}) {
    http::Request request;
    request.method = method;
    request.path = "/mcp";
    request.body = body;
    request.peer_address = "127.0.0.1";
    request.headers.Add("Authorization", "Bearer " + token);
    bool has_type = false;
    for (auto& [name, value] : headers) {
      if (http::EqualsIgnoreCase(name, "Content-Type")) has_type = true;
      request.headers.Add(name, value);
    }
    if (!has_type && method == http::Method::kPost) {
      request.headers.Add("Content-Type", "application/json");
    }
    auto response = router_.Handle(request);
    Sent sent{response.status, json::parse(response.body, nullptr, false), response.headers,
              response.body};
    return sent;
  }

  Sent Post(const json& message, const std::string& session = "",
            const std::string& token = "alpha",
            std::vector<std::pair<std::string, std::string>> headers = {}) {
    if (!session.empty()) headers.emplace_back("Mcp-Session-Id", session);
    return Send(http::Method::kPost, message.dump(), token, std::move(headers));
  }

  // initialize with `version`; returns the session id.
  std::string Initialize(const std::string& token = "alpha",
                         const std::string& version = "2025-11-25") {
    auto sent = Post({{"jsonrpc", "2.0"},
                      {"id", 0},
                      {"method", "initialize"},
                      {"params",
                       {{"protocolVersion", version},
                        {"capabilities", json::object()},
                        {"clientInfo", {{"name", "test"}, {"version", "1"}}}}}},
                     "", token);
    EXPECT_EQ(sent.status, 200) << sent.raw;
    return std::string(sent.headers.Get("Mcp-Session-Id").value_or(""));
  }

  static json Request(const json& id, const std::string& method, json params = nullptr) {
    json m = {{"jsonrpc", "2.0"}, {"id", id}, {"method", method}};
    if (!params.is_null()) m["params"] = std::move(params);
    return m;
  }

  callgate::testing::FakeClock clock_;
  observability::Metrics metrics_;
  SessionStore sessions_;
  FakeTools tools_;
  McpServer server_;
  http::Router router_;
};

TEST_F(McpServerTest, InitializeOpensASessionAndNegotiatesTheVersion) {
  auto sent = Post(Request(0, "initialize",
                           {{"protocolVersion", "2025-11-25"},
                            {"capabilities", json::object()},
                            {"clientInfo", {{"name", "c"}, {"version", "1"}}}}));
  ASSERT_EQ(sent.status, 200) << sent.raw;
  EXPECT_EQ(sent.headers.Get("Content-Type").value_or("").substr(0, 16), "application/json");
  EXPECT_EQ(sent.body["jsonrpc"], "2.0");
  EXPECT_EQ(sent.body["id"], 0);
  const json& result = sent.body["result"];
  EXPECT_EQ(result["protocolVersion"], "2025-11-25");
  EXPECT_EQ(result["capabilities"], json::parse(R"({"tools":{"listChanged":false}})"));
  EXPECT_EQ(result["serverInfo"], json::parse(R"({"name":"callgate","version":"1.2.3"})"));
  EXPECT_EQ(result["instructions"], "Termine buchen.");
  const auto id = sent.headers.Get("Mcp-Session-Id");
  ASSERT_TRUE(id.has_value());
  EXPECT_EQ(id->size(), 64u);

  for (const std::string version : {"2025-06-18", "2025-03-26"}) {
    auto older = Post(Request("v", "initialize", {{"protocolVersion", version}}));
    EXPECT_EQ(older.body["result"]["protocolVersion"], version);
  }
  for (const std::string version : {"2024-11-05", "2026-07-28", "1999-01-01"}) {
    auto other = Post(Request(1, "initialize", {{"protocolVersion", version}}));
    EXPECT_EQ(other.body["result"]["protocolVersion"], "2025-11-25") << version;
  }
  EXPECT_EQ(sessions_.size(), 6u);
}

TEST_F(McpServerTest, InitializeWithoutAProtocolVersionIsInvalidParams) {
  auto sent = Post(Request(3, "initialize", {{"capabilities", json::object()}}));
  EXPECT_EQ(sent.status, 200);
  EXPECT_EQ(sent.body["error"]["code"], -32602);
  EXPECT_EQ(sent.body["id"], 3);
  EXPECT_FALSE(sent.headers.Has("Mcp-Session-Id"));
  EXPECT_EQ(sessions_.size(), 0u);
}

TEST_F(McpServerTest, EveryLaterMessageNeedsItsOwnSession) {
  const std::string session = Initialize();
  auto ok = Post(Request(1, "ping"), session);
  EXPECT_EQ(ok.status, 200);
  EXPECT_EQ(ok.body, json::parse(R"({"jsonrpc":"2.0","id":1,"result":{}})"));

  auto missing = Post(Request(2, "ping"));
  EXPECT_EQ(missing.status, 400);
  EXPECT_EQ(missing.body["error"]["code"], -32000);
  EXPECT_TRUE(missing.body["id"].is_null());
  auto unknown = Post(Request(3, "ping"), std::string(64, 'a'));
  EXPECT_EQ(unknown.status, 404);
  EXPECT_EQ(unknown.body["error"]["code"], -32001);
  // Company 2's token with company 1's session: as unknown.
  auto foreign = Post(Request(4, "tools/list"), session, "beta");
  EXPECT_EQ(foreign.status, 404);
  EXPECT_FALSE(foreign.body.contains("result"));
  // A client that never initialized (or a newer-era client probing with server/discover)
  // gets the 400 that makes it initialize.
  auto discover =
      Post(Request(5, "server/discover"), "", "alpha", {{"MCP-Protocol-Version", "2026-07-28"}});
  EXPECT_EQ(discover.status, 400);
  EXPECT_EQ(discover.body["error"]["code"], -32000);
  // Notifications need it too.
  EXPECT_EQ(Post({{"jsonrpc", "2.0"}, {"method", "notifications/initialized"}}).status, 400);
}

TEST_F(McpServerTest, SessionsExpireWhenIdle) {
  const std::string session = Initialize();
  clock_.Advance(std::chrono::minutes(61));
  EXPECT_EQ(Post(Request(1, "ping"), session).status, 404);
}

TEST_F(McpServerTest, ProtocolVersionHeaderMustBeSupportedWhenPresent) {
  const std::string session = Initialize();
  for (const std::string version : {"2025-11-25", "2025-06-18", "2025-03-26"}) {
    EXPECT_EQ(
        Post(Request(1, "ping"), session, "alpha", {{"MCP-Protocol-Version", version}}).status, 200)
        << version;
  }
  auto bad = Post(Request(2, "ping"), session, "alpha", {{"MCP-Protocol-Version", "2099-01-01"}});
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(bad.body["error"]["code"], -32000);
  EXPECT_NE(bad.body["error"]["message"].get<std::string>().find("2025-11-25"), std::string::npos);
  // Absent: 2025-03-26 is assumed, which is supported.
  EXPECT_EQ(Post(Request(3, "ping"), session).status, 200);
}

TEST_F(McpServerTest, NotificationsAndResponsesAreAcceptedWithoutABody) {
  const std::string session = Initialize();
  auto initialized = Post({{"jsonrpc", "2.0"}, {"method", "notifications/initialized"}}, session);
  EXPECT_EQ(initialized.status, 202);
  EXPECT_TRUE(initialized.raw.empty());
  EXPECT_EQ(Post({{"jsonrpc", "2.0"}, {"method", "notifications/unknown"}}, session).status, 202);
  EXPECT_EQ(Post({{"jsonrpc", "2.0"}, {"id", 9}, {"result", json::object()}}, session).status, 202);
  EXPECT_EQ(metrics_.Value(kMessagesMetric, {{"method", "notification"}, {"outcome", "ok"}}), 2);
}

TEST_F(McpServerTest, ListsTheGatewaysTools) {
  const std::string session = Initialize();
  auto sent = Post(Request("l", "tools/list", {{"cursor", "ignored"}}), session);
  EXPECT_EQ(sent.status, 200);
  EXPECT_EQ(sent.body["id"], "l");
  EXPECT_EQ(sent.body["result"], tools_.ToolList());
}

TEST_F(McpServerTest, CallsAToolForTheTokensCompanyWithTheCallIdHeader) {
  const std::string session = Initialize();
  auto sent = Post(Request(7, "tools/call",
                           {{"name", "check_availability"}, {"arguments", {{"date", "morgen"}}}}),
                   session, "alpha", {{"X-Call-Id", " call_123 "}});
  ASSERT_EQ(sent.status, 200) << sent.raw;
  const json& result = sent.body["result"];
  EXPECT_EQ(result["content"],
            json::parse(R"([{"type":"text","text":"{\"success\":true,\"message\":\"Frei.\"}"}])"));
  EXPECT_EQ(result["structuredContent"], json::parse(R"({"success":true,"message":"Frei."})"));
  EXPECT_EQ(result["isError"], false);
  ASSERT_EQ(tools_.calls.size(), 1u);
  EXPECT_EQ(tools_.calls[0].company, tenancy::CompanyId(1));
  EXPECT_EQ(tools_.calls[0].session_id, session);
  EXPECT_EQ(tools_.calls[0].call_id, "call_123");
  EXPECT_EQ(tools_.calls[0].arguments["date"], "morgen");

  // Company 2 with its own session: the gateway hears company 2, and no call id.
  const std::string beta = Initialize("beta");
  Post(Request(8, "tools/call", {{"name", "check_availability"}}), beta, "beta");
  ASSERT_EQ(tools_.calls.size(), 2u);
  EXPECT_EQ(tools_.calls[1].company, tenancy::CompanyId(2));
  EXPECT_FALSE(tools_.calls[1].call_id.has_value());
  EXPECT_TRUE(tools_.calls[1].arguments.is_object());
}

TEST_F(McpServerTest, ToolFailuresAreResultsUnknownToolsAndBadParamsAreErrors) {
  const std::string session = Initialize();
  auto failed =
      Post(Request(1, "tools/call",
                   {{"name", "check_availability"}, {"arguments", {{"date", "gestern"}}}}),
           session);
  EXPECT_EQ(failed.status, 200);
  EXPECT_EQ(failed.body["result"]["isError"], true);
  EXPECT_EQ(failed.body["result"]["content"][0]["text"], "Das Datum liegt in der Vergangenheit.");

  auto unknown = Post(Request(2, "tools/call", {{"name", "nope"}}), session);
  EXPECT_EQ(unknown.status, 200);
  EXPECT_EQ(unknown.body["error"]["code"], -32602);
  EXPECT_EQ(unknown.body["id"], 2);
  for (const json& params : {json(nullptr), json::object(), json{{"name", 5}},
                             json{{"name", "check_availability"}, {"arguments", "x"}}}) {
    auto bad = Post(Request(3, "tools/call", params), session);
    EXPECT_EQ(bad.body["error"]["code"], -32602) << params.dump();
  }
  // An internal failure says nothing of its cause.
  auto broken = Post(Request(4, "tools/call", {{"name", "broken"}}), session);
  EXPECT_EQ(broken.body["error"]["code"], -32603);
  EXPECT_EQ(broken.raw.find("password"), std::string::npos);
}

TEST_F(McpServerTest, MalformedMessagesGetJsonRpcErrors) {
  const std::string session = Initialize();
  auto parse = Send(http::Method::kPost, "{not json", "alpha", {{"Mcp-Session-Id", session}});
  EXPECT_EQ(parse.status, 400);
  EXPECT_EQ(parse.body["error"]["code"], -32700);
  EXPECT_TRUE(parse.body["id"].is_null());
  auto invalid = Post(json{{"jsonrpc", "1.0"}, {"id", 1}, {"method", "ping"}}, session);
  EXPECT_EQ(invalid.status, 400);
  EXPECT_EQ(invalid.body["error"]["code"], -32600);
  EXPECT_EQ(Post(json{{"jsonrpc", "2.0"}, {"id", nullptr}, {"method", "ping"}}, session).status,
            400);
  auto unknown = Post(Request("x-1", "resources/list"), session);
  EXPECT_EQ(unknown.status, 200);
  EXPECT_EQ(unknown.body["error"]["code"], -32601);
  EXPECT_EQ(unknown.body["id"], "x-1");
  // initialize never continues a session: it opens a new one (Vapi initializes per call).
  auto again = Post(Request(5, "initialize", {{"protocolVersion", "2025-11-25"}}), session);
  EXPECT_EQ(again.status, 200);
  EXPECT_TRUE(again.body.contains("result"));  // initialize always opens a new session
}

TEST_F(McpServerTest, RefusesBodiesThatAreNotJsonAndClientsThatAcceptNoJson) {
  const std::string session = Initialize();
  const std::string ping = Request(1, "ping").dump();
  EXPECT_EQ(Send(http::Method::kPost, ping, "alpha",
                 {{"Content-Type", "text/plain"}, {"Mcp-Session-Id", session}})
                .status,
            415);
  EXPECT_EQ(Send(http::Method::kPost, ping, "alpha",
                 {{"Content-Type", "Application/JSON; charset=utf-8"}, {"Mcp-Session-Id", session}})
                .status,
            200);
  EXPECT_EQ(Send(http::Method::kPost, ping, "alpha",
                 {{"Accept", "text/html"}, {"Mcp-Session-Id", session}})
                .status,
            406);
  for (const std::string accept :
       {"application/json, text/event-stream", "text/event-stream, */*", "application/*;q=0.9"}) {
    EXPECT_EQ(
        Send(http::Method::kPost, ping, "alpha", {{"Accept", accept}, {"Mcp-Session-Id", session}})
            .status,
        200)
        << accept;
  }
}

TEST_F(McpServerTest, BatchesOnlyForTheOldestRevision) {
  const std::string old_session = Initialize("alpha", "2025-03-26");
  const json batch = json::array({Request(1, "ping"),
                                  {{"jsonrpc", "2.0"}, {"method", "notifications/initialized"}},
                                  Request(2, "tools/list")});
  auto sent = Post(batch, old_session);
  ASSERT_EQ(sent.status, 200) << sent.raw;
  ASSERT_TRUE(sent.body.is_array());
  ASSERT_EQ(sent.body.size(), 2u);
  EXPECT_EQ(sent.body[0]["id"], 1);
  EXPECT_EQ(sent.body[1]["result"], tools_.ToolList());
  auto only_notes = Post(
      json::array({{{"jsonrpc", "2.0"}, {"method", "notifications/initialized"}}}), old_session);
  EXPECT_EQ(only_notes.status, 202);
  EXPECT_EQ(Post(json::array(), old_session).status, 400);
  // A batch of at most kMaxToolCallsPerMessage messages; more is refused whole.
  json full = json::array();
  for (int i = 0; i < 20; ++i) full.push_back(Request(i + 1, "ping"));
  auto answered = Post(full, old_session);
  ASSERT_EQ(answered.status, 200) << answered.raw;
  EXPECT_EQ(answered.body.size(), 20u);
  full.push_back(Request(21, "ping"));
  auto too_many = Post(full, old_session);
  EXPECT_EQ(too_many.status, 400);
  EXPECT_EQ(too_many.body["error"]["code"], -32600);

  const std::string session = Initialize();
  auto refused = Post(batch, session);
  EXPECT_EQ(refused.status, 400);
  EXPECT_EQ(refused.body["error"]["code"], -32600);
  EXPECT_EQ(Post(batch, "").status, 400);
  // The session's revision decides: naming the oldest in the header does not bring batches
  // into a newer session, and naming a newer one refuses them in an old session.
  auto claimed = Post(batch, session, "alpha", {{"MCP-Protocol-Version", "2025-03-26"}});
  EXPECT_EQ(claimed.status, 400) << claimed.raw;
  EXPECT_EQ(claimed.body["error"]["code"], -32600);
  EXPECT_NE(claimed.body["error"]["message"].get<std::string>().find("2025-11-25"),
            std::string::npos)
      << claimed.raw;
  EXPECT_EQ(Post(batch, old_session, "alpha", {{"MCP-Protocol-Version", "2025-11-25"}}).status,
            400);
  EXPECT_EQ(Post(batch, old_session, "alpha", {{"MCP-Protocol-Version", "2025-03-26"}}).status,
            200);
}

TEST_F(McpServerTest, DeleteEndsOnlyTheOwnersSession) {
  const std::string session = Initialize();
  EXPECT_EQ(Send(http::Method::kDelete, "", "beta", {{"Mcp-Session-Id", session}}).status, 404);
  EXPECT_EQ(Send(http::Method::kDelete, "", "alpha").status, 400);
  EXPECT_EQ(Send(http::Method::kDelete, "", "alpha", {{"Mcp-Session-Id", session}}).status, 204);
  EXPECT_EQ(Post(Request(1, "ping"), session).status, 404);
  EXPECT_EQ(Send(http::Method::kDelete, "", "alpha", {{"Mcp-Session-Id", session}}).status, 404);
}

TEST_F(McpServerTest, OriginMustBeAllowedWhenPresent) {
  const std::string init = Request(0, "initialize", {{"protocolVersion", "2025-11-25"}}).dump();
  EXPECT_EQ(Send(http::Method::kPost, init).status, 200);
  EXPECT_EQ(
      Send(http::Method::kPost, init, "alpha", {{"Origin", "https://app.example.com"}}).status,
      200);
  for (const std::string origin :
       {"https://evil.example", "null", "http://app.example.com", "https://app.example.com.evil"}) {
    auto refused = Send(http::Method::kPost, init, "alpha", {{"Origin", origin}});
    EXPECT_EQ(refused.status, 403) << origin;
  }
  // Checked before the token: a foreign page learns nothing about tokens.
  EXPECT_EQ(Send(http::Method::kPost, init, "nobody", {{"Origin", "https://evil.example"}}).status,
            403);
  EXPECT_EQ(sessions_.size(), 2u);
}

TEST_F(McpServerTest, GetIsMethodNotAllowedFromTheRouteTable) {
  auto sent = Send(http::Method::kGet, "");
  EXPECT_EQ(sent.status, 405);
  const std::string allow(sent.headers.Get("Allow").value_or(""));
  EXPECT_NE(allow.find("POST"), std::string::npos);
  EXPECT_NE(allow.find("DELETE"), std::string::npos);
}

}  // namespace
}  // namespace callgate::mcp
