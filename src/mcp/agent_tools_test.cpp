// The tools/list result MCP clients get: the shared table's definitions plus `branch`.
#include "mcp/agent_tools.hpp"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace callgate::mcp
