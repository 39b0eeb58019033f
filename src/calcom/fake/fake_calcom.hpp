#pragma once
// FakeCalcom: a local stand-in for the Cal.com API v2 (shared/reference/calcom.md) for tests,
// benchmarks, the demo and `callgate fake-calcom`. Real paths, shapes and status codes:
//
//   GET  /v2/slots                      eventTypeId, start, end, timeZone, duration, format
//   POST /v2/bookings                   → 201; taken slot → 409 ConflictException (or 400)
//   GET  /v2/bookings                   status, attendeeEmail, attendeeName, eventTypeId,
//                                       afterStart, beforeEnd, take (no maximum), skip,
//                                       sortStart
//   GET  /v2/bookings/{uid}
//   POST /v2/bookings/{uid}/cancel      → 200, status "cancelled"
//   POST /v2/bookings/{uid}/reschedule  → 201, new uid with rescheduledFromUid
//   GET  /v2/event-types
//
// One in-memory calendar per event type: working hours per weekday in the event type's zone,
// slots of the event type's length, existing (not cancelled) bookings block their slots. API
// keys: any Bearer key starting with "cal_" is valid, others get 401 (slots work without one).
//
// Switches (FakeCalcomBehavior), settable in the constructor, by SetBehavior(), or over HTTP:
//   POST /_fake/config   JSON with any subset of the behaviour fields (below); answers the
//                        whole current behaviour. {"reset":true} first restores the defaults.
//   GET  /_fake/config   the current behaviour
//   GET  /_fake/stats    {"requests":{"slots":3,…},"total":N,"last_api_version":{…},
//                        "bookings":N} (API requests only)
//   POST /_fake/reset    defaults, no bookings, zero stats
//   POST /_fake/bookings/{uid}/confirm   the host confirms a pending booking (→ accepted)
//   POST /_fake/bookings/{uid}/reject    the host rejects it (→ rejected; its slot is free)
//                                        Both answer the booking; 404 unknown, 409 not pending.
// The control endpoints are never delayed or failed. The stand-in sends no webhooks.
//
// Event types that require confirmation answer a create with status "pending"; a reschedule of
// their bookings is pending too unless `rescheduledBy` is the host's email
// (kFakeHostEmail).

#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.hpp"
#include "core/result.hpp"

