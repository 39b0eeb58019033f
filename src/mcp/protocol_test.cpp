// The JSON-RPC layer: message classification, version negotiation, answers.
#include "mcp/protocol.hpp"

#include <gtest/gtest.h>

namespace callgate::mcp {
namespace {

using nlohmann::json;

TEST(McpProtocol, NegotiatesTheClientsVersionWhenSupportedElseTheLatest) {
  EXPECT_EQ(NegotiateProtocolVersion("2025-11-25"), "2025-11-25");
  EXPECT_EQ(NegotiateProtocolVersion("2025-06-18"), "2025-06-18");
  EXPECT_EQ(NegotiateProtocolVersion("2025-03-26"), "2025-03-26");
  EXPECT_EQ(NegotiateProtocolVersion("2024-11-05"), "2025-11-25");
  EXPECT_EQ(NegotiateProtocolVersion("2026-07-28"), "2025-11-25");
  EXPECT_EQ(NegotiateProtocolVersion(""), "2025-11-25");
  EXPECT_EQ(kLatestProtocolVersion, SupportedProtocolVersions().front());
  EXPECT_FALSE(IsSupportedProtocolVersion("2025-11-25 "));
}

TEST(McpProtocol, OnlyTheOldestRevisionAllowsBatches) {
  EXPECT_TRUE(AllowsBatches("2025-03-26"));
  EXPECT_FALSE(AllowsBatches("2025-06-18"));
  EXPECT_FALSE(AllowsBatches("2025-11-25"));
}

TEST(McpProtocol, ClassifiesRequestsNotificationsAndResponses) {
  auto request = ClassifyMessage(
      json::parse(R"({"jsonrpc":"2.0","id":7,"method":"tools/list","params":{"cursor":"x"}})"));
  EXPECT_EQ(request.kind, MessageKind::kRequest);
  EXPECT_EQ(request.method, "tools/list");
  EXPECT_EQ(request.id, 7);
  EXPECT_EQ(request.params["cursor"], "x");

  auto string_id = ClassifyMessage(json::parse(R"({"jsonrpc":"2.0","id":"a-1","method":"ping"})"));
  EXPECT_EQ(string_id.kind, MessageKind::kRequest);
  EXPECT_EQ(string_id.id, "a-1");
  EXPECT_TRUE(string_id.params.is_null());

  auto note =
      ClassifyMessage(json::parse(R"({"jsonrpc":"2.0","method":"notifications/initialized"})"));
  EXPECT_EQ(note.kind, MessageKind::kNotification);
  EXPECT_TRUE(note.id.is_null());

  EXPECT_EQ(ClassifyMessage(json::parse(R"({"jsonrpc":"2.0","id":3,"result":{}})")).kind,
            MessageKind::kResponse);
  EXPECT_EQ(
      ClassifyMessage(json::parse(R"({"jsonrpc":"2.0","id":"x","error":{"code":1,"message":"m"}})"))
          .kind,
      MessageKind::kResponse);
}

TEST(McpProtocol, RefusesWhatIsNotAJsonRpcMessage) {
  for (const char* text : {
           R"([])", R"("ping")",
           R"({"id":1,"method":"ping"})",                          // no jsonrpc
           R"({"jsonrpc":"1.0","id":1,"method":"ping"})",          // wrong version
           R"({"jsonrpc":"2.0","id":null,"method":"ping"})",       // null id
           R"({"jsonrpc":"2.0","id":1.5,"method":"ping"})",        // fractional id
           R"({"jsonrpc":"2.0","id":true,"method":"ping"})",       // boolean id
           R"({"jsonrpc":"2.0","id":{},"method":"ping"})",         // object id
           R"({"jsonrpc":"2.0","id":1,"method":""})",              // empty method
           R"({"jsonrpc":"2.0","id":1,"method":5})",               // method not a string
           R"({"jsonrpc":"2.0","id":1,"method":"x","params":3})",  // params not an object
           R"({"jsonrpc":"2.0","id":1,"method":"x","params":[1]})",
           R"({"jsonrpc":"2.0","id":1})",       // neither
           R"({"jsonrpc":"2.0","result":{}})",  // response without id
       }) {
    const auto message = ClassifyMessage(json::parse(text));
    EXPECT_EQ(message.kind, MessageKind::kInvalid) << text;
    EXPECT_FALSE(message.problem.empty()) << text;
  }
  // A usable id is kept for the error answer.
  EXPECT_EQ(ClassifyMessage(json::parse(R"({"jsonrpc":"2.0","id":4,"method":9})")).id, 4);
}

TEST(McpProtocol, BuildsJsonRpcAnswers) {
  EXPECT_EQ(ResultMessage(5, json::object()).dump(), R"({"id":5,"jsonrpc":"2.0","result":{}})");
  EXPECT_EQ(
      ErrorMessage("q", error_code::kMethodNotFound, "Method not found: x").dump(),
      R"({"error":{"code":-32601,"message":"Method not found: x"},"id":"q","jsonrpc":"2.0"})");
  auto with_data = ErrorMessage(nullptr, error_code::kInvalidParams, "m", json{{"a", 1}});
  EXPECT_TRUE(with_data["id"].is_null());
  EXPECT_EQ(with_data["error"]["data"]["a"], 1);
}

}  // namespace
}  // namespace callgate::mcp
