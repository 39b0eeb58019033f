#include "app/calcom_webhook.hpp"

#include <nlohmann/json.hpp>

#include "calcom/webhook.hpp"
#include "observability/log.hpp"

namespace callgate::app {

http::MiddlewarePtr MakeCalcomSignatureGuard(Secret secret, observability::Metrics& metrics) {
  return http::MakeFilter(
      "calcom_signature",
      [secret = std::move(secret),
       &metrics](http::Request& request) -> std::optional<http::Response> {
        auto reject = [&](std::string_view outcome) {
          metrics.Increment("callgate_calcom_signature_total", {{"outcome", std::string(outcome)}});
          observability::LogWarn("calcom_signature_rejected", {{"outcome", outcome}});
          return http::Response::Error(ErrorCode::kUnauthenticated, "invalid or missing signature");
        };
        if (secret.empty()) return reject("no_secret_configured");
        auto verified = calcom::VerifyCalcomSignature(
            request.Header(calcom::kSignatureHeader).value_or(""), request.body, secret);
        if (!verified) return reject("mismatch");
        metrics.Increment("callgate_calcom_signature_total", {{"outcome", "ok"}});
        request.attributes.principal = "calcom";
        return std::nullopt;
      });
}

http::Response HandleCalcomWebhook(booking::CalendarSyncService& sync, http::Request& request) {
  auto parsed = calcom::ParseCalcomWebhook(request.body);
  if (!parsed) return http::Response::Error(parsed.error());
  booking::CalendarChange change;
  change.trigger = parsed->trigger_event;
  change.uid = parsed->uid;
  change.previous_uid = parsed->reschedule_uid;
  change.event_type_id = parsed->event_type_id;
  change.start = parsed->start_time;
  change.end = parsed->end_time;
  change.metadata = parsed->metadata;
  if (!parsed->attendees.empty()) {
    change.attendee_name = parsed->attendees.front().name;
    change.attendee_phone = parsed->attendees.front().phone_number;
    change.attendee_email = parsed->attendees.front().email;
  }
  change.dedupe_key = parsed->dedupe_key;
  change.raw_body = request.body;
  auto outcome = sync.Apply(change);
  if (!outcome) return http::Response::Error(outcome.error());
  return http::Response::Json(200, {{"status", "ok"}, {"outcome", *outcome}});
}

}  // namespace callgate::app
