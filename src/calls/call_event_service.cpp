#include "calls/call_event_service.hpp"

#include <cctype>
#include <cmath>
#include <nlohmann/json.hpp>
#include <optional>

#include "core/blocking.hpp"
#include "core/phone.hpp"
#include "observability/log.hpp"

namespace callgate::calls {
namespace {

bool IsTerminal(std::string_view event) {
  return event == "call_ended" || event == "call_analyzed";
}

// What a platform reports about a call is taken within what a call can be: instants from 1970
// to 2100, a duration of at most a week, a cost of at most 10 million cents. A value outside
// (signed by the platform's key, but absurd) counts as not reported: stored, it would overflow
// every reader's arithmetic (pricing minutes, the admin API's dates, the MCP call window).
constexpr long long kEarliestMs = 0;                // 1970-01-01T00:00:00Z
constexpr long long kLatestMs = 4'102'444'800'000;  // 2100-01-01T00:00:00Z
constexpr long long kLongestCallMs = 7LL * 24 * 3'600'000;
constexpr double kHighestCostCents = 1e7;

std::optional<SystemTimePoint> Millis(const std::optional<long long>& ms) {
  if (!ms || *ms < kEarliestMs || *ms >= kLatestMs) return std::nullopt;
  return FromUnixMillis(*ms);
}

std::optional<std::int64_t> Duration(std::optional<long long> ms) {
  if (!ms || *ms < 0 || *ms > kLongestCallMs) return std::nullopt;
  return *ms;
}

// Whether a key names a recording: Retell's snake_case "…recording_url" keys (recording_url,
// recording_multi_channel_url, scrubbed_recording_url, …), Vapi's camelCase recordingUrl /
// stereoRecordingUrl, and a whole "recording" object (Vapi's artifact.recording).
bool IsRecordingKey(std::string_view key) {
  std::string folded;
  for (char c : key) {
    if (c != '_' && c != '-')
      folded += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  // "…recording…url": recording_multi_channel_url folds to "recordingmultichannelurl".
  const bool names_url = folded.size() >= 3 && folded.compare(folded.size() - 3, 3, "url") == 0;
  return (names_url && folded.find("recording") != std::string::npos) || folded == "recording" ||
         folded == "recordings";
}

// Drops every recording key (IsRecordingKey) at any depth of a raw webhook body.
void DropRecordingUrls(nlohmann::json& value) {
  if (value.is_object()) {
    for (auto it = value.begin(); it != value.end();) {
      if (IsRecordingKey(it.key())) {
        it = value.erase(it);
      } else {
        DropRecordingUrls(*it);
        ++it;
      }
    }
  } else if (value.is_array()) {
    for (auto& item : value) DropRecordingUrls(item);
  }
}

// The raw body as kept for deduplication when the company stores no recordings.
std::string WithoutRecordingUrls(const std::string& raw_body) {
  // Every recording key contains "ecording" (Recording, recording) in any spelling.
  if (raw_body.find("ecording") == std::string::npos) return raw_body;
  auto body = nlohmann::json::parse(raw_body, nullptr, false);
  if (body.is_discarded()) return "{}";  // never keep what could not be cleaned
  DropRecordingUrls(body);
  return body.dump();
}

}  // namespace

std::string_view EventOutcomeName(EventOutcome outcome) noexcept {
  switch (outcome) {
    case EventOutcome::kRecorded:
      return "recorded";
    case EventOutcome::kDuplicate:
      return "duplicate";
    case EventOutcome::kIgnored:
      return "ignored";
    case EventOutcome::kErased:
      return "erased";
  }
  return "recorded";
}

Result<tenancy::Tenant> CallEventService::ResolveTenant(const CallEventInput& input) {
  const auto& call = input.call;
  // On a company's URL only its own numbers and agents count (TenantDirectory).
  return (call.call_type == kWebCall || call.to_number.empty())
             ? tenants_.FindByAgentId(call.agent_id, input.url_company)
             : tenants_.FindByDialledNumber(call.to_number, input.url_company);
}

CallUpdate CallEventService::BuildUpdate(const CallEventInput& input,
                                         const tenancy::Tenant& tenant) {
  const auto& c = input.call;
  CallUpdate u;
  u.retell_call_id = c.call_id;
  u.platform = input.platform;
  if (tenant.branch) u.branch_id = tenant.branch->id;
  if (tenant.number) u.phone_number_id = tenant.number->id;
  if (!c.agent_id.empty()) u.agent_id = c.agent_id;
  if (c.direction == "inbound" || c.direction == "outbound") u.direction = c.direction;
  if (!c.from_number.empty()) u.from_number = c.from_number;
  if (!c.to_number.empty()) u.to_number = c.to_number;
  // The upsert links the call to the company's customer with this number.
  if (!IsWithheldNumber(c.from_number)) {
    if (auto e164 = NormalizeE164(c.from_number, settings_.phone_region)) u.caller_e164 = *e164;
  }
  if (!c.call_status.empty()) {
    u.status = c.call_status;
  } else if (input.event == "call_started" || input.event == "transcript_updated") {
    u.status = "ongoing";
  } else if (IsTerminal(input.event)) {
    u.status = "ended";
  }
  u.started_at = Millis(c.start_timestamp_ms);
  u.ended_at = Millis(c.end_timestamp_ms);
  u.duration_ms = Duration(c.duration_ms);
  if (!u.duration_ms && u.started_at && u.ended_at) {
    // Both within 1970..2100: the difference cannot overflow.
    u.duration_ms = Duration(ToUnixMillis(*u.ended_at) - ToUnixMillis(*u.started_at));
  }
  u.disconnection_reason = c.disconnection_reason;
  u.transcript = c.transcript;
  u.final_transcript = IsTerminal(input.event);
  u.transcript_object_json = c.transcript_object_json;
  // Recordings need the caller's consent: their URLs are kept only where the company says so.
  if (tenant.company.store_recordings) u.recording_url = c.recording_url;
  u.metadata_json = c.metadata_json;
  if (c.combined_cost_cents && std::isfinite(*c.combined_cost_cents) &&
      *c.combined_cost_cents >= 0 && *c.combined_cost_cents <= kHighestCostCents) {
    u.retell_cost_cents = std::llround(*c.combined_cost_cents);
  }
  u.summary = c.summary;
  u.sentiment = c.user_sentiment;
  u.call_successful = c.call_successful;
  u.analysis_json = c.call_analysis_json;
  return u;
}

std::string_view CallEventService::EventLabel(std::string_view event) {
  // The events of the platforms' documentation (docs/reference: Retell's events, Vapi's
  // status-update statuses as "vapi_status_…"); anything else a platform sends is stored under
  // its own name but counted as "other", so the metric's series stay bounded.
  static constexpr std::string_view kKnown[] = {
      "call_started",          "call_ended",
      "call_analyzed",         "transcript_updated",
      "transfer_started",      "transfer_bridged",
      "transfer_cancelled",    "transfer_ended",
      "vapi_status_scheduled", "vapi_status_queued",
      "vapi_status_ringing",   "vapi_status_forwarding",
      "vapi_status_not-found", "vapi_status_deletion-failed",
  };
  for (std::string_view known : kKnown) {
    if (event == known) return known;
  }
  return "other";
}

void CallEventService::Count(const observability::CounterCache& counts, std::string_view platform,
                             std::string_view event, std::string_view outcome) {
  // The family's name without building a string for every event ("callgate_retell_…").
  thread_local std::string name;
  name.assign("callgate_").append(platform).append("_webhook_total");
  counts.Add(name, {EventLabel(event), outcome});
}

bool CallEventService::IsOneWrite(const CallEventInput& input) {
  // Deduplicated, updates the call, and not terminal (no analysis job): call_started.
  return input.event == "call_started";
}

WebhookEventRecord CallEventService::EventRecord(const CallEventInput& input,
                                                 const tenancy::Tenant& tenant, bool updates_call) {
  WebhookEventRecord record;
  record.company_id = tenant.company.id;
  record.source = input.platform;
  record.event = input.event;
  record.dedupe_key = input.dedupe_key;
  record.payload_json =
      tenant.company.store_recordings ? input.raw_body : WithoutRecordingUrls(input.raw_body);
  record.status = updates_call ? "processed" : "ignored";
  return record;
}

void CallEventService::RecordLater(const CallEventInput& input, RecordedDone done) {
  if (!IsOneWrite(input)) {
    // A transaction: where waiting is not allowed, stop before any work is spent on it.
    MayBlock("call event transaction");
    return done(Record(input));
  }
  auto tenant = ResolveTenant(input);
  if (!tenant) {
    Count(*counts_, input.platform, input.event,
          tenant.error().code == ErrorCode::kNotFound ? "unknown_tenant" : "error");
    return done(tl::unexpected(tenant.error()));
  }
  const tenancy::CompanyId company = tenant->company.id;
  store_.RecordWithCallLater(
      EventRecord(input, *tenant, /*updates_call=*/true), company, BuildUpdate(input, *tenant),
      [counts = counts_, company, platform = input.platform, event = input.event,
       done = std::move(done)](Result<RecordedCallEvent> stored) {
        if (!stored) {
          Count(*counts, platform, event, "error");
          return done(tl::unexpected(stored.error()));
        }
        EventResult result;
        result.company_id = company;
        if (stored->duplicate) {
          result.outcome = EventOutcome::kDuplicate;
        } else if (stored->erased) {
          result.outcome = EventOutcome::kErased;
        } else {
          result.outcome = EventOutcome::kRecorded;
          result.call_id = stored->call_id;
        }
        Count(*counts, platform, event, EventOutcomeName(result.outcome));
        done(std::move(result));
      });
}

Result<EventResult> CallEventService::Record(const CallEventInput& input) {
  auto count = [&](std::string_view outcome) {
    Count(*counts_, input.platform, input.event, outcome);
  };
  auto tenant = ResolveTenant(input);
  if (!tenant) {
    count(tenant.error().code == ErrorCode::kNotFound ? "unknown_tenant" : "error");
    return tl::unexpected(tenant.error());
  }
  EventResult result;
  result.company_id = tenant->company.id;
  const bool updates_call = input.event == "call_started" || input.event == "call_ended" ||
                            input.event == "call_analyzed" || input.event == "transcript_updated";
  // Live transcripts arrive many times per call: each one is applied, not deduplicated.
  const bool deduplicate = input.event != "transcript_updated";
  bool duplicate = false;
  bool erased = false;  // the call's caller had their data erased: nothing is kept
  std::optional<CallUpdate> update;
  if (updates_call) update = BuildUpdate(input, *tenant);
  WebhookEventRecord record;
  if (deduplicate) record = EventRecord(input, *tenant, updates_call);

  // The event and the call it updates: one write (one statement on PostgreSQL).
  auto record_with_call = [&]() -> Status {
    auto stored = store_.RecordWithCall(record, tenant->company.id, *update);
    if (!stored) return tl::unexpected(stored.error());
    if (stored->duplicate || stored->erased) {
      duplicate = stored->duplicate;
      erased = stored->erased;
      return Fail(ErrorCode::kAlreadyExists, "nothing to keep");  // roll back
    }
    result.call_id = stored->call_id;
    return Ok();
  };
  Status status;
  if (IsOneWrite(input)) {
    status = record_with_call();  // nothing else to write: no transaction around it
  } else {
    status = transactions_.Run([&]() -> Status {
      // May run on the thread that commits a group of webhooks: carries its own request id.
      observability::ScopedRequestId request(input.request_id);
      if (deduplicate && updates_call) {
        if (auto written = record_with_call(); !written) return written;
      } else if (deduplicate) {
        auto stored = events_.Record(record);
        if (!stored) {
          if (stored.error().code == ErrorCode::kAlreadyExists) {
            duplicate = true;
            return Fail(ErrorCode::kAlreadyExists, "duplicate delivery");  // roll back
          }
          return tl::unexpected(stored.error());
        }
      } else if (updates_call) {
        auto call = calls_.Upsert(tenant->company.id, *update);
        if (!call) {
          erased = call.error().code == ErrorCode::kConflict;  // see CallRepository::Upsert
          return tl::unexpected(call.error());
        }
        result.call_id = call->id;
      }
      if (!IsTerminal(input.event)) return Ok();
      queue::NewJob job;
      job.type = std::string(kCallAnalysisJob);
      job.queue = std::string(queue::kDefault);
      job.payload_json = "{\"company_id\":" + std::to_string(tenant->company.id.value) +
                         ",\"call_id\":" + std::to_string(result.call_id->value) + "}";
      job.request_id = input.request_id;
      if (auto enqueued = jobs_.Enqueue(job); !enqueued) return tl::unexpected(enqueued.error());
      return Ok();
    });
  }
  if (duplicate) {
    result.outcome = EventOutcome::kDuplicate;
  } else if (erased) {
    result.outcome = EventOutcome::kErased;
  } else if (!status) {
    count("error");
    return tl::unexpected(status.error());
  } else {
    result.outcome = updates_call ? EventOutcome::kRecorded : EventOutcome::kIgnored;
  }
  count(EventOutcomeName(result.outcome));
  return result;
}

}  // namespace callgate::calls
