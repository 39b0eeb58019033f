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
#include "http/middleware.hpp"
#include "observability/metrics.hpp"
#include "tenancy/repositories.hpp"

namespace callgate::retell {

inline constexpr std::string_view kSignatureHeader = "X-Retell-Signature";

// Remembers which request each signature was first used for, so a captured signature cannot be
// moved to another function or call (SPEC §4): the signature covers only the body, while the
// function is in the path and, in args-only mode, the call id may arrive in a header or the
// query. A repeat with the same binding (Retell's retries) passes; any other use is refused.
// Entries live for the signature's validity window (±5 minutes) plus a margin; at most
// `capacity` are kept (the oldest expire first). In-process: behind a balancer the args-only
// call binding still holds (the call id must be in the signed args), the function binding per
// instance. Thread-safe.
class SignatureUses {
 public:
  explicit SignatureUses(const Clock& clock, std::size_t capacity = 200'000,
                         std::chrono::seconds lifetime = std::chrono::seconds(660))
      : clock_(clock), capacity_(capacity), lifetime_(lifetime) {}

  // True when `signature` is new (it is now bound to `binding`) or was bound to `binding`.
  bool Bind(std::string_view signature, std::string_view binding);

 private:
  const Clock& clock_;
  const std::size_t capacity_;
  const std::chrono::seconds lifetime_;
  std::mutex mutex_;
  std::unordered_map<std::string, std::string> bindings_;
  std::deque<std::pair<SteadyTimePoint, std::string>> expiry_;  // in insertion order
};

class RetellSignatureGuard final : public http::Middleware {
 public:
  RetellSignatureGuard(Secret platform_key, tenancy::CompanyRepository& companies,
                       const Clock& clock, observability::Metrics& metrics)
      : platform_key_(std::move(platform_key)),
        companies_(companies),
        clock_(clock),
        metrics_(metrics),
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
  std::shared_ptr<SignatureUses> uses_;
};

}  // namespace callgate::retell
