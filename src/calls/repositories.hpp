#pragma once
// Ports for call data. Same contract as tenancy/repositories.hpp: never throw, tenant scoping
// by company id, thread-safe; calls inside a TransactionRunner on this thread join it.

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "calls/model.hpp"
#include "core/result.hpp"

namespace callgate::calls {

class CallRepository {
 public:
  virtual ~CallRepository() = default;

  // Creates the call of `company_id` keyed by update.retell_call_id, or merges `update` into
  // it (see CallUpdate). Atomic under concurrent updates of one call. kPermissionDenied when
  // the Retell call id is already recorded for another company, kConflict when the call's
  // caller had their data erased (a privacy request: the call keeps no content again); nothing
  // is written then, and the transaction stays usable. Inside a transaction any other error
  // ends that transaction.
  virtual Result<Call> Upsert(tenancy::CompanyId company_id, const CallUpdate& update) = 0;

  virtual Result<Call> FindById(tenancy::CompanyId company_id, CallId id) = 0;
  virtual Result<Call> FindByRetellId(tenancy::CompanyId company_id,
                                      std::string_view retell_call_id) = 0;

  // Which company a Retell call belongs to (the call id is the tenant router for function
  // calls, which arrive signed and name only the call). kNotFound when unknown.
  virtual Result<Call> ResolveByRetellId(std::string_view retell_call_id) = 0;

  // Stores the analysis results. kNotFound when it is not that company's call.
  virtual Status SetAnalysis(tenancy::CompanyId company_id, CallId id,
                             std::optional<tenancy::CustomerId> customer_id,
                             const CallCosts& costs) = 0;

  // Started minutes of the company's analysed calls that started in [from, to), excluding
  // call `except` (included-minutes accounting).
  virtual Result<std::int64_t> MinutesUsed(tenancy::CompanyId company_id, SystemTimePoint from,
                                           SystemTimePoint to, CallId except) = 0;
};

// One received webhook delivery.
struct WebhookEventRecord {
  std::optional<tenancy::CompanyId> company_id;
  std::string source;  // "retell" | "calcom"
  std::string event;
  std::string dedupe_key;
  std::string payload_json;          // the raw body
  std::string status = "processed";  // received | processed | ignored
};

class WebhookEventRepository {
 public:
  virtual ~WebhookEventRepository() = default;
  // Records a delivery. kAlreadyExists when the dedupe key was recorded before (a redelivery).
  // Inside a transaction any error, kAlreadyExists included, ends that transaction: return it.
  virtual Result<std::int64_t> Record(const WebhookEventRecord& event) = 0;
  // Names the company a recorded event (`Record`'s id) turned out to concern: a delivery to a
  // shared URL is recorded before the booking it names is looked up. Changes only an event
  // recorded without a company. Its raw body then follows that company's erasure requests.
  virtual Status AttributeTo(std::int64_t event_id, tenancy::CompanyId company_id) = 0;
  // Removes a recorded event's raw body and keeps its row and dedupe key, so that a redelivery
  // stays a duplicate: for a delivery about a booking whose attendee's data was erased.
  virtual Status Empty(std::int64_t event_id) = 0;
};

// A deduplicated platform event stored together with the call update it carries.
struct RecordedCallEvent {
  bool duplicate = false;  // the event was recorded before: nothing was written
  CallId call_id;          // the updated call (not set for a duplicate or an erased call)
  // The call's caller had their data erased (privacy::PersonalData::Erase): neither the event
  // nor the update was kept.
  bool erased = false;
};

class CallEventStore {
 public:
  virtual ~CallEventStore() = default;
  // Records `event` and applies `update` to the call of `company_id`, atomically: both or
  // neither. One statement on PostgreSQL (one round trip, also through PgBouncer); on SQLite
  // committed together with concurrent ones (group commit). A redelivery (the event's dedupe
  // key was recorded before) writes nothing and reports duplicate; an event of an erased call
  // writes nothing and reports erased. kPermissionDenied when the call id is recorded for
  // another company: nothing is written. Inside a transaction it
  // joins it, and any error ends that transaction.
  virtual Result<RecordedCallEvent> RecordWithCall(const WebhookEventRecord& event,
                                                   tenancy::CompanyId company_id,
                                                   const CallUpdate& update) = 0;

  using RecordedDone = std::function<void(Result<RecordedCallEvent>)>;
  // RecordWithCall for a caller that must not wait: where the storage can, the write is queued
  // and this returns at once, and `done` gets the outcome once it is written — on another
  // thread, after the commit. Where it cannot (inside a transaction, say), the write happens
  // now and `done` runs before this returns; so may a check that fails at once. `done` must be
  // quick and must not throw. This default writes now.
  virtual void RecordWithCallLater(const WebhookEventRecord& event, tenancy::CompanyId company_id,
                                   const CallUpdate& update, RecordedDone done) {
    done(RecordWithCall(event, company_id, update));
  }
};

}  // namespace callgate::calls
