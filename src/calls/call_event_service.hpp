#pragma once
// CallEventService: records Retell's call lifecycle webhooks. Resolves the tenant from the
// dialled number (or the agent for web calls), deduplicates deliveries, merges the event into
// the call record and enqueues follow-up work — all in one transaction, so a delivery that was
// acknowledged is stored with its jobs, and a redelivery changes nothing.

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "calls/model.hpp"
#include "calls/repositories.hpp"
#include "core/clock.hpp"
#include "core/result.hpp"
#include "core/transaction.hpp"
#include "observability/metrics.hpp"
#include "queue/job_queue.hpp"
#include "tenancy/repositories.hpp"
#include "tenancy/tenant_directory.hpp"

namespace callgate::calls {

// Job type of the analysis that follows call_ended / call_analyzed.
inline constexpr std::string_view kCallAnalysisJob = "call_analysis";

struct CallEventSettings {
  std::string phone_region = "DE";
};

enum class EventOutcome {
  kRecorded,   // the call record changed
  kDuplicate,  // a redelivery: nothing changed
  kIgnored,    // accepted and stored, but not a call update (transfer_*, unknown events)
  kErased,     // the call's caller had their data erased: accepted, nothing kept or queued
};

std::string_view EventOutcomeName(EventOutcome outcome) noexcept;

struct EventResult {
  EventOutcome outcome = EventOutcome::kRecorded;
  tenancy::CompanyId company_id;
  std::optional<CallId> call_id;
};

// One delivery as the handler parsed it. `event` is the lifecycle vocabulary (call_started,
// call_ended, call_analyzed, transcript_updated; anything else is stored and ignored), whichever
// platform sent it.
struct CallEventInput {
  std::string platform = "retell";  // retell | vapi: recorded with the delivery and the call
  std::string event;
  CallSnapshot call;
  std::string dedupe_key;
  std::string raw_body;                           // stored with the delivery
  std::optional<tenancy::CompanyId> url_company;  // set when the URL named the company
  std::string request_id;                         // carried into enqueued jobs
};

class CallEventService {
 public:
  CallEventService(CallEventSettings settings, tenancy::TenantDirectory& tenants,
                   CallRepository& calls, WebhookEventRepository& events, CallEventStore& store,
                   queue::JobQueue& jobs, TransactionRunner& transactions,
                   observability::Metrics& metrics)
      : settings_(std::move(settings)),
        tenants_(tenants),
        calls_(calls),
        events_(events),
        store_(store),
        jobs_(jobs),
        transactions_(transactions),
        counts_(std::make_shared<observability::CounterCache>(
            metrics, std::vector<std::string>{"event", "outcome"})) {}

  // kNotFound when the number (or agent) is not registered — nothing is stored then — or when
  // it belongs to another company than the URL named; kPermissionDenied when the call id is
  // recorded for another company; kUnavailable when storage is down. Thread-safe.
  // Counts callgate_<platform>_webhook_total{event,outcome}.
  Result<EventResult> Record(const CallEventInput& input);

  using RecordedDone = std::function<void(Result<EventResult>)>;
  // Record for a caller that must not wait (an I/O thread answering later): an event that is
  // one write (call_started: the event and its call, CallEventStore::RecordWithCallLater) is
  // queued and `done` gets the outcome once it is written, on the thread that wrote it; any
  // other event, and a refusal found before writing (an unknown number), is Record's outcome,
  // handed to `done` before this returns (so it may wait, like Record: MayBlock applies, and
  // for an event written in a transaction before any other work).
  // `done` must be quick and must not throw. Same outcomes and counts as Record. What a queued
  // write reports to uses only the metrics (and `done`): they must outlive the store.
  void RecordLater(const CallEventInput& input, RecordedDone done);

 private:
  // Whether `input` is recorded by one write of the event with its call (no transaction).
  static bool IsOneWrite(const CallEventInput& input);
  // The delivery as kept for deduplication.
  static WebhookEventRecord EventRecord(const CallEventInput& input, const tenancy::Tenant& tenant,
                                        bool updates_call);
  // The `event` label of callgate_<platform>_webhook_total: the event's name when the platform
  // documents it, else "other" (a platform's new or made-up event names add no series).
  static std::string_view EventLabel(std::string_view event);
  // Counts callgate_<platform>_webhook_total{event,outcome}.
  static void Count(const observability::CounterCache& counts, std::string_view platform,
                    std::string_view event, std::string_view outcome);
  Result<tenancy::Tenant> ResolveTenant(const CallEventInput& input);
  CallUpdate BuildUpdate(const CallEventInput& input, const tenancy::Tenant& tenant);

  CallEventSettings settings_;
  tenancy::TenantDirectory& tenants_;
  CallRepository& calls_;
  WebhookEventRepository& events_;
  CallEventStore& store_;
  queue::JobQueue& jobs_;
  TransactionRunner& transactions_;
  // Shared with the queued writes' reports, which may come after this service is gone.
  std::shared_ptr<const observability::CounterCache> counts_;
};

}  // namespace callgate::calls
