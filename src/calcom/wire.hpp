#pragma once
// Cal.com API v2 wire format (shared/reference/calcom.md): request bodies, the success envelope
// {"status":"success","data":…} and the error envelope {"status":"error","error":{"code",
// "message"}}. Pure functions without I/O, used by CalcomClient and unit-tested on their own.
// nlohmann/json stays in wire.cpp.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "booking/calendar_provider.hpp"
#include "calcom/calcom_client.hpp"
#include "core/result.hpp"
#include "core/secret.hpp"

namespace callgate::calcom {

// `cal-api-version` header values per endpoint family.
inline constexpr std::string_view kSlotsApiVersion = "2024-09-04";
inline constexpr std::string_view kBookingsApiVersion = "2024-08-13";
inline constexpr std::string_view kEventTypesApiVersion = "2024-06-14";

// Cal.com's slot-taken messages ("User either already has booking at this time or is not
// available", the team variant "One of the hosts either already has booking …", and the
// "no_available_users_found_error" code). Case-insensitive substring match.
bool IsSlotTakenMessage(std::string_view message);

// Maps a non-2xx answer to the port's error (409 → kConflict; 400 slot-taken → kConflict; other
// 4xx → kInvalidArgument; 401/403 → kUnauthenticated; 404 → kNotFound; 408 → kTimeout;
// 429 → kRateLimited; 5xx → kUnavailable; anything else → kInternal). The message names the
// endpoint, status, Cal.com's error code and (truncated) message.
Error ClassifyErrorResponse(std::string_view endpoint, int status, std::string_view body);

// Replaces every occurrence of the secret's value in `text` with "***".
std::string Redact(std::string text, const Secret& secret);

// RFC 3986 percent-encoding of everything but unreserved characters.
std::string UrlEncode(std::string_view text);

// GET /v2/slots answer → slots starting in [from, to), ascending, deduplicated. Accepts
// format=range entries ({start,end}) and format=time ones ({start}: end = start + duration when
// given, else = start). kInternal for anything that is not the success envelope.
Result<std::vector<booking::Slot>> ParseSlotsResponse(std::string_view body, SystemTimePoint from,
                                                      SystemTimePoint to,
                                                      std::optional<int> duration_minutes);

// A booking answer (create, cancel, reschedule, get): status (lower case), times, seatUid.
// `data` may be an object or (recurring bookings) an array: its first element, with
// `occurrences` = the array's length. kInternal when unparsable.
Result<booking::Booking> ParseBookingResponse(std::string_view body);

// One page of GET /v2/bookings.
struct BookingPage {
  std::vector<booking::Booking> bookings;
  bool has_next_page = false;
};
Result<BookingPage> ParseBookingListResponse(std::string_view body);

// GET /v2/event-types answer (a data array; the older grouped shape is flattened).
Result<std::vector<EventType>> ParseEventTypesResponse(std::string_view body);

// Request bodies.
// `lengthInMinutes` only when given: Cal.com refuses it for event types with one length.
std::string BuildCreateBookingBody(const booking::BookingRequest& request,
                                   std::optional<int> length_in_minutes = std::nullopt);
// Whether an event type's own description calls for `lengthInMinutes`: several lengths offered.
// (The wanted length is sent even when not among them: Cal.com refuses it with a 400, which is
// better than booking another length.)
bool OffersSeveralLengths(const EventType& event_type);
// CancelBookingInput (`cancelSubsequentBookings` for a series), or CancelSeatedBookingInput with
// `seatUid` when the change names a seat.
std::string BuildCancelBody(std::string_view reason, const booking::BookingChange& change = {});
// RescheduleBookingInput (`start`, `reschedulingReason`, `rescheduledBy`), or with a seat
// RescheduleSeatedBookingInput (`start`, `seatUid`, `rescheduledBy`; it has no reason).
std::string BuildRescheduleBody(SystemTimePoint new_start, std::string_view reason,
                                const booking::BookingChange& change = {});

// Checks what Cal.com would reject anyway, before spending a request: event type > 0, attendee
// name and time zone, email or phone, metadata ≤ 50 keys (names ≤ 40, values ≤ 500 chars).
// Also: length_minutes, when set, in 1..1440.
Status ValidateBookingRequest(const booking::BookingRequest& request);

}  // namespace callgate::calcom
