#include "core/json_depth.hpp"

#include <gtest/gtest.h>

#include <string>

namespace callgate {
namespace {

std::string Nested(std::size_t depth, char open = '[', char close = ']') {
  return std::string(depth, open) + std::string(depth, close);
}

TEST(JsonNestingDepth, CountsArraysAndObjects) {
  EXPECT_EQ(JsonNestingDepth(""), 0u);
  EXPECT_EQ(JsonNestingDepth("42"), 0u);
  EXPECT_EQ(JsonNestingDepth("{}"), 1u);
  EXPECT_EQ(JsonNestingDepth(R"({"a":[1,{"b":[]}],"c":{}})"), 4u);
  EXPECT_EQ(JsonNestingDepth(Nested(64)), 64u);
}

TEST(JsonNestingDepth, IgnoresBracketsInsideStrings) {
  EXPECT_EQ(JsonNestingDepth(R"({"text":"[[[[{{{{"})"), 1u);
  EXPECT_EQ(JsonNestingDepth(R"(["a \"[[[ quoted", "\\", [1]])"), 2u);
}

TEST(JsonNestingDepth, StopsScanningOnceOverTheLimit) {
  const std::string deep = Nested(500'000);
  EXPECT_EQ(JsonNestingDepth(deep), kMaxJsonDepth + 1);
  EXPECT_FALSE(JsonDepthWithin(deep));
  EXPECT_FALSE(JsonDepthWithin(Nested(65, '{', '}')));
  EXPECT_TRUE(JsonDepthWithin(Nested(64, '{', '}')));
  EXPECT_EQ(JsonNestingDepth(Nested(10), 3), 4u);
}

TEST(JsonNestingDepth, SurvivesMalformedInput) {
  EXPECT_EQ(JsonNestingDepth("]]]]}}}"), 0u);
  EXPECT_EQ(JsonNestingDepth("\"unterminated [[["), 0u);
  EXPECT_EQ(JsonNestingDepth("[[[ ]]] [[[["), 4u);
}

}  // namespace
}  // namespace callgate
