#include "calcom/webhook.hpp"

#include <openssl/crypto.h>

#include <array>
#include <nlohmann/json.hpp>

#include "core/digest.hpp"
#include "core/encoding.hpp"
#include "core/numbers.hpp"
#include "core/time_zone.hpp"

namespace callgate::calcom {
namespace {

using nlohmann::json;

std::string PayloadString(const json& object, const char* name) {
  auto it = object.find(name);
  if (it == object.end() || !it->is_string()) return {};
  return it->get<std::string>();
}

std::optional<std::int64_t> PayloadInt(const json& object, const char* name) {
  auto it = object.find(name);
  if (it == object.end()) return std::nullopt;
  if (it->is_number_unsigned()) return Int64FromUnsigned(it->get<std::uint64_t>());
  if (it->is_number_integer()) return it->get<std::int64_t>();
  if (it->is_string()) {  // be lenient: some integrations stringify ids
    try {
      return std::stoll(it->get<std::string>());
    } catch (const std::exception&) {
      return std::nullopt;
    }
  }
  return std::nullopt;
}

std::optional<SystemTimePoint> TimeField(const json& object, const char* name) {
  const std::string text = PayloadString(object, name);
  if (text.empty()) return std::nullopt;
  auto t = ParseIso8601(text);
  if (!t) return std::nullopt;
  return *t;
}

}  // namespace

Status VerifyCalcomSignature(std::string_view header, std::string_view raw_body,
                             const Secret& secret) {
  const auto fail = [](const char* reason) { return Fail(ErrorCode::kUnauthenticated, reason); };
  if (secret.empty()) return fail("no secret configured");
  if (header.empty()) return fail("missing");
  if (header == kNoSecretSignature) return fail("no-secret-provided");
  if (header.size() != 64) return fail("malformed");
  Sha256Digest given{};
  for (std::size_t i = 0; i < given.size(); ++i) {
    const int hi = HexDigitValue(header[2 * i]);
    const int lo = HexDigitValue(header[2 * i + 1]);
    if (hi < 0 || lo < 0) return fail("malformed");
    given[i] = static_cast<unsigned char>(hi << 4 | lo);
  }
  const Sha256Digest expected = HmacSha256(secret.Reveal(), raw_body);
  if (CRYPTO_memcmp(expected.data(), given.data(), expected.size()) != 0) return fail("mismatch");
  return Ok();
}

std::string SignCalcomPayload(std::string_view raw_body, const Secret& secret) {
  return ToHex(HmacSha256(secret.Reveal(), raw_body));
}

Result<CalcomWebhookEvent> ParseCalcomWebhook(std::string_view raw_body) {
  const json doc = json::parse(raw_body.begin(), raw_body.end(), nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) {
    return Fail(ErrorCode::kInvalidArgument, "cal.com webhook body is not a JSON object");
  }
  CalcomWebhookEvent e;
  e.trigger_event = PayloadString(doc, "triggerEvent");
  if (e.trigger_event.empty()) {
    return Fail(ErrorCode::kInvalidArgument, "cal.com webhook has no triggerEvent");
  }
  e.created_at = PayloadString(doc, "createdAt");
  static const json kEmptyObject = json::object();
  const json* payload = &kEmptyObject;
  if (auto p = doc.find("payload"); p != doc.end() && !p->is_null()) {
    if (!p->is_object()) {
      return Fail(ErrorCode::kInvalidArgument, "cal.com webhook payload is not an object");
    }
    payload = &*p;
  }
  const json& p = *payload;
  e.uid = PayloadString(p, "uid");
  e.booking_id = PayloadInt(p, "bookingId");
  e.event_type_id = PayloadInt(p, "eventTypeId");
  e.start_time = TimeField(p, "startTime");
  e.end_time = TimeField(p, "endTime");
  e.status = PayloadString(p, "status");
  e.reschedule_uid = PayloadString(p, "rescheduleUid");
  e.reschedule_start_time = TimeField(p, "rescheduleStartTime");
  e.reschedule_end_time = TimeField(p, "rescheduleEndTime");
  if (auto md = p.find("metadata"); md != p.end() && md->is_object()) {
    for (auto it = md->begin(); it != md->end(); ++it) {
      e.metadata[it.key()] = it->is_string() ? it->get<std::string>() : it->dump();
    }
  }
  e.dedupe_key = e.trigger_event + "|" + e.uid + "|" + e.created_at;
  return e;
}

}  // namespace callgate::calcom
