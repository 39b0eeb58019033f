#pragma once
// Booking's settings (from the environment, see app/config.hpp) and the calendar account a
// company's requests go out with.

#include <chrono>
#include <functional>
#include <string>
#include <string_view>

#include "booking/calendar_provider.hpp"
#include "core/clock.hpp"
#include "core/secret.hpp"
#include "tenancy/model.hpp"

namespace callgate::booking {

// A booking that could not be made, for the note of the callback staff gets.
struct FailedBookingNote {
  std::string service;  // empty when not known
  SystemTimePoint start;
  std::string time_zone;
  SystemTimePoint now;
};

// What callgate writes for people into the records it keeps or sends: the attendee name Cal.com
// needs when the caller gave none, Cal.com's cancellation reasons, callback notes for staff. The
// wording is the agent module's (agent::RecordWording(), set by the composition root); booking
// only fills it in. Unset texts stay empty.
struct RecordWording {
  std::string unnamed_attendee;
  std::string series_refused;       // a recurring series cancelled right after it was made
  std::string cancelled_by_caller;  // the caller gave no reason
  // A held slot let go (cancelled by the caller, erased) while its booking was being made.
  std::string released_while_booking;
  // An appointment let go (cancelled, erased) while the caller's move was made at Cal.com.
  std::string released_while_moving;
  std::string moved_by_caller;
  std::function<std::string(std::string_view reason)> cancellation_wished;
  std::function<std::string(const FailedBookingNote&)> booking_failed;

  std::string CancellationWished(std::string_view reason) const {
    return cancellation_wished ? cancellation_wished(reason) : std::string(reason);
  }
  std::string BookingFailed(const FailedBookingNote& note) const {
    return booking_failed ? booking_failed(note) : std::string();
  }
};

struct BookingSettings {
  Secret platform_calcom_key;
  std::string calcom_base_url = "https://api.cal.com/v2";
  std::string phone_region = "DE";
  int max_alternatives = 3;
  int max_listed_slots = 6;
  // Cal.com wants an attendee e-mail on some deployments; callers rarely give one. When set,
  // "anrufer-<appointment id>@<domain>" is sent instead.
  std::string placeholder_email_domain = "callgate.invalid";
  // When the job of a held booking first runs (PendingBooking). Longer than the call's own
  // request to the calendar can take (its create and, after a timeout, the search for what it
  // made: two requests of at most ~10 s each), so the two never ask the calendar at once.
  std::chrono::milliseconds pending_job_after = std::chrono::seconds(60);
  RecordWording records;
};

// The company's own Cal.com key, else the platform's.
inline CalendarAccount CalendarAccountFor(const tenancy::Company& company,
                                          const BookingSettings& settings) {
  CalendarAccount account;
  account.api_key =
      company.calcom_api_key.empty() ? settings.platform_calcom_key : company.calcom_api_key;
  account.base_url = settings.calcom_base_url;
  return account;
}

// The account a call's calendar requests go to, marked with who asks (booking_service.cpp).
struct CallContext;
CalendarAccount CalendarAccountFor(const CallContext& ctx, const BookingSettings& settings);

}  // namespace callgate::booking
