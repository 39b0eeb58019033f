#include "http/router.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>
#include <stdexcept>

namespace callgate::http {
namespace {

Handler Answer(std::string text) {
  return [text](Request&) { return Response::Text(200, text); };
}

Request MakeRequest(Method method, std::string path) {
  Request request;
  request.method = method;
  request.path = std::move(path);
  return request;
}

MiddlewarePtr Guard(std::string name, bool allow) {
  return MakeFilter(std::move(name), [allow](Request&) -> std::optional<Response> {
    if (allow) return std::nullopt;
    return Response::Error(ErrorCode::kUnauthenticated, "bad signature");
  });
}

TEST(Router, MatchesLiteralAndParamSegments) {
  Router router;
  router.Add(Method::kPost, "/api/retell/{function}", [](Request& request) {
    return Response::Text(200, std::string(*request.RouteParam("function")));
  });
  auto request = MakeRequest(Method::kPost, "/api/retell/check%2Davailability");
  const Response response = router.Handle(request);
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "check-availability");
  EXPECT_EQ(request.route_pattern, "/api/retell/{function}");
}

TEST(Router, LiteralSegmentBeatsParameter) {
  Router router;
  router.Add(Method::kPost, "/webhooks/retell/{event}", Answer("param"));
  router.Add(Method::kPost, "/webhooks/retell/inbound", Answer("literal"));
  auto inbound = MakeRequest(Method::kPost, "/webhooks/retell/inbound");
  EXPECT_EQ(router.Handle(inbound).body, "literal");
  auto other = MakeRequest(Method::kPost, "/webhooks/retell/started");
  EXPECT_EQ(router.Handle(other).body, "param");
}

TEST(Router, RootAndExactPathsOnly) {
  Router router;
  router.Add(Method::kGet, "/", Answer("root"));
  router.Add(Method::kGet, "/health", Answer("ok"));
  auto root = MakeRequest(Method::kGet, "/");
  EXPECT_EQ(router.Handle(root).body, "root");
  for (const char* path : {"/health/", "//health", "/Health", "/health/x", ""}) {
    auto request = MakeRequest(Method::kGet, path);
    EXPECT_EQ(router.Handle(request).status, 404) << path;
  }
}

TEST(Router, EmptyParamSegmentDoesNotMatch) {
  Router router;
  router.Add(Method::kPost, "/api/retell/{function}", Answer("x"));
  auto request = MakeRequest(Method::kPost, "/api/retell/");
  EXPECT_EQ(router.Handle(request).status, 404);
}

TEST(Router, UnknownPathIsNotFoundJson) {
  Router router;
  router.Add(Method::kGet, "/health", Answer("ok"));
  auto request = MakeRequest(Method::kGet, "/nope");
  const Response response = router.Handle(request);
  EXPECT_EQ(response.status, 404);
  EXPECT_EQ(nlohmann::json::parse(response.body)["error"]["code"], "not_found");
  EXPECT_TRUE(request.route_pattern.empty());
}

TEST(Router, WrongMethodIsMethodNotAllowedWithAllow) {
  Router router;
  router.Add(Method::kPost, "/items/{id}", Answer("post"));
  router.Add(Method::kGet, "/items/{id}", Answer("get"));
  router.Add(Method::kDelete, "/items/special", Answer("delete"));
  auto request = MakeRequest(Method::kPut, "/items/special");
  const Response response = router.Handle(request);
  EXPECT_EQ(response.status, 405);
  EXPECT_EQ(response.headers.Get("Allow"), "GET, POST, DELETE");
  EXPECT_EQ(nlohmann::json::parse(response.body)["error"]["code"], "method_not_allowed");
}

TEST(Router, ParamRouteServesMethodTheLiteralRouteLacks) {
  Router router;
  router.Add(Method::kGet, "/items/{id}", Answer("get"));
  router.Add(Method::kDelete, "/items/special", Answer("delete"));
  auto request = MakeRequest(Method::kGet, "/items/special");
  EXPECT_EQ(router.Handle(request).body, "get");
}

TEST(Router, GuardsRunBeforeHandlerAndCanReject) {
  Router router;
  bool handler_ran = false;
  router.Add(
      Method::kPost, "/webhooks/retell",
      [&](Request&) {
        handler_ran = true;
        return Response::Text(200, "ok");
      },
      RouteOptions{{Guard("retell_signature", false)}});
  auto request = MakeRequest(Method::kPost, "/webhooks/retell");
  EXPECT_EQ(router.Handle(request).status, 401);
  EXPECT_FALSE(handler_ran);
}

TEST(Router, GlobalMiddlewareRunsForUnmatchedRequestsToo) {
  Router router;
  int seen = 0;
  router.Use(MakeFilter("count", [&](Request&) -> std::optional<Response> {
    ++seen;
    return std::nullopt;
  }));
  router.Add(Method::kGet, "/health", Answer("ok"));
  auto matched = MakeRequest(Method::kGet, "/health");
  auto unmatched = MakeRequest(Method::kGet, "/missing");
  router.Handle(matched);
  router.Handle(unmatched);
  EXPECT_EQ(seen, 2);
}

TEST(Router, DescribeListsEveryRouteWithItsGuards) {
  Router router;
  router.Add(Method::kGet, "/health", Answer("ok"));
  router.Add(Method::kPost, "/api/retell/{function}", Answer("fn"),
             RouteOptions{{Guard("retell_signature", true), Guard("rate_limit", true)}});
  const auto routes = router.Describe();
  ASSERT_EQ(routes.size(), 2u);
  EXPECT_EQ(routes[0].pattern, "/health");
  EXPECT_TRUE(routes[0].IsPublic());
  EXPECT_EQ(routes[1].method, Method::kPost);
  EXPECT_EQ(routes[1].pattern, "/api/retell/{function}");
  EXPECT_EQ(routes[1].guards, (std::vector<std::string>{"retell_signature", "rate_limit"}));
}

// The shape of the security test the app will run against its real route table: every route
// outside an explicit public list has at least one guard.
TEST(Router, OnlyExplicitlyPublicRoutesAreUnguarded) {
  Router router;
  router.Add(Method::kGet, "/health", Answer("ok"));
  router.Add(Method::kPost, "/webhooks/retell", Answer("w"),
             RouteOptions{{Guard("retell_signature", true)}});
  router.Add(Method::kGet, "/debug", Answer("oops"));  // forgotten guard
  const std::set<std::string> kPublic = {"GET /health"};
  std::vector<std::string> unguarded;
  for (const auto& route : router.Describe()) {
    const std::string key = std::string(MethodName(route.method)) + " " + route.pattern;
    if (route.IsPublic() && !kPublic.contains(key)) unguarded.push_back(key);
  }
  EXPECT_EQ(unguarded, (std::vector<std::string>{"GET /debug"}));
}

TEST(Router, RejectsMalformedOrDuplicateRoutesAtStartup) {
  Router router;
  router.Add(Method::kGet, "/a/{id}", Answer("x"));
  EXPECT_THROW(router.Add(Method::kGet, "/a/{other}", Answer("y")), std::invalid_argument);
  EXPECT_THROW(router.Add(Method::kGet, "a", Answer("y")), std::invalid_argument);
  EXPECT_THROW(router.Add(Method::kGet, "/a//b", Answer("y")), std::invalid_argument);
  EXPECT_THROW(router.Add(Method::kGet, "/a/", Answer("y")), std::invalid_argument);
  EXPECT_THROW(router.Add(Method::kGet, "/x{id}", Answer("y")), std::invalid_argument);
  EXPECT_THROW(router.Add(Method::kGet, "/{Id}", Answer("y")), std::invalid_argument);
  EXPECT_THROW(router.Add(Method::kGet, "/{a}/{a}", Answer("y")), std::invalid_argument);
  EXPECT_THROW(router.Add(Method::kGet, "/b", Handler{}), std::invalid_argument);
  EXPECT_THROW(router.Add(Method::kOther, "/b", Answer("y")), std::invalid_argument);
  EXPECT_THROW(router.Add(Method::kGet, "/b", Answer("y"), RouteOptions{{nullptr}}),
               std::invalid_argument);
  EXPECT_NO_THROW(router.Add(Method::kPost, "/a/{id}", Answer("z")));
}

TEST(Router, OnlyPublicLiteralRoutesAreAnsweredInlineAndOnlyForTheirExactMethodAndPath) {
  Router router;
  router.Add(Method::kGet, "/health", Answer("ok"), {.answer_inline = true});
  router.Add(Method::kGet, "/ready", Answer("ready"));
  router.Add(Method::kGet, "/{page}", Answer("page"));
  EXPECT_EQ(router.Inline(Method::kGet, "/health"), InlineMode::kAnswer);
  EXPECT_EQ(router.Inline(Method::kPost, "/health"), InlineMode::kNo);
  EXPECT_EQ(router.Inline(Method::kHead, "/health"), InlineMode::kNo);
  EXPECT_EQ(router.Inline(Method::kGet, "/health/"), InlineMode::kNo);
  EXPECT_EQ(router.Inline(Method::kGet, "/Health"), InlineMode::kNo);
  EXPECT_EQ(router.Inline(Method::kGet, "/ready"), InlineMode::kNo);
  EXPECT_EQ(router.Inline(Method::kGet, "/other"), InlineMode::kNo);

  const auto routes = router.Describe();
  EXPECT_TRUE(routes[0].answer_inline);
  EXPECT_FALSE(routes[1].answer_inline);

  // A guard may block (a database, Redis) and a parameter is a family of paths: neither inline.
  EXPECT_THROW(router.Add(Method::kGet, "/guarded", Answer("x"),
                          {.guards = {Guard("token", true)}, .answer_inline = true}),
               std::invalid_argument);
  EXPECT_THROW(router.Add(Method::kGet, "/items/{id}", Answer("x"), {.answer_inline = true}),
               std::invalid_argument);
  EXPECT_EQ(router.Inline(Method::kGet, "/guarded"), InlineMode::kNo);
}

TEST(Router, TriedInlineIsTheRouteHandleWouldChoose) {
  Router router;
  router.Add(Method::kPost, "/api/{function}", Answer("fn"),
             {.guards = {Guard("token", true)}, .try_inline = true});
  router.Add(Method::kPost, "/api/book", Answer("book"), {.guards = {Guard("token", true)}});
  router.Add(Method::kGet, "/api/{function}", Answer("get"));
  router.Add(Method::kGet, "/health", Answer("ok"), {.answer_inline = true});

  EXPECT_EQ(router.Inline(Method::kPost, "/api/check"), InlineMode::kTry);
  // The literal route is more specific: Handle() runs it, and it is not tried inline.
  EXPECT_EQ(router.Inline(Method::kPost, "/api/book"), InlineMode::kNo);
  // Other methods, paths, 404 and 405 run on handler threads.
  EXPECT_EQ(router.Inline(Method::kGet, "/api/check"), InlineMode::kNo);
  EXPECT_EQ(router.Inline(Method::kPost, "/api/check/more"), InlineMode::kNo);
  EXPECT_EQ(router.Inline(Method::kPost, "/api/"), InlineMode::kNo);
  EXPECT_EQ(router.Inline(Method::kPut, "/api/check"), InlineMode::kNo);
  EXPECT_EQ(router.Inline(Method::kPost, "/other"), InlineMode::kNo);
  EXPECT_EQ(router.Inline(Method::kGet, "/health"), InlineMode::kAnswer);

  const auto routes = router.Describe();
  EXPECT_TRUE(routes[0].try_inline);
  EXPECT_FALSE(routes[1].try_inline);
  EXPECT_FALSE(routes[3].try_inline);

  EXPECT_THROW(
      router.Add(Method::kGet, "/both", Answer("x"), {.answer_inline = true, .try_inline = true}),
      std::invalid_argument);
}

}  // namespace
}  // namespace callgate::http
