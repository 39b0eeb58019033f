#include "admin/request_body.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/text.hpp"

namespace callgate::admin {
namespace {

bool Contains(const std::vector<std::string_view>& list, std::string_view name) {
  return std::find(list.begin(), list.end(), name) != list.end();
}

std::string Join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ", ") + item;
  return out;
}

}  // namespace

const std::vector<std::string_view>& ProtectedFields() {
  static const std::vector<std::string_view> fields = {
      // identity and tenant
      "id", "company_id", "user_id", "tenant_id",
      // status
      "status", "is_active", "active", "deleted_at",
      // privilege
      "role", "is_admin", "abilities", "permissions",
      // secrets (write them through PUT /api/admin/companies/{id}/secrets)
      "calcom_api_key", "retell_api_key", "calcom_webhook_secret", "calcom_api_key_set",
      "retell_api_key_set", "calcom_webhook_secret_set", "vapi_secret", "vapi_secret_set",
      "api_key", "password", "password_hash", "token", "token_hash",
      // money derived from calls, never entered by hand
      "cost", "cost_cents", "retell_cost_cents", "base_cost_cents", "reseller_cost_cents",
      "customer_cost_cents", "platform_profit_cents", "reseller_profit_cents", "total_profit_cents",
      // timestamps
      "created_at", "updated_at", "last_call_at", "last_used_at", "last_login_at"};
  return fields;
}

tl::expected<nlohmann::json, BodyError> ParseBody(std::string_view body, const Allowlist& allowlist,
                                                  bool platform_admin) {
  auto parsed = nlohmann::json::parse(body, nullptr, false);
  if (parsed.is_discarded() || !parsed.is_object()) {
    return tl::unexpected(BodyError{"invalid_json", "the body must be a JSON object", {}});
  }
  std::vector<std::string> not_allowed;
  std::vector<std::string> unknown;
  for (const auto& [key, value] : parsed.items()) {
    auto rule = std::find_if(allowlist.writable.begin(), allowlist.writable.end(),
                             [&](const FieldRule& r) { return r.name == key; });
    if (rule != allowlist.writable.end()) {
      if (rule->writer == Writer::kPlatformAdmin && !platform_admin) not_allowed.push_back(key);
      continue;
    }
    if (Contains(ProtectedFields(), key) || Contains(allowlist.read_only, key)) {
      not_allowed.push_back(key);
    } else {
      unknown.push_back(key);
    }
  }
  if (!not_allowed.empty()) {
    std::vector<std::string> all = not_allowed;
    all.insert(all.end(), unknown.begin(), unknown.end());
    std::string message = "fields not writable here: " + Join(not_allowed);
    if (!unknown.empty()) message += "; unknown fields: " + Join(unknown);
    return tl::unexpected(BodyError{"field_not_allowed", std::move(message), std::move(all)});
  }
  if (!unknown.empty()) {
    return tl::unexpected(
        BodyError{"unknown_fields", "unknown fields: " + Join(unknown), std::move(unknown)});
  }
  return parsed;
}

http::Response BodyErrorResponse(const BodyError& error, const http::Request& request) {
  nlohmann::json body = {{"code", error.code}, {"message", error.message}};
  body["fields"] = error.fields;
  if (!request.request_id.empty()) body["request_id"] = request.request_id;
  return http::Response::Json(422, {{"error", body}});
}

void Problems::Add(std::string path, std::string message) {
  paths_.push_back(std::move(path));
  messages_.push_back(std::move(message));
}

BodyError Problems::ToError() const {
  std::string message;
  for (std::size_t i = 0; i < paths_.size(); ++i) {
    message += (i == 0 ? "" : "; ") + paths_[i] + ": " + messages_[i];
  }
  return BodyError{"validation_failed", std::move(message), paths_};
}

const nlohmann::json* FieldReader::Get(std::string_view key) const {
  auto it = object_.find(key);
  if (it == object_.end()) return nullptr;
  return &*it;
}

bool FieldReader::Has(std::string_view key) const { return Get(key) != nullptr; }

bool FieldReader::IsNull(std::string_view key) const {
  const auto* v = Get(key);
  return v != nullptr && v->is_null();
}

std::string FieldReader::Path(std::string_view key) const {
  return prefix_.empty() ? std::string(key) : prefix_ + "." + std::string(key);
}

std::optional<std::string> FieldReader::String(std::string_view key, bool non_empty,
                                               std::size_t max_length) {
  const auto* v = Get(key);
  if (v == nullptr) return std::nullopt;
  if (!v->is_string()) {
    problems_.Add(Path(key), "must be a string");
    return std::nullopt;
  }
  const auto& text = v->get_ref<const std::string&>();
  if (non_empty && TrimBlanks(text).empty()) {
    problems_.Add(Path(key), "must not be empty");
    return std::nullopt;
  }
  if (text.size() > max_length) {
    problems_.Add(Path(key), "at most " + std::to_string(max_length) + " characters");
    return std::nullopt;
  }
  return std::string(non_empty ? TrimBlanks(text) : std::string_view(text));
}

