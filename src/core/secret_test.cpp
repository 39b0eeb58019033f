#include "core/secret.hpp"

#include <gtest/gtest.h>

#include <sstream>

#include "core/result.hpp"

namespace callgate {
namespace {

TEST(Secret, NeverPrintsItsValue) {
  Secret s("cal_live_supersecret");
  std::ostringstream os;
  os << s;
  EXPECT_EQ(os.str(), "***");
  EXPECT_EQ(s.Reveal(), "cal_live_supersecret");
}

TEST(Secret, EqualsComparesWholeValue) {
  Secret s("abc");
  EXPECT_TRUE(s.Equals("abc"));
  EXPECT_FALSE(s.Equals("abd"));
  EXPECT_FALSE(s.Equals("ab"));
  EXPECT_FALSE(s.Equals("abcd"));
}

TEST(ErrorCodeName, IsStableSnakeCase) {
  EXPECT_EQ(ErrorCodeName(ErrorCode::kNotFound), "not_found");
  EXPECT_EQ(ErrorCodeName(ErrorCode::kPayloadTooLarge), "payload_too_large");
}

}  // namespace
}  // namespace callgate
