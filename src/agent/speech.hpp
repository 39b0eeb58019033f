#pragma once
// What the agent says about availability: the German sentence and the structured data of each
// typed outcome of booking's AvailabilityService (check-availability, get-alternatives and the
// summary of collect-appointment-data). All wording of these tools lives here and is pinned by
// golden tests (speech_test.cpp). Lists are built to be heard: in time order, each day named
// once, "oder" between choices, times without padding ("9", "9:30"), the year only when it is
// not the current one, and a day's free times spread over the whole day.

#include <string>
#include <string_view>
#include <vector>

#include "booking/availability.hpp"
#include "booking/booking_service.hpp"
#include "booking/callbacks.hpp"

namespace callgate::agent {

struct SpeechSettings {
  int max_listed_slots = 6;  // free times read out for a day
};

booking::ToolAnswer SpeakAvailability(const booking::AvailabilityOutcome& outcome,
                                      std::string_view zone, const SpeechSettings& settings = {});
booking::ToolAnswer SpeakAlternatives(const booking::AlternativesOutcome& outcome,
                                      std::string_view zone);
// Free with a name: the summary to confirm; Free without: the question for the name; any other
// outcome as SpeakAvailability.
booking::ToolAnswer SpeakDraft(const booking::BookingDraft& draft, std::string_view zone,
                               const SpeechSettings& settings = {});

// request-callback: the confirmation (with the due time), the question for a number, or — once
// the call has noted its share of requests — that a callback is already noted (reason
// "already_noted").
booking::ToolAnswer SpeakCallback(const booking::CallbackOutcome& outcome, std::string_view zone);

// The pieces, for the tests.
// 540 → "9", 570 → "9:30", 0 → "0".
std::string SpokenClock(int minute_of_day);
// "A", "A oder B", "A, B oder C".
std::string JoinChoices(const std::vector<std::string>& items);
// At most `count` of `n` indices, spread evenly from the first to the last, in order.
std::vector<std::size_t> SpreadIndices(std::size_t n, std::size_t count);

}  // namespace callgate::agent
