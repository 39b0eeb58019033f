#include "app/calcom_webhook.hpp"

#include <nlohmann/json.hpp>

#include "calcom/webhook.hpp"
#include "observability/log.hpp"

namespace callgate::app {

http::MiddlewarePtr MakeCalcomSignatureGuard(Secret platform_secret,
                                             tenancy::CompanyRepository& companies,
                                             observability::Metrics& metrics) {
  return http::MakeFilter(
      "calcom_signature",
      [platform_secret = std::move(platform_secret), &companies,
       &metrics](http::Request& request) -> std::optional<http::Response> {
        auto reject = [&](std::string_view outcome) {
          metrics.Increment("callgate_calcom_signature_total", {{"outcome", std::string(outcome)}});
          observability::LogWarn("calcom_signature_rejected", {{"outcome", outcome}});
          return http::Response::Error(ErrorCode::kUnauthenticated, "invalid or missing signature");
        };
        Secret secret = platform_secret;
        std::optional<tenancy::CompanyId> company_id;
        if (auto slug = request.RouteParam("slug")) {
          auto company = companies.FindBySlug(*slug);
          if (!company) {
            if (company.error().code != ErrorCode::kNotFound) {
              metrics.Increment("callgate_calcom_signature_total", {{"outcome", "error"}});
              return http::Response::Error(company.error());
            }
            return reject("unknown_company");
          }
          if (!company->is_active) return reject("unknown_company");
          // A company URL is signed with the company's own secret, never the platform's.
          secret = company->calcom_webhook_secret;
          company_id = company->id;
        }
        if (secret.empty()) return reject("no_secret_configured");
        auto verified = calcom::VerifyCalcomSignature(
            request.Header(calcom::kSignatureHeader).value_or(""), request.body, secret);
        if (!verified) return reject("mismatch");
        metrics.Increment("callgate_calcom_signature_total", {{"outcome", "ok"}});
        request.attributes.principal = "calcom";
        if (company_id) request.attributes.company_id = company_id->value;
        return std::nullopt;
      });
}

http::Response HandleCalcomWebhook(booking::CalendarSyncService& sync,
                                   tenancy::CompanyRepository& companies, http::Request& request) {
  auto parsed = calcom::ParseCalcomWebhook(request.body);
  if (!parsed) return http::Response::Error(parsed.error());
  booking::CalendarChange change;
  change.trigger = parsed->trigger_event;
  change.status = parsed->status;
  change.uid = parsed->uid;
  change.previous_uid = parsed->reschedule_uid;
  change.event_type_id = parsed->event_type_id;
  change.start = parsed->start_time;
  change.end = parsed->end_time;
  change.metadata = parsed->metadata;
  change.dedupe_key = parsed->dedupe_key;
  change.raw_body = request.body;
  if (request.attributes.company_id) {
    const tenancy::CompanyId own(*request.attributes.company_id);
    change.sender = "c" + std::to_string(own.value);
    change.company_id = own;
    change.may_touch = [own](tenancy::CompanyId id) { return id == own; };
  } else {
    // The platform account: companies with their own Cal.com webhook are out of its reach.
    change.may_touch = [&companies](tenancy::CompanyId id) {
      auto company = companies.FindById(id);
      return company && company->calcom_webhook_secret.empty();
    };
  }
  auto outcome = sync.Apply(change);
  if (!outcome) return http::Response::Error(outcome.error());
  return http::Response::Json(200, {{"status", "ok"}, {"outcome", *outcome}});
}

}  // namespace callgate::app
