#include "vapi/auth_guard.hpp"

#include "core/blocking.hpp"
#include "observability/log.hpp"

namespace callgate::vapi {

http::Response VapiAuthGuard::Handle(http::Request& request, const http::Next& next) const {
  // A refusal is counted and logged once per request: its failed-authentication limit may wait
  // (Redis), and then the request runs again on a handler thread.
  auto reject = [&](std::string_view outcome) {
    OncePerRequest("vapi credential refused", [&] {
      counts_.Add("callgate_vapi_auth_total", {outcome});
      observability::LogWarn("vapi_auth_rejected", {{"outcome", outcome},
                                                    {"route", request.route_pattern},
                                                    {"client", request.ClientAddress()}});
    });
    return http::Response::Error(ErrorCode::kUnauthenticated, "invalid or missing credential");
  };
  const Secret* secret = &platform_secret_;
  Secret company_secret;
  std::optional<tenancy::CompanyId> company_id;
  if (auto slug = request.RouteParam("slug")) {
    auto company = companies_.FindBySlug(*slug);
    if (!company) {
      if (company.error().code != ErrorCode::kNotFound) {
        OncePerRequest("vapi credential refused",
                       [&] { counts_.Add("callgate_vapi_auth_total", {"error"}); });
        return http::Response::Error(company.error());
      }
      return reject("unknown_company");
    }
    if (!company->is_active) return reject("unknown_company");
    company_id = company->id;
    if (!company->vapi_secret.empty()) {
      company_secret = company->vapi_secret;
      secret = &company_secret;
    }
  }
  auto verified = VerifyVapiRequest(request, *secret, hmac_, clock_.Now());
  if (!verified) return reject(verified.error().message);
  if (*verified == Credential::kHmac) {
    const auto signature = request.Header(hmac_.signature_header).value_or("");
    // Bound in its one spelling: the same signature in upper-case hex is the same use.
    if (!uses_->Bind(CanonicalSignature(hmac_, signature), request.path)) {
      return reject("replayed");
    }
  }
  // A request run again on a handler thread (its first attempt would have waited) is counted
  // once; binding the same signature to the same path again passes.
  OncePerRequest("vapi credential counted", [&] {
    counts_.Add("callgate_vapi_auth_total", {"ok_" + std::string(CredentialName(*verified))});
  });
  request.attributes.principal = "vapi";
  if (company_id) request.attributes.company_id = company_id->value;
  return next(request);
}

}  // namespace callgate::vapi
