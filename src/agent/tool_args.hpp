#pragma once
// Parsing the platforms' JSON tool arguments into the booking use cases' typed requests
// (booking/tool_requests.hpp). Language models send loosely typed JSON: a text field may come as
// a number ("time": 14), a flag as text ("confirm": "ja"), a missing field as null; all of that
// is read the same way for every tool and platform. What cannot be meant as the field — an
// object or list where text belongs, a flag that is neither yes nor no — is a clear
// kInvalidArgument naming the argument. Names in German (datum, uhrzeit…) are accepted as
// aliases.

#include <nlohmann/json_fwd.hpp>

#include "booking/tool_requests.hpp"
#include "core/result.hpp"

namespace callgate::agent {

Result<booking::ServiceChoice> ParseServiceChoice(const nlohmann::json& args);
Result<booking::SlotWish> ParseSlotWish(const nlohmann::json& args);
Result<booking::AlternativesRequest> ParseAlternativesRequest(const nlohmann::json& args);
Result<booking::ContactDetails> ParseContactDetails(const nlohmann::json& args);
Result<booking::AppointmentRequest> ParseAppointmentRequest(const nlohmann::json& args);
Result<booking::CancelRequest> ParseCancelRequest(const nlohmann::json& args);
Result<booking::RescheduleRequest> ParseRescheduleRequest(const nlohmann::json& args);
Result<booking::CallbackWish> ParseCallbackWish(const nlohmann::json& args);

// True when the arguments confirm ("confirm": true, "true", "ja", "yes", 1); false for an
// unusable flag too (the tool's parser reports that).
bool Confirms(const nlohmann::json& args);

// Idempotency key of a tool call: SHA-256 of the scope (call id), tool name and the canonical
// arguments without "confirm" (the confirming call books what the summary offered).
std::string ToolIdempotencyKey(std::string_view scope, std::string_view tool,
                               const nlohmann::json& args);

}  // namespace callgate::agent