std::optional<std::string> FieldReader::Line(std::string_view key, bool non_empty,
                                             std::size_t max_length) {
  auto text = String(key, non_empty, max_length);
  if (text && HasControlCharacter(*text)) {
    problems_.Add(Path(key), "must not contain control characters");
    return std::nullopt;
  }
  return text;
}

std::optional<std::optional<std::string>> FieldReader::NullableString(std::string_view key,
                                                                      std::size_t max_length) {
  const auto* v = Get(key);
  if (v == nullptr) return std::nullopt;
  if (v->is_null()) return std::optional<std::string>();
  auto s = String(key, false, max_length);
  if (!s) return std::nullopt;
  return std::optional<std::string>(std::move(*s));
}

std::optional<std::int64_t> FieldReader::Int(std::string_view key, std::int64_t min,
                                             std::int64_t max) {
  const auto* v = Get(key);
  if (v == nullptr) return std::nullopt;
  if (!v->is_number_integer()) {
    problems_.Add(Path(key), "must be an integer");
    return std::nullopt;
  }
  std::int64_t n = 0;
  if (v->is_number_unsigned()) {
    const auto u = v->get<std::uint64_t>();
    if (u > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
      problems_.Add(Path(key), "out of range");
      return std::nullopt;
    }
    n = static_cast<std::int64_t>(u);
  } else {
    n = v->get<std::int64_t>();
  }
  if (n < min || n > max) {
    problems_.Add(Path(key),
                  "must be between " + std::to_string(min) + " and " + std::to_string(max));
    return std::nullopt;
  }
  return n;
}

std::optional<std::optional<std::int64_t>> FieldReader::NullableInt(std::string_view key,
                                                                    std::int64_t min,
                                                                    std::int64_t max) {
  const auto* v = Get(key);
  if (v == nullptr) return std::nullopt;
  if (v->is_null()) return std::optional<std::int64_t>();
  auto n = Int(key, min, max);
  if (!n) return std::nullopt;
  return std::optional<std::int64_t>(*n);
}

std::optional<double> FieldReader::Number(std::string_view key, double min, double max) {
  const auto* v = Get(key);
  if (v == nullptr) return std::nullopt;
  if (!v->is_number()) {
    problems_.Add(Path(key), "must be a number");
    return std::nullopt;
  }
  const double d = v->get<double>();
  if (!std::isfinite(d) || d < min || d > max) {
    problems_.Add(Path(key), "out of range");
    return std::nullopt;
  }
  return d;
}

std::optional<bool> FieldReader::Bool(std::string_view key) {
  const auto* v = Get(key);
  if (v == nullptr) return std::nullopt;
  if (!v->is_boolean()) {
    problems_.Add(Path(key), "must be true or false");
    return std::nullopt;
  }
  return v->get<bool>();
}

std::optional<std::vector<std::string>> FieldReader::StringList(std::string_view key,
                                                                std::size_t max_items,
                                                                std::size_t max_length) {
  const auto* v = Get(key);
  if (v == nullptr) return std::nullopt;
  if (!v->is_array() || v->size() > max_items) {
    problems_.Add(Path(key),
                  "must be an array of at most " + std::to_string(max_items) + " strings");
    return std::nullopt;
  }
  std::vector<std::string> out;
  bool ok = true;
  for (std::size_t i = 0; i < v->size(); ++i) {
    const auto& item = (*v)[i];
    const std::string path = Path(key) + "[" + std::to_string(i) + "]";
    if (!item.is_string() || TrimBlanks(item.get_ref<const std::string&>()).empty() ||
        item.get_ref<const std::string&>().size() > max_length) {
      problems_.Add(path, "must be a non-empty string of at most " + std::to_string(max_length) +
                              " characters");
      ok = false;
      continue;
    }
    out.emplace_back(TrimBlanks(item.get_ref<const std::string&>()));
  }
  if (!ok) return std::nullopt;
  return out;
}

const nlohmann::json* FieldReader::Object(std::string_view key) {
  const auto* v = Get(key);
  if (v == nullptr) return nullptr;
  if (!v->is_object()) {
    problems_.Add(Path(key), "must be an object");
    return nullptr;
  }
  return v;
}

const nlohmann::json* FieldReader::Array(std::string_view key, std::size_t max_items) {
  const auto* v = Get(key);
  if (v == nullptr) return nullptr;
  if (!v->is_array() || v->size() > max_items) {
    problems_.Add(Path(key), "must be an array of at most " + std::to_string(max_items) + " items");
    return nullptr;
  }
  return v;
}

void CheckNestedKeys(const nlohmann::json& object, const std::vector<std::string_view>& allowed,
                     const std::string& prefix, Problems& problems) {
  for (const auto& [key, value] : object.items()) {
    if (!Contains(allowed, key)) problems.Add(prefix + "." + key, "unknown field");
  }
}

}  // namespace callgate::admin
