#include "http/middleware.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>
#include <stdexcept>

namespace callgate::http {
namespace {

MiddlewarePtr Recorder(std::string name, std::vector<std::string>& log) {
  return MakeFilter(name, [name, &log](Request&) -> std::optional<Response> {
    log.push_back(name);
    return std::nullopt;
  });
}

TEST(Chain, RunsMiddlewareInOrderThenHandler) {
  std::vector<std::string> log;
  const std::vector<MiddlewarePtr> chain = {Recorder("a", log), Recorder("b", log)};
  const Handler handler = [&](Request&) {
    log.push_back("handler");
    return Response::Text(200, "ok");
  };
  Request request;
  EXPECT_EQ(RunChain(chain, request, handler).status, 200);
  EXPECT_EQ(log, (std::vector<std::string>{"a", "b", "handler"}));
}

TEST(Chain, FilterShortCircuits) {
  std::vector<std::string> log;
  const std::vector<MiddlewarePtr> chain = {MakeFilter("deny",
                                                       [](Request&) -> std::optional<Response> {
                                                         return Response::Error(
                                                             ErrorCode::kPermissionDenied, "no");
                                                       }),
                                            Recorder("after", log)};
  const Handler handler = [&](Request&) {
    log.push_back("handler");
    return Response::Text(200, "ok");
  };
  Request request;
  EXPECT_EQ(RunChain(chain, request, handler).status, 403);
  EXPECT_TRUE(log.empty());
}

TEST(RequestId, AcceptsSaneIdsOnly) {
  EXPECT_TRUE(RequestIdMiddleware::IsValid("abc-DEF_123"));
  EXPECT_TRUE(RequestIdMiddleware::IsValid(std::string(64, 'a')));
  EXPECT_FALSE(RequestIdMiddleware::IsValid(""));
  EXPECT_FALSE(RequestIdMiddleware::IsValid(std::string(65, 'a')));
  EXPECT_FALSE(RequestIdMiddleware::IsValid("has space"));
  EXPECT_FALSE(RequestIdMiddleware::IsValid("inject\r\nX-Evil: 1"));
  EXPECT_FALSE(RequestIdMiddleware::IsValid("a.b"));
}

TEST(RequestId, GeneratesDistinctHexIds) {
  std::set<std::string> ids;
  for (int i = 0; i < 100; ++i) {
    const std::string id = RequestIdMiddleware::Generate();
    EXPECT_EQ(id.size(), 32u);
    EXPECT_EQ(id.find_first_not_of("0123456789abcdef"), std::string::npos);
    ids.insert(id);
  }
  EXPECT_EQ(ids.size(), 100u);
}

TEST(RequestId, EchoesIntoHeaderAndErrorBody) {
  const std::vector<MiddlewarePtr> chain = {std::make_shared<RequestIdMiddleware>()};
  const Handler handler = [](Request& request) {
    EXPECT_EQ(request.request_id, "given-1");
    return Response::Error(ErrorCode::kNotFound, "x");
  };
  Request request;
  request.headers.Add("x-request-id", "given-1");
  const Response response = RunChain(chain, request, handler);
  EXPECT_EQ(response.headers.Get("X-Request-Id"), "given-1");
  EXPECT_EQ(nlohmann::json::parse(response.body)["error"]["request_id"], "given-1");
}

TEST(NoStore, NoAnswerIsKeptInACacheUnlessItsHandlerSaysSo) {
  const std::vector<MiddlewarePtr> chain = {std::make_shared<NoStoreMiddleware>()};
  Request request;
  for (const Response& response :
       {RunChain(chain, request, [](Request&) { return Response::Text(200, "ok"); }),
        RunChain(chain, request,
                 [](Request&) { return Response::Error(ErrorCode::kNotFound, "x"); })}) {
    EXPECT_EQ(response.headers.Get("Cache-Control"), "no-store");
    EXPECT_EQ(response.headers.Get("X-Content-Type-Options"), "nosniff");
  }
  const Response own = RunChain(chain, request, [](Request&) {
    auto response = Response::Text(200, "static");
    response.headers.Set("Cache-Control", "public, max-age=60");
    return response;
  });
  EXPECT_EQ(own.headers.Get("Cache-Control"), "public, max-age=60");
}

TEST(CatchAll, TurnsExceptionsInto500WithoutDetails) {
  std::string reported;
  const std::vector<MiddlewarePtr> chain = {std::make_shared<CatchAllMiddleware>(
      [&](const Request&, std::string_view what) { reported = what; })};
  const Handler handler = [](Request&) -> Response {
    throw std::runtime_error("db password is hunter2");
  };
  Request request;
  const Response response = RunChain(chain, request, handler);
  EXPECT_EQ(response.status, 500);
  EXPECT_EQ(response.body.find("hunter2"), std::string::npos);
  EXPECT_EQ(nlohmann::json::parse(response.body)["error"]["code"], "internal");
  EXPECT_EQ(reported, "db password is hunter2");
}

TEST(BodyLimit, RejectsOnlyBodiesOverTheLimit) {
  const std::vector<MiddlewarePtr> chain = {std::make_shared<BodyLimitMiddleware>(4)};
  const Handler handler = [](Request&) { return Response::Text(200, "ok"); };
  Request at_limit;
  at_limit.body = "1234";
  EXPECT_EQ(RunChain(chain, at_limit, handler).status, 200);
  Request over;
  over.body = "12345";
  const Response response = RunChain(chain, over, handler);
  EXPECT_EQ(response.status, 413);
  EXPECT_EQ(nlohmann::json::parse(response.body)["error"]["code"], "payload_too_large");
}

TEST(AccessLog, SeesFinalResponseAndSurvivesThrowingSink) {
  int calls = 0;
  int logged_status = 0;
  const std::vector<MiddlewarePtr> chain = {
      std::make_shared<AccessLogMiddleware>(
          [&](const Request&, const Response& response, std::chrono::nanoseconds elapsed) {
            ++calls;
            logged_status = response.status;
            EXPECT_GE(elapsed.count(), 0);
            throw std::runtime_error("sink down");
          }),
      std::make_shared<CatchAllMiddleware>()};
  const Handler handler = [](Request&) -> Response { throw std::logic_error("boom"); };
  Request request;
  request.received_at = std::chrono::steady_clock::now();
  EXPECT_EQ(RunChain(chain, request, handler).status, 500);
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(logged_status, 500);
}

}  // namespace
}  // namespace callgate::http
