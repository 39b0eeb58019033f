#pragma once
// HTTP handlers for Retell's webhooks: parse → call one service → map the result.
//   POST /webhooks/retell[/c/{slug}]          lifecycle events → CallEventService
//   POST /webhooks/retell/inbound[/c/{slug}]  call_inbound     → InboundCallService
// Both run behind RetellSignatureGuard.

#include "calls/call_event_service.hpp"
#include "calls/inbound_call_service.hpp"
#include "http/request.hpp"
#include "http/response.hpp"

namespace callgate::retell {

class WebhookHandlers {
 public:
  WebhookHandlers(calls::CallEventService& events, calls::InboundCallService& inbound)
      : events_(events), inbound_(inbound) {}

  // 200 {"status":"ok","outcome":"recorded|duplicate|ignored"}; 404 for an unknown number;
  // 422 for a body that is not a Retell webhook. Answers later (Response::Later): call_started
  // once its write is committed by the group commit (CallEventService::RecordLater), without a
  // thread waiting for it; other events are recorded before it returns.
  http::Response LifecycleEvent(http::Request& request) const;

  // 200 {"call_inbound":{"dynamic_variables":{...},"metadata":{...}}}; 404 unknown number.
  http::Response InboundCall(http::Request& request) const;

 private:
  calls::CallEventService& events_;
  calls::InboundCallService& inbound_;
};

}  // namespace callgate::retell
