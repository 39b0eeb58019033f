#include "http/error_mapping.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "http/response.hpp"

namespace callgate::http {
namespace {

TEST(ErrorMapping, MapsEveryErrorCodeToItsStatus) {
  const std::vector<std::pair<ErrorCode, int>> table = {
      {ErrorCode::kInvalidArgument, 400},  {ErrorCode::kUnauthenticated, 401},
      {ErrorCode::kPermissionDenied, 403}, {ErrorCode::kNotFound, 404},
      {ErrorCode::kAlreadyExists, 409},    {ErrorCode::kConflict, 409},
      {ErrorCode::kPayloadTooLarge, 413},  {ErrorCode::kRateLimited, 429},
      {ErrorCode::kUnavailable, 503},      {ErrorCode::kTimeout, 504},
      {ErrorCode::kInternal, 500},
  };
  for (const auto& [code, status] : table) {
    EXPECT_EQ(HttpStatusFor(code), status) << ErrorCodeName(code);
  }
}

TEST(ErrorMapping, NamesEdgeStatuses) {
  EXPECT_EQ(ErrorCodeNameForStatus(404), "not_found");
  EXPECT_EQ(ErrorCodeNameForStatus(405), "method_not_allowed");
  EXPECT_EQ(ErrorCodeNameForStatus(413), "payload_too_large");
  EXPECT_EQ(ErrorCodeNameForStatus(503), "unavailable");
  EXPECT_EQ(ErrorCodeNameForStatus(418), "bad_request");
  EXPECT_EQ(ErrorCodeNameForStatus(599), "internal");
  EXPECT_EQ(ReasonPhrase(431), "Request Header Fields Too Large");
}

TEST(ResponseError, HasStatusAndJsonBodyWithRequestId) {
  Response response = Response::Error(ErrorCode::kNotFound, "no such company");
  EXPECT_EQ(response.status, 404);
  EXPECT_EQ(response.headers.Get("Content-Type"), kJsonContentType);
  response.AttachRequestId("req-1");
  const auto body = nlohmann::json::parse(response.body);
  EXPECT_EQ(body,
            nlohmann::json::parse(R"({"error":{"code":"not_found","message":"no such company",)"
                                  R"("request_id":"req-1"}})"));
}

TEST(ResponseError, FromStatusUsesEdgeCodeName) {
  const Response response = Response::Error(405, "nope");
  EXPECT_EQ(response.status, 405);
  EXPECT_EQ(nlohmann::json::parse(response.body)["error"]["code"], "method_not_allowed");
}

TEST(ResponseJson, SerialisesAndReplacesInvalidUtf8) {
  const Response response = Response::Json(201, {{"name", std::string("bad\xff")}});
  EXPECT_EQ(response.status, 201);
  EXPECT_EQ(response.headers.Get("content-type"), kJsonContentType);
  EXPECT_TRUE(nlohmann::json::accept(response.body));
}

TEST(ResponseJson, AttachRequestIdLeavesNonErrorBodiesAlone) {
  Response response = Response::Json(200, {{"ok", true}});
  response.AttachRequestId("r");
  EXPECT_EQ(response.body, R"({"ok":true})");
}

}  // namespace
}  // namespace callgate::http
