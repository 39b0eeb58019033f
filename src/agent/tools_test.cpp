// The tool table drives every platform: the published definitions come from it, and
// docs/retell-tools.json (what operators paste into Retell) must equal them.
#include "agent/tools.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

namespace callgate::agent {
namespace {

using nlohmann::json;

TEST(AgentTools, DocsRetellToolsEqualTheTable) {
  std::ifstream in(std::string(CALLGATE_SOURCE_DIR) + "/docs/retell-tools.json");
  ASSERT_TRUE(in) << "docs/retell-tools.json missing";
  const auto doc = json::parse(in);
  const auto generated = json::parse(ToolDefinitions("retell", "https://callgate.example.com"));
  EXPECT_EQ(doc, generated) << "regenerate with: callgate tools --format retell "
                               "--base-url https://callgate.example.com > docs/retell-tools.json";
}

TEST(AgentTools, NamesAreUniqueAndFoundInBothSpellings) {
  std::set<std::string_view> names;
  for (const auto& tool : Tools()) {
    EXPECT_TRUE(names.insert(tool.name).second) << tool.name;
    EXPECT_EQ(FindTool(tool.name), &tool);
    EXPECT_EQ(FindTool(FunctionName(tool)), &tool);
    EXPECT_EQ(FunctionName(tool).find('-'), std::string::npos);
    EXPECT_FALSE(tool.description.empty());
    EXPECT_NE(tool.invoke, nullptr) << tool.name;
  }
  EXPECT_EQ(Tools().size(), 11u);
  EXPECT_EQ(FindTool("check-availabilit"), nullptr);
  EXPECT_EQ(FindTool(""), nullptr);
  EXPECT_EQ(FindTool("check-availability-"), nullptr);
}

TEST(AgentTools, EverySchemaIsAnObjectWhoseRequiredArgumentsExist) {
  for (const auto& tool : Tools()) {
    const auto schema = json::parse(tool.parameters);
    EXPECT_EQ(schema.at("type"), "object") << tool.name;
    for (const auto& required : schema.at("required")) {
      EXPECT_TRUE(schema.at("properties").contains(required)) << tool.name << ": " << required;
    }
  }
}

TEST(AgentTools, ToolsThatChangeTheCallersDataAreNeitherReadOnlyNorOffers) {
  for (const auto& tool : Tools()) {
    if (tool.destructive) EXPECT_FALSE(tool.read_only) << tool.name;
    if (tool.limit != LimitClass::kPerTool) EXPECT_EQ(tool.access, ToolAccess::kNewBooking);
  }
  EXPECT_EQ(FindTool("cancel-appointment")->access, ToolAccess::kCallerData);
  EXPECT_EQ(FindTool("query-customer-appointments")->access, ToolAccess::kCallerData);
  EXPECT_EQ(FindTool("check-availability")->access, ToolAccess::kOffer);
  // A callback request is noted for the company, like a booking as a contact.
  EXPECT_EQ(FindTool("request-callback")->access, ToolAccess::kNewBooking);
  EXPECT_FALSE(FindTool("request-callback")->read_only);
  EXPECT_EQ(FindTool("book-appointment")->limit, LimitClass::kBooking);
}

TEST(AgentTools, VapiDefinitionsPointAtTheVapiWebhook) {
  const auto doc = json::parse(ToolDefinitions("vapi", "https://cg.example.org/"));
  ASSERT_EQ(doc.at("tools").size(), Tools().size());
  for (std::size_t i = 0; i < Tools().size(); ++i) {
    const auto& t = doc["tools"][i];
    EXPECT_EQ(t.at("type"), "function");
    EXPECT_EQ(t.at("function").at("name"), FunctionName(Tools()[i]));
    EXPECT_EQ(t.at("function").at("parameters"), json::parse(Tools()[i].parameters));
    EXPECT_EQ(t.at("server").at("url"), "https://cg.example.org/webhooks/vapi");
  }
}

TEST(AgentTools, McpDefinitionsCarryAnnotations) {
  const auto doc = json::parse(ToolDefinitions("mcp", ""));
  ASSERT_EQ(doc.at("tools").size(), Tools().size());
  const auto& cancel = doc["tools"][7];
  EXPECT_EQ(cancel.at("name"), "cancel_appointment");
  EXPECT_EQ(cancel.at("annotations").at("destructiveHint"), true);
  EXPECT_EQ(cancel.at("annotations").at("readOnlyHint"), false);
  EXPECT_EQ(doc["tools"][0].at("annotations").at("readOnlyHint"), true);
  EXPECT_EQ(doc["tools"][0].at("inputSchema").at("type"), "object");
}

TEST(AgentTools, UnknownFormatIsRefused) {
  EXPECT_THROW(ToolDefinitions("openai", ""), std::invalid_argument);
}

}  // namespace
}  // namespace callgate::agent
