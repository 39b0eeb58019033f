#include "http/request.hpp"

#include <gtest/gtest.h>

#include "http/headers.hpp"

namespace callgate::http {
namespace {

TEST(Headers, LookupIgnoresCase) {
  Headers headers;
  headers.Add("X-Retell-Signature", "v=1,d=ab");
  EXPECT_EQ(headers.Get("x-retell-signature"), "v=1,d=ab");
  EXPECT_EQ(headers.Get("X-RETELL-SIGNATURE"), "v=1,d=ab");
  EXPECT_FALSE(headers.Get("X-Retell").has_value());
}

TEST(Headers, SetReplacesEveryFieldOfThatName) {
  Headers headers;
  headers.Add("Accept", "a");
  headers.Add("accept", "b");
  headers.Set("ACCEPT", "c");
  ASSERT_EQ(headers.size(), 1u);
  EXPECT_EQ(headers.Get("Accept"), "c");
  EXPECT_EQ(headers.Remove("accept"), 1u);
  EXPECT_TRUE(headers.empty());
}

TEST(PercentDecode, DecodesEscapesAndOptionallyPlus) {
  EXPECT_EQ(PercentDecode("a%20b+c", true), "a b c");
  EXPECT_EQ(PercentDecode("a%20b+c", false), "a b+c");
  EXPECT_EQ(PercentDecode("%C3%BCbermorgen", false),
            "\xC3\xBC"
            "bermorgen");
}

TEST(PercentDecode, KeepsMalformedEscapesLiterally) {
  EXPECT_EQ(PercentDecode("100%", false), "100%");
  EXPECT_EQ(PercentDecode("%zz%4", false), "%zz%4");
}

TEST(ParseQueryString, SplitsAndDecodesInOrder) {
  const auto query = ParseQueryString("call_id=abc%3D&name=Erika+M&flag&&x=");
  ASSERT_EQ(query.size(), 4u);
  EXPECT_EQ(query[0], (std::pair<std::string, std::string>{"call_id", "abc="}));
  EXPECT_EQ(query[1], (std::pair<std::string, std::string>{"name", "Erika M"}));
  EXPECT_EQ(query[2], (std::pair<std::string, std::string>{"flag", ""}));
  EXPECT_EQ(query[3], (std::pair<std::string, std::string>{"x", ""}));
}

TEST(Request, AccessorsReturnFirstMatch) {
  Request request;
  request.query = ParseQueryString("a=1&a=2");
  request.route_params = {{"function", "book-appointment"}};
  request.headers.Add("X-Call-Id", "c1");
  request.peer_address = "10.0.0.1";
  EXPECT_EQ(request.QueryParam("a"), "1");
  EXPECT_FALSE(request.QueryParam("b").has_value());
  EXPECT_EQ(request.RouteParam("function"), "book-appointment");
  EXPECT_EQ(request.Header("x-call-id"), "c1");
  EXPECT_EQ(request.ClientAddress(), "10.0.0.1");
  request.attributes.client_address = "203.0.113.7";
  EXPECT_EQ(request.ClientAddress(), "203.0.113.7");
}

TEST(Method, ParsesKnownTokensOnly) {
  EXPECT_EQ(ParseMethod("POST"), Method::kPost);
  EXPECT_EQ(ParseMethod("post"), Method::kOther);
  EXPECT_EQ(ParseMethod("PROPFIND"), Method::kOther);
  EXPECT_EQ(MethodName(Method::kDelete), "DELETE");
}

}  // namespace
}  // namespace callgate::http
