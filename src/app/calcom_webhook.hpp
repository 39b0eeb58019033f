#pragma once
// The Cal.com webhook edge: POST /webhooks/calcom. The guard verifies X-Cal-Signature-256
// (HMAC-SHA256 of the raw body with CALCOM_WEBHOOK_SECRET); the handler parses the delivery and
// hands it to CalendarSyncService.

#include "booking/calendar_sync.hpp"
#include "core/secret.hpp"
#include "http/middleware.hpp"
#include "observability/metrics.hpp"

namespace callgate::app {

// Guard "calcom_signature": 401 JSON for a missing or wrong signature, and for every request
// while no secret is configured (an unsigned endpoint would let anyone cancel appointments).
http::MiddlewarePtr MakeCalcomSignatureGuard(Secret secret, observability::Metrics& metrics);

// 200 {"status":"ok","outcome":...}; 400 for a body that is not a Cal.com webhook.
http::Response HandleCalcomWebhook(booking::CalendarSyncService& sync, http::Request& request);

}  // namespace callgate::app