namespace callgate::calcom::fake {

// Opening hours of one weekday as minutes after local midnight, [open, close).
struct WorkingHours {
  int open_minute = 9 * 60;
  int close_minute = 18 * 60;
};

struct FakeEventType {
  std::int64_t id = 0;
  int length_minutes = 30;  // the default length
  // Several lengths (Cal.com's "multiple durations", `lengthInMinutesOptions`): a create may pick
  // one with `lengthInMinutes`; empty = one length, and a create with `lengthInMinutes` is 400.
  std::vector<int> length_options;
  std::string title;
  std::string slug;
  std::string time_zone = "Europe/Berlin";
  // Index 0 = Sunday … 6 = Saturday; nullopt = closed.
  std::array<std::optional<WorkingHours>, 7> hours{};
  int minimum_booking_notice_minutes = 0;
  // Cal.com's "requires confirmation": bookings start "pending" until the host confirms them.
  bool requires_confirmation = false;
  // Seats: > 0 lets this many attendees share one booking (one uid) per slot, each with a seat
  // (`seatUid`); a cancel or reschedule with `seatUid` concerns that seat only (a moved seat
  // joins the new slot's booking with a new seat); a cancel without it cancels every seat.
  int seats_per_time_slot = 0;
  // Recurring: > 1 makes a create book this many weekly occurrences and answer them as an array
  // (each with `recurringBookingUid`); a cancel with `cancelSubsequentBookings` cancels the
  // occurrence and every later one.
  int recurrence_count = 0;
};

// The host of every event type (its email confirms a reschedule as `rescheduledBy`).
inline constexpr std::string_view kFakeHostEmail = "host@fake-calcom.invalid";

// 1001 (30 min), 1002 (15 min), 1003 (60 min), Mon–Fri 09:00–18:00 Europe/Berlin.
std::vector<FakeEventType> DefaultEventTypes();

// Runtime switches. Names in JSON are the field names.
struct FakeCalcomBehavior {
  int latency_ms = 0;         // added to every API request
  int forced_status = 0;      // ≠ 0: every affected request answers this status (error envelope)
  double error_rate = 0;      // fraction of affected requests answered 500 (or forced_status)
  int next_429 = 0;           // the next N API requests answer 429 ThrottlerException
  int next_conflicts = 0;     // the next N creates/reschedules answer "slot taken" although free
  int conflict_status = 409;  // 409 ConflictException (current) or 400 (older deployments)
  int hang_ms = 0;            // affected requests stall this long before answering (≤ 60 s)
  int commit_delay_ms = 0;    // create/cancel/reschedule commit at once, answer after this delay
  int next_malformed = 0;     // the next N API requests answer 200 with a non-JSON body
  // Limits forced_status, error_rate and hang_ms to one endpoint ("slots", "bookings_create",
  // "bookings_cancel", "bookings_reschedule", "bookings_get", "bookings_list", "event_types");
  // empty = all endpoints.
  std::string fault_endpoint;
};

struct FakeCalcomOptions {
  std::string address = "127.0.0.1";
  std::uint16_t port = 0;           // 0 = any free port (see FakeCalcom::port())
  std::size_t worker_threads = 16;  // concurrent requests (delayed ones hold a worker)
  std::vector<FakeEventType> event_types = DefaultEventTypes();
  FakeCalcomBehavior behavior;
  const Clock* clock = nullptr;  // "now" for past/minimum-notice checks; null = system clock
  std::uint64_t seed = 42;       // error_rate randomness
};

// A booking as the fake stores it.
struct FakeBooking {
  std::int64_t id = 0;
  std::string uid;
  std::int64_t event_type_id = 0;
  SystemTimePoint start;
  SystemTimePoint end;
  std::string status;    // accepted | pending | rejected | cancelled
  std::string seat_uid;  // seated event types: this attendee's seat (seats of a slot share uid)
  std::string recurring_booking_uid;  // recurring event types: the series
  std::string attendee_name;
  std::string attendee_email;
  std::string attendee_phone;
  std::string attendee_time_zone;
  std::map<std::string, std::string> metadata;
  std::string rescheduled_from_uid;
  std::string rescheduled_to_uid;
  std::string cancellation_reason;
  SystemTimePoint created_at;
};

// One API request as received (control endpoints are not recorded).
struct FakeRequest {
  std::string endpoint;  // see fault_endpoint
  std::string method;
  std::string path;                                        // "/v2/bookings/abc/cancel"
  std::string raw_query;                                   // as sent, still percent-encoded
  std::vector<std::pair<std::string, std::string>> query;  // decoded, in order
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

// Requests per endpoint name (see fault_endpoint) since start or the last reset.
struct FakeCalcomStats {
  std::map<std::string, std::uint64_t> requests;
  std::uint64_t total = 0;
  // The cal-api-version header of the latest request per endpoint ("" when it had none).
  std::map<std::string, std::string> last_api_version;
  std::uint64_t Count(const std::string& endpoint) const {
    auto it = requests.find(endpoint);
    return it == requests.end() ? 0 : it->second;
  }
};

// The server. Start()/Stop() from one controlling thread; everything else is thread-safe.
class FakeCalcom {
 public:
  explicit FakeCalcom(FakeCalcomOptions options = {});
  // Calls Stop().
  ~FakeCalcom();

  FakeCalcom(const FakeCalcom&) = delete;
  FakeCalcom& operator=(const FakeCalcom&) = delete;

  // Binds and serves. kUnavailable when the port is taken.
  Status Start();
  // Cuts every pending delay short, then stops the server. Idempotent.
  void Stop();

  std::uint16_t port() const;
  // "http://127.0.0.1:<port>/v2": the CalendarAccount base URL for this fake.
  std::string base_url() const;

  FakeCalcomBehavior behavior() const;
  void SetBehavior(const FakeCalcomBehavior& behavior);

  FakeCalcomStats Stats() const;
  void ResetStats();

  // The latest API requests (at most 1000), oldest first; cleared by ResetStats.
  std::vector<FakeRequest> Requests() const;

  // Every booking, in creation order.
  std::vector<FakeBooking> Bookings() const;
  // Inserts a booking as if made elsewhere (e.g. on the Cal.com website, whose booking URL can
  // set `metadata`); answers its uid. kNotFound for an unknown event type; no availability
  // check. On a seated event type it takes a seat in the slot's booking (same uid) when there
  // is one.
  Result<std::string> AddBooking(std::int64_t event_type_id, SystemTimePoint start,
                                 std::string attendee_name = "Somebody Else",
                                 std::map<std::string, std::string> metadata = {});
  // The host confirms (→ accepted) or rejects (→ rejected, slot free) a pending booking.
  // kNotFound for an unknown uid, kConflict when it is not pending.
  Result<FakeBooking> ConfirmBooking(std::string_view uid);
  Result<FakeBooking> RejectBooking(std::string_view uid);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace callgate::calcom::fake
