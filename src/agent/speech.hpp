#pragma once
// What the agent says: the German sentence and the structured data of each typed outcome of
// booking's use cases — availability (check-availability, get-alternatives, the summary of
// collect-appointment-data), the offer (list-services, get-branches), the caller's own
// appointments (query, cancel, reschedule) and request-callback. All wording of these tools
// lives here and is pinned by golden tests (speech_test.cpp, speech_changes_test.cpp). Lists are
// built to be heard: in time order, each day named once, "oder" between choices, times without
// padding ("9", "9:30"), the year only when it is not the current one, and a day's free times
// spread over the whole day.

#include <string>
#include <string_view>
#include <vector>

#include "agent/tool_answer.hpp"
#include "booking/availability.hpp"
#include "booking/booking_service.hpp"
#include "booking/callbacks.hpp"
#include "booking/changes.hpp"

namespace callgate::agent {

struct SpeechSettings {
  int max_listed_slots = 6;  // free times read out for a day
};

// check-availability. Here and in SpeakAlternatives and SpeakBooking, a service the company
// offers only at its other branches (OtherBranch) names them with reason "other_branch" and is
// a refusal (ToolAnswer::refusal = kPermissionDenied: HTTP 403 on Retell); a closing day
// (Betriebsferien) is said like a holiday, named, with reason "closing_day".
ToolAnswer SpeakAvailability(const booking::AvailabilityOutcome& outcome, std::string_view zone,
                             const SpeechSettings& settings = {});
ToolAnswer SpeakAlternatives(const booking::AlternativesOutcome& outcome, std::string_view zone);
// Free with a name: the summary to confirm; Free without: the question for the name; any other
// outcome as SpeakAvailability.
ToolAnswer SpeakDraft(const booking::BookingDraft& draft, std::string_view zone,
                      const SpeechSettings& settings = {});

// request-callback: the confirmation (with the due time), the question for a number, or — once
// the call has noted its share of requests — that a callback is already noted (reason
// "already_noted").
ToolAnswer SpeakCallback(const booking::CallbackOutcome& outcome, std::string_view zone);

// book-appointment and collect-appointment-data with confirm: booked, held for the calendar,
// not free (why, with alternatives), what is missing, or noted for a callback.
ToolAnswer SpeakBooking(const booking::BookOutcome& outcome, std::string_view zone);
// collect-customer-info: noted, or what to ask for.
ToolAnswer SpeakContact(const booking::ContactOutcome& outcome);

// list-services: the services bookable here, with length and price.
ToolAnswer SpeakServices(const std::vector<tenancy::Service>& services);
// get-branches: name, address and opening hours in words.
ToolAnswer SpeakBranches(const booking::BranchesOutcome& outcome);
// query-customer-appointments, cancel-appointment, reschedule-appointment. Appointments are
// spoken in their own zone; a day the caller said and a new time in the call's `zone`.
ToolAnswer SpeakAppointments(const booking::AppointmentsOutcome& outcome);
ToolAnswer SpeakCancel(const booking::CancelOutcome& outcome, std::string_view zone);
ToolAnswer SpeakReschedule(const booking::RescheduleOutcome& outcome, std::string_view zone,
                           const SpeechSettings& settings = {});

// "Heute um 9, 9:30 oder 10 Uhr, morgen um 14 Uhr" style summary of the default service's next
// free times, for the inbound greeting: "Beratung: heute um 14 und 15:30 Uhr, morgen um 9 Uhr".
std::string SpeakQuickSlots(const booking::BookingService::QuickAvailability& quick,
                            std::string_view zone);

// The texts callgate writes into records for people (Cal.com's cancellation reasons, the
// attendee name when the caller gave none, callback notes for staff), for
// booking::BookingSettings::records.
booking::RecordWording RecordWording();

// "Dienstag, 1. Dezember, um 14:30 Uhr", "… um 9 Uhr" on the full hour; the year is added
// ("Freitag, 15. Januar 2027, um 10 Uhr") only when it differs from `now`'s year in `zone`. An
// unknown zone is spoken in UTC rather than failing.
std::string SpokenDateTime(SystemTimePoint t, std::string_view zone, SystemTimePoint now);

// The pieces, for the tests.
// "Montag bis Freitag von 9 bis 18 Uhr und Samstag von 9 bis 13 Uhr"; empty without hours.
std::string SpokenOpeningHours(const tenancy::WeeklyHours& hours);
// 6000 → "60 Euro", 1250 → "12,50 Euro".
std::string Euros(std::int64_t cents);
// 540 → "9", 570 → "9:30", 0 → "0".
std::string SpokenClock(int minute_of_day);
// "A", "A oder B", "A, B oder C".
std::string JoinChoices(const std::vector<std::string>& items);
// At most `count` of `n` indices, spread evenly from the first to the last, in order.
std::vector<std::size_t> SpreadIndices(std::size_t n, std::size_t count);

}  // namespace callgate::agent
