#pragma once
// Cal.com webhooks (shared/reference/calcom.md): signature check and payload parsing only; what
// to do with an event is the booking sync's business.
//
//   POST <our url>   x-cal-webhook-version: 2021-10-20
//   X-Cal-Signature-256: <lowercase hex HMAC-SHA256(secret, raw body)>   (no prefix, no time)
//   {"triggerEvent":"BOOKING_CREATED","createdAt":"<ISO>","payload":{uid, bookingId, …}}
//
// Without a secret configured in Cal.com the header is the literal "no-secret-provided".

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "core/clock.hpp"
#include "core/result.hpp"
#include "core/secret.hpp"

namespace callgate::calcom {

inline constexpr std::string_view kSignatureHeader = "X-Cal-Signature-256";
inline constexpr std::string_view kNoSecretSignature = "no-secret-provided";

// Verifies `header` (the X-Cal-Signature-256 value) over the raw body bytes with a constant-time
// compare. kUnauthenticated with a short reason safe to log: "no secret configured" (we never
// accept unsigned webhooks), "missing", "no-secret-provided" (Cal.com has no secret while we
// do), "malformed" (not 64 hex digits), "mismatch". Thread-safe.
Status VerifyCalcomSignature(std::string_view header, std::string_view raw_body,
                             const Secret& secret);

// Lower-case hex HMAC-SHA256 of `raw_body` with `secret`, as Cal.com signs (tests and fakes).
std::string SignCalcomPayload(std::string_view raw_body, const Secret& secret);

// One webhook delivery: what the calendar sync needs to mirror a booking, nothing else. The
// attendees' and organizer's details and the cancellation reason are personal data callgate
// does not keep from a booking page (a typed number is a contact, not a caller), so they are
// not read. Fields absent from the payload stay empty / nullopt; trigger events other
// than BOOKING_* (PING, MEETING_ENDED, …) parse too.
struct CalcomWebhookEvent {
  std::string trigger_event;  // "BOOKING_CREATED", "BOOKING_CANCELLED", "BOOKING_RESCHEDULED", …
  std::string created_at;     // raw ISO text, part of the dedupe key
  std::string uid;            // for BOOKING_RESCHEDULED: the NEW booking's uid
  std::optional<std::int64_t> booking_id;
  std::optional<std::int64_t> event_type_id;
  std::optional<SystemTimePoint> start_time;
  std::optional<SystemTimePoint> end_time;
  std::map<std::string, std::string> metadata;  // non-string values as compact JSON
  std::string status;                           // upper case as sent: "ACCEPTED", "CANCELLED"
  std::string reschedule_uid;                   // BOOKING_RESCHEDULED: the old booking's uid
  std::optional<SystemTimePoint> reschedule_start_time;  // old times (rescheduled)
  std::optional<SystemTimePoint> reschedule_end_time;
  // "<triggerEvent>|<payload.uid>|<createdAt>": equal for redeliveries of one event.
  std::string dedupe_key;
};

// Parses the raw body. kInvalidArgument when it is not a JSON object, has no string
// "triggerEvent", or has a non-object "payload"; unknown fields are ignored; unparsable times
// are left empty rather than rejected.
Result<CalcomWebhookEvent> ParseCalcomWebhook(std::string_view raw_body);

}  // namespace callgate::calcom
