#pragma once
// The Cal.com webhook edge: POST /webhooks/calcom (the platform's Cal.com account, signed with
// CALCOM_WEBHOOK_SECRET) and POST /webhooks/calcom/c/{slug} (a company with its own Cal.com
// account, signed with that company's calcom_webhook_secret). The guard verifies
// X-Cal-Signature-256 (HMAC-SHA256 of the raw body) and, on company URLs, sets
// attributes.company_id; the handler parses the delivery and hands it to CalendarSyncService
// scoped to what the sender may touch: a company URL only that company's appointments, the
// platform URL only companies without their own secret (docs/security.md, F7).

#include "booking/calendar_sync.hpp"
#include "core/secret.hpp"
#include "http/middleware.hpp"
#include "observability/metrics.hpp"
#include "tenancy/repositories.hpp"

namespace callgate::app {

// Guard "calcom_signature": 401 JSON for a missing or wrong signature, for an unknown or
// inactive company slug, and for every request while no secret applies (an unsigned endpoint
// would let anyone cancel appointments). `companies` must outlive the guard.
http::MiddlewarePtr MakeCalcomSignatureGuard(Secret platform_secret,
                                             tenancy::CompanyRepository& companies,
                                             observability::Metrics& metrics);

// 200 {"status":"ok","outcome":...}; 400 for a body that is not a Cal.com webhook.
http::Response HandleCalcomWebhook(booking::CalendarSyncService& sync,
                                   tenancy::CompanyRepository& companies, http::Request& request);

}  // namespace callgate::app
