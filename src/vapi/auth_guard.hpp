#pragma once
// VapiAuthGuard: the route guard on every Vapi route. Checks the request's credential
// (vapi/auth.hpp) against the platform secret (VAPI_SECRET), or — when the route names the
// company (`{slug}` route parameter) and the company has its own vapi_secret — against that
// secret only. An HMAC signature is bound to the URL of its first use (core/signature_uses.hpp):
// within the replay window it may repeat there (a retry) but opens no other URL. Failures answer
// 401 JSON, are counted and logged without any secret, and store nothing.

#include <memory>
#include <string_view>

#include "core/clock.hpp"
#include "core/secret.hpp"
#include "core/signature_uses.hpp"
#include "http/middleware.hpp"
#include "observability/metrics.hpp"
#include "tenancy/repositories.hpp"
#include "vapi/auth.hpp"

namespace callgate::vapi {

class VapiAuthGuard final : public http::Middleware {
 public:
  VapiAuthGuard(Secret platform_secret, HmacSettings hmac, tenancy::CompanyRepository& companies,
                const Clock& clock, observability::Metrics& metrics)
      : platform_secret_(std::move(platform_secret)),
        hmac_(std::move(hmac)),
        companies_(companies),
        clock_(clock),
        counts_(metrics, {"outcome"}),
        uses_(std::make_shared<SignatureUses>(clock)) {}

  std::string_view Name() const noexcept override { return "vapi_secret"; }

  // On success sets request.attributes.principal = "vapi" and, for company URLs,
  // attributes.company_id. Counts callgate_vapi_auth_total{outcome} (outcome "ok" carries the
  // credential: ok_secret_header, ok_bearer, ok_hmac).
  http::Response Handle(http::Request& request, const http::Next& next) const override;

 private:
  Secret platform_secret_;
  HmacSettings hmac_;
  tenancy::CompanyRepository& companies_;
  const Clock& clock_;
  observability::CounterCache counts_;  // callgate_vapi_auth_total{outcome}
  std::shared_ptr<SignatureUses> uses_;
};

}  // namespace callgate::vapi
