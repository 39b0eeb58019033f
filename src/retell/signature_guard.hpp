#pragma once
// RetellSignatureGuard: the route guard on every Retell route. Verifies X-Retell-Signature over
// the raw body with the platform key, or with the company's own key when the route names the
// company (`{slug}` route parameter). Failures answer 401 JSON, are counted, and store nothing;
// neither the body nor any key is logged.

#include <chrono>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/clock.hpp"
#include "core/secret.hpp"
#include "core/signature_uses.hpp"
#include "http/middleware.hpp"
#include "observability/metrics.hpp"
#include "tenancy/repositories.hpp"

namespace callgate::retell {

inline constexpr std::string_view kSignatureHeader = "X-Retell-Signature";

class RetellSignatureGuard final : public http::Middleware {
 public:
  RetellSignatureGuard(Secret platform_key, tenancy::CompanyRepository& companies,
                       const Clock& clock, observability::Metrics& metrics)
      : platform_key_(std::move(platform_key)),
        companies_(companies),
        clock_(clock),
        metrics_(metrics),
        ok_(metrics.CounterSeries("callgate_retell_signature_total", {{"outcome", "ok"}})),
        uses_(std::make_shared<SignatureUses>(clock)) {}

  std::string_view Name() const noexcept override { return "retell_signature"; }

  // On success sets request.attributes.principal = "retell" and, for company URLs,
  // attributes.company_id. A valid signature already used for another path, X-Call-Id or
  // call_id query is refused like a bad one (outcome "replayed"). Counts
  // callgate_retell_signature_total{outcome}.
  http::Response Handle(http::Request& request, const http::Next& next) const override;

 private:
  Secret platform_key_;
  tenancy::CompanyRepository& companies_;
  const Clock& clock_;
  observability::Metrics& metrics_;
  observability::Metrics::CounterHandle ok_;  // every signed request: resolved once
  std::shared_ptr<SignatureUses> uses_;
};

}  // namespace callgate::retell
