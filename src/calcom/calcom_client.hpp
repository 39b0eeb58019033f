#pragma once
// CalcomClient: the Cal.com API v2 adapter behind booking::CalendarProvider.
//
// Every call names its CalendarAccount (API key + base URL, self-hosted instances work), sends
// `Authorization: Bearer <key>` and the endpoint's `cal-api-version` (slots 2024-09-04, bookings
// 2024-08-13, event types 2024-06-14), and maps Cal.com's answers to the port's ErrorCodes (see
// booking/calendar_provider.hpp). Error messages never contain the API key.
//
// All requests of one client share one libcurl multi handle driven by one background thread
// (connection reuse; GetSlotsMany runs its queries in parallel). Blocking calls from any number
// of threads at once are safe.
//
// Metrics (exported names):
//   callgate_calcom_requests_total{endpoint,status}       one per request; status is the HTTP
//                                                          status, or timeout|unavailable|error
//   callgate_calcom_request_duration_ms_total{endpoint}   summed wall time of those requests
//   callgate_calcom_connections_opened_total              new TCP connections (reuse = none)
// endpoint ∈ slots, bookings_create, bookings_cancel, bookings_reschedule, bookings_get,
//            bookings_list, event_types.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "booking/calendar_provider.hpp"
#include "observability/metrics.hpp"

namespace callgate::calcom {

// Timeouts sized for a live phone call (SPEC §3). Immutable after construction.
struct CalcomSettings {
  std::chrono::milliseconds connect_timeout{1000};   // TCP + TLS handshake
  std::chrono::milliseconds slots_timeout{2500};     // whole GET /v2/slots
  std::chrono::milliseconds bookings_timeout{8000};  // bookings and event types
  std::size_t max_response_bytes = 4 * 1024 * 1024;  // larger answers fail with kInternal
  std::size_t max_connections = 64;                  // libcurl connection cache size
  int max_list_pages = 20;                           // ListBookings pagination bound
  // How long a listing of an account's event types (their lengths) is reused by CreateBooking.
  std::chrono::seconds event_types_ttl{600};
  std::string user_agent = "callgate";
};

// One event type as GET /v2/event-types describes it.
struct EventType {
  std::int64_t id = 0;
  int length_minutes = 0;
  std::string title;
  std::string slug;
  std::string description;
  int minimum_booking_notice_minutes = 0;
  // `lengthInMinutesOptions`: the lengths a booker may pick (Cal.com's "multiple durations");
  // empty when the event type has one length.
  std::vector<int> length_options;
  // A recurring event type (`recurrence` {interval, occurrences, frequency}; not null and not
  // {"disabled": true}): a create books a whole series. Phone bookings make single appointments,
  // so the admin API and `callgate doctor` refuse such an event type for a service.
  bool recurring = false;
  int recurrence_occurrences = 0;  // as Cal.com says; 0 when it does not
};

class CalcomClient final : public booking::CalendarProvider {
 public:
  // Starts the HTTP loop thread. `metrics` must outlive the client.
  CalcomClient(CalcomSettings settings, observability::Metrics& metrics);
  // Stops the loop thread. No call may be running on another thread any more.
  ~CalcomClient() override;

  CalcomClient(const CalcomClient&) = delete;
  CalcomClient& operator=(const CalcomClient&) = delete;

  // GET /v2/slots?eventTypeId&start&end&timeZone&format=range[&duration]; only slots starting
  // in [from, to) are returned, ascending. Bounded by slots_timeout.
  Result<booking::SlotAnswer> GetSlots(const booking::SlotQuery& query) override;
  // All queries in parallel over the shared loop; returns when every one finished.
  std::vector<Result<booking::SlotAnswer>> GetSlotsMany(
      const std::vector<booking::SlotQuery>& queries) override;

  // POST /v2/bookings → 201. Validates the request first (kInvalidArgument: no name, neither
  // email nor phone, > 50 metadata keys, …). Slot taken (409, or 400 with Cal.com's "already
  // has booking" message) → kConflict. A kTimeout may still have booked: reconcile by listing.
  // With request.length_minutes, `lengthInMinutes` is sent when the event type offers several
  // lengths (its event types are listed first, once per account per settings.event_types_ttl,
  // within the slots timeout; after a failed listing, again after a minute); an event type with
  // one length, one the listing does not show, or a failed listing books without it.
  Result<booking::Booking> CreateBooking(const booking::BookingRequest& request) override;
  // POST /v2/bookings/{uid}/cancel → the booking with status "cancelled". With a seat, the
  // seated input (only that attendee's seat is cancelled).
  Result<booking::Booking> CancelBooking(const booking::CalendarAccount& account,
                                         const std::string& uid, const std::string& reason,
                                         const booking::BookingChange& change) override;
  // POST /v2/bookings/{uid}/reschedule → the NEW booking (rescheduled_from_uid = uid; status
  // "pending" when it awaits the practice). Sends `rescheduledBy` when given; with a seat, the
  // seated input (which has no reason field).
  Result<booking::Booking> RescheduleBooking(const booking::CalendarAccount& account,
                                             const std::string& uid, SystemTimePoint new_start,
                                             const std::string& reason,
                                             const booking::BookingChange& change) override;
  // GET /v2/bookings/{uid}.
  Result<booking::Booking> GetBooking(const booking::CalendarAccount& account,
                                      const std::string& uid) override;
  // GET /v2/bookings with the filter; follows pagination up to filter.take bookings (and at
  // most settings.max_list_pages pages).
  Result<std::vector<booking::Booking>> ListBookings(const booking::CalendarAccount& account,
                                                     const booking::BookingFilter& filter) override;

  // GET /v2/event-types of the account's user. Bounded by bookings_timeout.
  Result<std::vector<EventType>> ListEventTypes(const booking::CalendarAccount& account);
  // The same, as far as a service is checked against it.
  Result<std::vector<booking::AccountEventType>> ListAccountEventTypes(
      const booking::CalendarAccount& account) override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace callgate::calcom
