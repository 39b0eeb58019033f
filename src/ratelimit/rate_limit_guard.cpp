#include "ratelimit/rate_limit_guard.hpp"

#include <algorithm>

#include "observability/log.hpp"

namespace callgate::ratelimit {
namespace {

// A guard's decisions, counted in callgate_ratelimit_requests_total{scope,outcome} (and the
// rejections also in callgate_ratelimit_rejected_total{scope}): the series are resolved once,
// so counting a request is one atomic addition (every request passes a guard).
class Counts {
 public:
  // The outcomes a guard of each kind can give: a rate-limit guard's requests are `unlimited`
  // or `allowed`; the failed-authentication guard `counts` a refusal or `allows` the rest.
  enum class Kind { kRateLimit, kFailedAuth };

  Counts(observability::Metrics& metrics, const std::string& scope, Kind kind)
      : allowed_(Series(metrics, scope, "allowed")),
        unlimited_(kind == Kind::kRateLimit ? Series(metrics, scope, "unlimited")
                                            : observability::Metrics::CounterHandle()),
        counted_(kind == Kind::kFailedAuth ? Series(metrics, scope, "counted")
                                           : observability::Metrics::CounterHandle()),
        error_(Series(metrics, scope, "error")),
        rejected_(Series(metrics, scope, "rejected")),
        rejected_total_(
            metrics.CounterSeries("callgate_ratelimit_rejected_total", {{"scope", scope}})) {}

  void Allowed() const { allowed_.Add(); }
  void Unlimited() const { unlimited_.Add(); }
  void Counted() const { counted_.Add(); }
  void Error() const { error_.Add(); }
  void Rejected() const {
    rejected_.Add();
    rejected_total_.Add();
  }

 private:
  static observability::Metrics::CounterHandle Series(observability::Metrics& metrics,
                                                      const std::string& scope,
                                                      const char* outcome) {
    return metrics.CounterSeries("callgate_ratelimit_requests_total",
                                 {{"scope", scope}, {"outcome", outcome}});
  }

  observability::Metrics::CounterHandle allowed_, unlimited_, counted_, error_, rejected_,
      rejected_total_;
};

void LogLimiterError(const std::string& scope, const Error& error) {
  observability::LogWarn("ratelimit_error", {{"scope", scope},
                                             {"error", std::string(ErrorCodeName(error.code))},
                                             {"message", error.message}});
}

class RateLimitGuard final : public http::Middleware {
 public:
  RateLimitGuard(std::string scope, BucketFn bucket, RateLimiter& limiter,
                 observability::Metrics& metrics)
      : scope_(std::move(scope)),
        bucket_(std::move(bucket)),
        limiter_(limiter),
        counts_(metrics, scope_, Counts::Kind::kRateLimit) {}

  std::string_view Name() const noexcept override { return "rate_limit"; }

  http::Response Handle(http::Request& request, const http::Next& next) const override {
    auto bucket = bucket_(request);
    if (!bucket) {
      counts_.Unlimited();
      return next(request);
    }
    auto decision = limiter_.Acquire(scope_ + ":" + bucket->key, bucket->limit);
    if (!decision) {
      counts_.Error();
      LogLimiterError(scope_, decision.error());
      return next(request);
    }
    if (!decision->allowed) {
      counts_.Rejected();
      return RateLimitedResponse(*decision);
    }
    counts_.Allowed();
    return next(request);
  }

 private:
  std::string scope_;
  BucketFn bucket_;
  RateLimiter& limiter_;
  Counts counts_;
};

class FailedAuthGuard final : public http::Middleware {
 public:
  FailedAuthGuard(Limit limit, RateLimiter& limiter, observability::Metrics& metrics)
      : limit_(limit), limiter_(limiter), counts_(metrics, scope_, Counts::Kind::kFailedAuth) {}

  std::string_view Name() const noexcept override { return "failed_auth_limit"; }

  http::Response Handle(http::Request& request, const http::Next& next) const override {
    // Credentials are always checked: a request with a valid signature or token is never
    // refused for the failures of others at its address (SPEC §4). Only failures count, and
    // only failures are turned into 429 once the address is over its limit.
    return http::AfterAnswer(next(request), [this, &request](http::Response response) {
      return Judge(request, std::move(response));
    });
  }

 private:
  // Counts a 401 against the client's address and refuses with 429 once it is over the limit.
  http::Response Judge(const http::Request& request, http::Response response) const {
    if (response.status != 401) {
      counts_.Allowed();
      return response;
    }
    const std::string key = "failed_auth:ip:" + std::string(request.ClientAddress());
    auto charged = limiter_.Acquire(key, limit_);
    if (!charged) {
      counts_.Error();
      LogLimiterError(scope_, charged.error());
      return response;
    }
    if (!charged->allowed) {
      counts_.Rejected();
      return RateLimitedResponse(*charged);
    }
    counts_.Counted();
    return response;
  }

  const std::string scope_ = "failed_auth";
  Limit limit_;
  RateLimiter& limiter_;
  Counts counts_;
};

}  // namespace

BucketFn ByClientAddress(Limit limit) {
  return [limit](const http::Request& request) -> std::optional<Bucket> {
    return Bucket{"ip:" + std::string(request.ClientAddress()), limit};
  };
}

BucketFn ByCompanyAndRouteParam(std::string param, Limit default_limit,
                                std::map<std::string, Limit, std::less<>> overrides) {
  return [param = std::move(param), default_limit,
          overrides = std::move(overrides)](const http::Request& request) -> std::optional<Bucket> {
    if (!request.attributes.company_id) return std::nullopt;
    auto value = request.RouteParam(param);
    if (!value || value->empty()) return std::nullopt;
    auto it = overrides.find(*value);
    const Limit limit = it != overrides.end() ? it->second : default_limit;
    return Bucket{
        "company:" + std::to_string(*request.attributes.company_id) + ":" + std::string(*value),
        limit};
  };
}

http::MiddlewarePtr MakeRateLimitGuard(std::string scope, BucketFn bucket, RateLimiter& limiter,
                                       observability::Metrics& metrics) {
  metrics.Describe("callgate_ratelimit_requests_total", "Rate-limited requests by outcome.");
  metrics.Describe("callgate_ratelimit_rejected_total", "Requests answered 429 by scope.");
  return std::make_shared<RateLimitGuard>(std::move(scope), std::move(bucket), limiter, metrics);
}

http::MiddlewarePtr MakeFailedAuthGuard(Limit limit, RateLimiter& limiter,
                                        observability::Metrics& metrics) {
  metrics.Describe("callgate_ratelimit_requests_total", "Rate-limited requests by outcome.");
  metrics.Describe("callgate_ratelimit_rejected_total", "Requests answered 429 by scope.");
  return std::make_shared<FailedAuthGuard>(limit, limiter, metrics);
}

http::Response RateLimitedResponse(const Decision& decision) {
  const long long seconds = std::max<long long>(1, (decision.retry_after.count() + 999) / 1000);
  http::Response response =
      http::Response::Error(ErrorCode::kRateLimited, "too many requests; retry later");
  response.headers.Set("Retry-After", std::to_string(seconds));
  return response;
}

}  // namespace callgate::ratelimit
