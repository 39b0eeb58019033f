#include "agent/tool_args.hpp"

#include <algorithm>
#include <cctype>
#include <initializer_list>
#include <nlohmann/json.hpp>

#include "core/digest.hpp"
#include "core/text.hpp"

namespace callgate::agent {
namespace {

using nlohmann::json;

constexpr std::size_t kMaxTextChars = 500;

// Trimmed and cut to kMaxTextChars; control characters, line breaks and direction overrides
// (HasControlCharacter) become spaces: what a caller dictated is kept, never refused, but it
// reaches no page, log line or calendar entry with a NUL or a name shown back to front.
std::string Trim(std::string_view text) {
  std::string v = BlankControlCharacters(text);
  while (!v.empty() && std::isspace(static_cast<unsigned char>(v.back()))) v.pop_back();
  std::size_t b = 0;
  while (b < v.size() && std::isspace(static_cast<unsigned char>(v[b]))) ++b;
  std::string_view cut = Utf8Prefix(std::string_view(v).substr(b), kMaxTextChars);
  while (!cut.empty() && std::isspace(static_cast<unsigned char>(cut.back()))) {
    cut.remove_suffix(1);
  }
  return std::string(cut);
}

// The first of `keys` present and not null, as trimmed text (numbers are read as text). An
// object, list or flag where text belongs is an error naming the first key.
Result<std::string> Text(const json& args, std::initializer_list<const char*> keys) {
  for (const char* k : keys) {
    auto it = args.find(k);
    if (it == args.end() || it->is_null()) continue;
    if (it->is_string()) return Trim(it->get<std::string>());
    if (it->is_number_integer()) return std::to_string(it->get<long long>());
    if (it->is_number()) return Trim(std::to_string(it->get<double>()));
    return Fail(ErrorCode::kInvalidArgument,
                "argument '" + std::string(*keys.begin()) + "' must be text");
  }
  return std::string();
}

Result<bool> Flag(const json& args, const char* key) {
  auto it = args.find(key);
  if (it == args.end() || it->is_null()) return false;
  if (it->is_boolean()) return it->get<bool>();
  if (it->is_number_integer()) return it->get<long long>() == 1;
  if (it->is_string()) {
    std::string v = Trim(it->get<std::string>());
    std::transform(v.begin(), v.end(), v.begin(), [](unsigned char c) { return std::tolower(c); });
    return v == "true" || v == "ja" || v == "yes" || v == "1";
  }
  return Fail(ErrorCode::kInvalidArgument,
              "argument '" + std::string(key) + "' must be true or false");
}

Result<void> Object(const json& args) {
  if (!args.is_object())
    return Fail(ErrorCode::kInvalidArgument, "the arguments must be a JSON object");
  return {};
}

}  // namespace

#define CALLGATE_TRY_ASSIGN(target, expr)                                 \
  do {                                                                    \
    auto callgate_value_ = (expr);                                        \
    if (!callgate_value_) return tl::unexpected(callgate_value_.error()); \
    target = std::move(*callgate_value_);                                 \
  } while (false)

Result<booking::ServiceChoice> ParseServiceChoice(const json& args) {
  if (auto ok = Object(args); !ok) return tl::unexpected(ok.error());
  booking::ServiceChoice c;
  CALLGATE_TRY_ASSIGN(c.id, Text(args, {"service_id"}));
  CALLGATE_TRY_ASSIGN(c.name, Text(args, {"service", "service_name", "dienstleistung"}));
  return c;
}

Result<booking::SlotWish> ParseSlotWish(const json& args) {
  booking::SlotWish w;
  CALLGATE_TRY_ASSIGN(w.service, ParseServiceChoice(args));
  CALLGATE_TRY_ASSIGN(w.date, Text(args, {"date", "datum", "day", "when"}));
  CALLGATE_TRY_ASSIGN(w.time, Text(args, {"time", "uhrzeit"}));
  return w;
}

Result<booking::AlternativesRequest> ParseAlternativesRequest(const json& args) {
  booking::AlternativesRequest r;
  CALLGATE_TRY_ASSIGN(r.wish, ParseSlotWish(args));
  std::string count;
  CALLGATE_TRY_ASSIGN(count, Text(args, {"count", "anzahl"}));
  if (!count.empty()) {
    try {
      r.count = std::stoi(count);
    } catch (...) {
      return Fail(ErrorCode::kInvalidArgument, "argument 'count' must be a number");
    }
  }
  return r;
}

Result<booking::ContactDetails> ParseContactDetails(const json& args) {
  if (auto ok = Object(args); !ok) return tl::unexpected(ok.error());
  booking::ContactDetails c;
  CALLGATE_TRY_ASSIGN(c.name, Text(args, {"name", "customer_name"}));
  CALLGATE_TRY_ASSIGN(c.email, Text(args, {"email"}));
  CALLGATE_TRY_ASSIGN(c.phone, Text(args, {"phone", "telefon"}));
  return c;
}

Result<booking::AppointmentRequest> ParseAppointmentRequest(const json& args) {
  booking::AppointmentRequest r;
  CALLGATE_TRY_ASSIGN(r.wish, ParseSlotWish(args));
  CALLGATE_TRY_ASSIGN(r.contact, ParseContactDetails(args));
  CALLGATE_TRY_ASSIGN(r.notes, Text(args, {"notes", "notiz"}));
  CALLGATE_TRY_ASSIGN(r.confirm, Flag(args, "confirm"));
  return r;
}

namespace {
Result<booking::AppointmentChoice> ParseAppointmentChoice(const json& args) {
  booking::AppointmentChoice c;
  CALLGATE_TRY_ASSIGN(c.id, Text(args, {"appointment_id"}));
  CALLGATE_TRY_ASSIGN(c.date, Text(args, {"date", "datum", "old_date"}));
  return c;
}
}  // namespace

Result<booking::CancelRequest> ParseCancelRequest(const json& args) {
  booking::CancelRequest r;
  CALLGATE_TRY_ASSIGN(r.contact, ParseContactDetails(args));
  CALLGATE_TRY_ASSIGN(r.appointment, ParseAppointmentChoice(args));
  CALLGATE_TRY_ASSIGN(r.reason, Text(args, {"reason", "grund"}));
  return r;
}

Result<booking::RescheduleRequest> ParseRescheduleRequest(const json& args) {
  if (auto ok = Object(args); !ok) return tl::unexpected(ok.error());
  booking::RescheduleRequest r;
  CALLGATE_TRY_ASSIGN(r.appointment, ParseAppointmentChoice(args));
  CALLGATE_TRY_ASSIGN(r.new_date, Text(args, {"new_date", "neues_datum"}));
  CALLGATE_TRY_ASSIGN(r.new_time, Text(args, {"new_time", "neue_uhrzeit"}));
  CALLGATE_TRY_ASSIGN(r.confirm, Flag(args, "confirm"));
  return r;
}

Result<booking::CallbackWish> ParseCallbackWish(const json& args) {
  booking::CallbackWish w;
  CALLGATE_TRY_ASSIGN(w.contact, ParseContactDetails(args));
  CALLGATE_TRY_ASSIGN(w.topic, Text(args, {"topic", "anliegen", "reason", "grund"}));
  CALLGATE_TRY_ASSIGN(w.when, Text(args, {"when", "wann", "wunschzeit"}));
  return w;
}

#undef CALLGATE_TRY_ASSIGN

bool Confirms(const json& args) {
  if (!args.is_object()) return false;
  auto flag = Flag(args, "confirm");
  return flag && *flag;
}

std::string ToolIdempotencyKey(std::string_view scope, std::string_view tool, const json& args) {
  json canonical = args.is_object() ? args : json::object();
  canonical.erase("confirm");  // the confirming call books what the summary offered
  // nlohmann::json objects are ordered maps: dump() is canonical.
  return Sha256Hex(std::string(scope) + "\n" + std::string(tool) + "\n" + canonical.dump());
}

}  // namespace callgate::agent
