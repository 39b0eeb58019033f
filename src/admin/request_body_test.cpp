#include "admin/request_body.hpp"

#include <gtest/gtest.h>

namespace callgate::admin {
namespace {

const Allowlist kServiceLike{
    {{"name"}, {"duration_minutes"}, {"price_cents", Writer::kPlatformAdmin}}, {"phone_e164"}};

TEST(ParseBody, AcceptsAllowlistedFields) {
  auto body = ParseBody(R"({"name":"Beratung","duration_minutes":30})", kServiceLike, false);
  ASSERT_TRUE(body.has_value()) << body.error().message;
  EXPECT_EQ((*body)["name"], "Beratung");
}

TEST(ParseBody, RejectsUnknownFieldsNamingThem) {
  auto body = ParseBody(R"({"name":"x","colour":"red","size":3})", kServiceLike, true);
  ASSERT_FALSE(body.has_value());
  EXPECT_EQ(body.error().code, "unknown_fields");
  EXPECT_EQ(body.error().fields, (std::vector<std::string>{"colour", "size"}));
  EXPECT_NE(body.error().message.find("colour"), std::string::npos);
}

TEST(ParseBody, RejectsProtectedAndReadOnlyFields) {
  for (const char* field :
       {"id", "company_id", "status", "is_active", "role", "calcom_api_key", "retell_api_key",
        "created_at", "updated_at", "total_profit_cents", "phone_e164"}) {
    const std::string text = std::string(R"({"name":"x",")") + field + R"(":1})";
    auto body = ParseBody(text, kServiceLike, true);
    ASSERT_FALSE(body.has_value()) << field;
    EXPECT_EQ(body.error().code, "field_not_allowed") << field;
    EXPECT_EQ(body.error().fields, std::vector<std::string>{field});
  }
}

TEST(ParseBody, PlatformOnlyFieldsNeedAPlatformAdmin) {
  const std::string text = R"({"price_cents":100})";
  EXPECT_TRUE(ParseBody(text, kServiceLike, true).has_value());
  auto refused = ParseBody(text, kServiceLike, false);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code, "field_not_allowed");
  EXPECT_EQ(refused.error().fields, std::vector<std::string>{"price_cents"});
}

TEST(ParseBody, ReportsProtectedAndUnknownTogether) {
  auto body = ParseBody(R"({"company_id":2,"foo":1})", kServiceLike, true);
  ASSERT_FALSE(body.has_value());
  EXPECT_EQ(body.error().code, "field_not_allowed");
  EXPECT_EQ(body.error().fields, (std::vector<std::string>{"company_id", "foo"}));
}

TEST(ParseBody, RejectsNonObjects) {
  for (const char* text : {"", "[]", "42", "{", "\"x\""}) {
    auto body = ParseBody(text, kServiceLike, true);
    ASSERT_FALSE(body.has_value()) << text;
    EXPECT_EQ(body.error().code, "invalid_json");
  }
}

TEST(FieldReader, ReportsProblemsWithTheirPaths) {
  const auto object = nlohmann::json::parse(
      R"({"name":"","n":5000,"b":"yes","list":["a",""],"policy":{"fee_tiers":[{"x":1}]}})");
  Problems problems;
  FieldReader fields(object, problems);
  EXPECT_FALSE(fields.String("name", true).has_value());
  EXPECT_FALSE(fields.Int("n", 0, 100).has_value());
  EXPECT_FALSE(fields.Bool("b").has_value());
  EXPECT_FALSE(fields.StringList("list").has_value());
  EXPECT_FALSE(fields.String("absent").has_value());
  const auto* policy = fields.Object("policy");
  ASSERT_NE(policy, nullptr);
  CheckNestedKeys((*policy)["fee_tiers"][0], {"within_hours"}, "policy.fee_tiers[0]", problems);
  const auto error = problems.ToError();
  EXPECT_EQ(error.code, "validation_failed");
  EXPECT_EQ(error.fields,
            (std::vector<std::string>{"name", "n", "b", "list[1]", "policy.fee_tiers[0].x"}));
}

TEST(FieldReader, NullableValuesDistinguishNullFromAbsent) {
  const auto object = nlohmann::json::parse(R"({"a":null,"b":"x","c":null,"d":4})");
  Problems problems;
  FieldReader fields(object, problems);
  auto a = fields.NullableString("a");
  ASSERT_TRUE(a.has_value());
  EXPECT_FALSE(a->has_value());
  EXPECT_EQ(fields.NullableString("b").value(), std::optional<std::string>("x"));
  EXPECT_FALSE(fields.NullableString("zzz").has_value());
  EXPECT_FALSE(fields.NullableInt("c", 0, 10).value().has_value());
  EXPECT_EQ(fields.NullableInt("d", 0, 10).value(), std::optional<std::int64_t>(4));
  EXPECT_TRUE(problems.empty());
}

TEST(BodyErrorResponse, Is422WithFieldsAndRequestId) {
  http::Request request;
  request.request_id = "req-1";
  auto response = BodyErrorResponse({"unknown_fields", "unknown fields: x", {"x"}}, request);
  EXPECT_EQ(response.status, 422);
  const auto body = nlohmann::json::parse(response.body);
  EXPECT_EQ(body["error"]["code"], "unknown_fields");
  EXPECT_EQ(body["error"]["fields"][0], "x");
  EXPECT_EQ(body["error"]["request_id"], "req-1");
}

}  // namespace
}  // namespace callgate::admin
