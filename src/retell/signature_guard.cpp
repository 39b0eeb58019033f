#include "retell/signature_guard.hpp"

#include "core/blocking.hpp"
#include "observability/log.hpp"
#include "retell/signature.hpp"

namespace callgate::retell {

http::Response RetellSignatureGuard::Handle(http::Request& request, const http::Next& next) const {
  // A refusal is counted and logged once per request: its failed-authentication limit may wait
  // (Redis), and then the request runs again on a handler thread.
  auto reject = [&](std::string_view outcome) {
    OncePerRequest("retell signature refused", [&] {
      metrics_.Increment("callgate_retell_signature_total", {{"outcome", std::string(outcome)}});
      observability::LogWarn("retell_signature_rejected", {{"outcome", outcome},
                                                           {"route", request.route_pattern},
                                                           {"client", request.ClientAddress()}});
    });
    return http::Response::Error(ErrorCode::kUnauthenticated, "invalid or missing signature");
  };
  const Secret* key = &platform_key_;
  Secret company_key;
  std::optional<tenancy::CompanyId> company_id;
  if (auto slug = request.RouteParam("slug")) {
    auto company = companies_.FindBySlug(*slug);
    if (!company) {
      if (company.error().code != ErrorCode::kNotFound) {
        OncePerRequest("retell signature refused", [&] {
          metrics_.Increment("callgate_retell_signature_total", {{"outcome", "error"}});
        });
        return http::Response::Error(company.error());
      }
      return reject("unknown_company");
    }
    if (!company->is_active) return reject("unknown_company");
    company_id = company->id;
    if (!company->retell_api_key.empty()) {
      company_key = company->retell_api_key;
      key = &company_key;
    }
  }
  const auto header = request.Header(kSignatureHeader).value_or("");
  auto verified = VerifyRetellSignature(header, request.body, *key, clock_.Now());
  if (!verified) return reject(verified.error().message);
  // What the signature does not cover but the handler reads: the path (function), and the call
  // id of args-only requests.
  std::string binding = request.path;
  binding += '\n';
  binding += request.Header("X-Call-Id").value_or("");
  binding += '\n';
  binding += request.QueryParam("call_id").value_or("");
  // Bound in its one spelling: "d=AB…" or "v=0…" of the same signature is the same use.
  const auto parsed = ParseSignatureHeader(header);
  if (!parsed || !uses_->Bind(CanonicalSignature(*parsed), binding)) return reject("replayed");
  // A request run again on a handler thread (its first attempt would have blocked) is counted
  // once; binding the same signature to the same request again passes.
  OncePerRequest("retell signature counted", [&] { ok_.Add(); });
  request.attributes.principal = "retell";
  if (company_id) request.attributes.company_id = company_id->value;
  return next(request);
}

}  // namespace callgate::retell
