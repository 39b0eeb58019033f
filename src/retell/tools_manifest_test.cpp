// docs/retell-tools.json is what operators paste into Retell: every published tool must be
// served, and every served function published, in Retell's custom-tool format.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

#include "retell/function_handlers.hpp"

namespace callgate::retell {
namespace {

TEST(RetellToolsManifest, PublishesExactlyTheServedFunctions) {
  std::ifstream in(std::string(CALLGATE_SOURCE_DIR) + "/docs/retell-tools.json");
  ASSERT_TRUE(in) << "docs/retell-tools.json missing";
  const auto doc = nlohmann::json::parse(in);
  std::set<std::string> published;
  for (const auto& tool : doc.at("tools")) {
    EXPECT_EQ(tool.at("type"), "custom");
    const std::string url = tool.at("url");
    const std::string prefix = "/api/retell/";
    const auto pos = url.find(prefix);
    ASSERT_NE(pos, std::string::npos) << url;
    const std::string function = url.substr(pos + prefix.size());
    published.insert(function);
    std::string expected_name = function;
    for (char& c : expected_name) c = c == '-' ? '_' : c;
    EXPECT_EQ(tool.at("name"), expected_name);
    EXPECT_EQ(tool.value("method", "POST"), "POST");
    EXPECT_FALSE(tool.at("description").get<std::string>().empty());
    const auto& params = tool.at("parameters");
    EXPECT_EQ(params.at("type"), "object");
    for (const auto& required : params.value("required", nlohmann::json::array())) {
      EXPECT_TRUE(params.at("properties").contains(required)) << function << ": " << required;
    }
    EXPECT_LE(tool.value("timeout_ms", 0), 120000);
  }
  const std::set<std::string> served(FunctionNames().begin(), FunctionNames().end());
  EXPECT_EQ(published, served);
}

}  // namespace
}  // namespace callgate::retell
