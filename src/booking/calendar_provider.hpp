#pragma once
// CalendarProvider: the port through which booking talks to a calendar (Cal.com API v2 in
// production, the fake in tests). Decorators wrap it: the slot cache and the circuit breaker.
// Times are UTC instants; errors are ErrorCodes with these meanings:
//   kConflict         the slot is taken (Cal.com 409, or 400 with the "already has booking /
//                     not available" message)
//   kInvalidArgument  any other 400 (e.g. outside the booking window / minimum notice)
//   kUnauthenticated  bad API key (401/403)
//   kNotFound         unknown event type or booking (404)
//   kRateLimited      429
//   kUnavailable      5xx, connection refused, circuit open
//   kTimeout          no answer within the budget
//   kInternal         an answer we could not understand

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.hpp"
#include "core/result.hpp"
#include "core/secret.hpp"

namespace callgate::booking {

// Who asks for a calendar: a caller on a company's phone line (through Retell or Vapi), or an
// agent API's client (MCP). The outbound budget keeps part of each Cal.com account's budget for
// the phone line, which callers on several companies may share.
enum class Channel { kPhoneLine, kAgentApi };

// Whose calendar: a company's Cal.com API key and base URL (self-hosted or the platform's), and
// who asks (not part of the account's identity: caches and breakers key on the API key).
struct CalendarAccount {
  Secret api_key;
  std::string base_url = "https://api.cal.com/v2";
  Channel channel = Channel::kPhoneLine;
};

struct Slot {
  SystemTimePoint start;
  SystemTimePoint end;
  friend bool operator==(const Slot&, const Slot&) = default;
};

// Where an availability answer came from.
enum class SlotSource { kLive, kCache, kFallback };

// "live", "cache", "fallback": the name answers and logs carry.
constexpr std::string_view SlotSourceName(SlotSource source) {
  switch (source) {
    case SlotSource::kCache:
      return "cache";
    case SlotSource::kFallback:
      return "fallback";
    case SlotSource::kLive:
      break;
  }
  return "live";
}

struct SlotQuery {
  CalendarAccount account;
  std::int64_t event_type_id = 0;
  SystemTimePoint from;  // inclusive
  SystemTimePoint to;    // exclusive
  std::string time_zone = "Europe/Berlin";
  std::optional<int> duration_minutes;
};

struct SlotAnswer {
  std::vector<Slot> slots;  // ascending by start
  SlotSource source = SlotSource::kLive;
};

struct Attendee {
  std::string name;
  std::string email;       // may be empty when phone is set
  std::string phone_e164;  // may be empty when email is set
  std::string time_zone = "Europe/Berlin";
  std::string language = "de";
};

struct BookingRequest {
  CalendarAccount account;
  std::int64_t event_type_id = 0;
  SystemTimePoint start;
  Attendee attendee;
  std::map<std::string, std::string> metadata;  // ≤ 50 keys, string values
  std::string notes;
  // The length the appointment needs (the service's duration). Cal.com accepts a length only for
  // event types that offer several (it refuses `lengthInMinutes` for the others and books their
  // one length): the Cal.com client sends it where the event type offers several lengths. The
  // booked length is the answer's `end`.
  std::optional<int> length_minutes;
};

struct Booking {
  std::int64_t id = 0;
  std::string uid;
  std::string status;    // accepted | pending | cancelled | rejected
  std::string seat_uid;  // seated event types: the attendee's seat; empty otherwise
  // > 1: a recurring event type booked a series of this many occurrences; this is the first.
  int occurrences = 1;
  SystemTimePoint start;
  SystemTimePoint end;
  std::int64_t event_type_id = 0;
  std::string rescheduled_from_uid;
  std::map<std::string, std::string> metadata;
  std::vector<std::string> attendee_emails;
  std::vector<std::string> attendee_names;
};

// How a cancel or reschedule addresses a booking beyond its uid (the spec's seated and
// confirmation inputs).
struct BookingChange {
  // The attendee's seat on a seated event type (the create's `seatUid`): the change then concerns
  // this attendee only; without it Cal.com cancels or moves the booking for every attendee.
  // Empty = not seated.
  std::string seat_uid;
  // Reschedule only: the email of whoever moves the booking (the attendee's). Cal.com keeps a
  // booking of an event type that requires confirmation pending unless this is the event-type
  // owner's. Empty = not sent.
  std::string rescheduled_by;
  // Cancel only: this occurrence of a series and every later one (cancelSubsequentBookings).
  bool cancel_series = false;
};

struct BookingFilter {
  std::optional<std::int64_t> event_type_id;
  std::optional<SystemTimePoint> after_start;
  std::optional<SystemTimePoint> before_end;
  std::string attendee_email;
  std::string attendee_name;
  std::string status = "upcoming";  // upcoming, past, cancelled, unconfirmed (comma-separated)
  int take = 100;
};

// An event type of a calendar account, as far as a service is checked against it.
struct AccountEventType {
  std::int64_t id = 0;
  bool recurring = false;  // a create books a whole series
};

class CalendarProvider {
 public:
  virtual ~CalendarProvider() = default;

  // Free slots of an event type in [from, to).
  virtual Result<SlotAnswer> GetSlots(const SlotQuery& query) = 0;

  // Several independent slot queries at once (in parallel where the provider can); the answers
  // are in the order of `queries`. Wall time ≈ the slowest query, not the sum.
  virtual std::vector<Result<SlotAnswer>> GetSlotsMany(const std::vector<SlotQuery>& queries) = 0;

  virtual Result<Booking> CreateBooking(const BookingRequest& request) = 0;
  virtual Result<Booking> CancelBooking(const CalendarAccount& account, const std::string& uid,
                                        const std::string& reason, const BookingChange& change) = 0;
  // Answers the NEW booking (new uid; rescheduled_from_uid = `uid`), whose status says whether
  // it awaits the practice's confirmation ("pending").
  virtual Result<Booking> RescheduleBooking(const CalendarAccount& account, const std::string& uid,
                                            SystemTimePoint new_start, const std::string& reason,
                                            const BookingChange& change) = 0;
  virtual Result<Booking> GetBooking(const CalendarAccount& account, const std::string& uid) = 0;
  virtual Result<std::vector<Booking>> ListBookings(const CalendarAccount& account,
                                                    const BookingFilter& filter) = 0;
  // The account's event types (checking a service's event type when it is set).
  virtual Result<std::vector<AccountEventType>> ListAccountEventTypes(
      const CalendarAccount& account) = 0;

  // Drops cached availability of an event type (after a booking change, ours or announced by
  // a Cal.com webhook). No-op for providers without a cache.
  virtual void InvalidateEventType(std::int64_t event_type_id) { (void)event_type_id; }
};

}  // namespace callgate::booking
