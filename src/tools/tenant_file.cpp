#include "tools/tenant_file.hpp"

#include <yaml-cpp/yaml.h>

#include <cctype>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "core/phone.hpp"
#include "core/time_zone.hpp"
#include "tenancy/model.hpp"

namespace callgate::tools {
namespace {

using nlohmann::json;

tl::unexpected<Error> Bad(const std::string& path, const std::string& what) {
  return Fail(ErrorCode::kInvalidArgument, path + ": " + what);
}

// Field readers: each checks type and reports the exact path.
Result<std::string> Str(const json& obj, const std::string& path, const char* key, bool required,
                        size_t max_len = 200) {
  if (!obj.contains(key) || obj[key].is_null()) {
    if (required) return Bad(path + "." + key, "is required");
    return std::string();
  }
  if (!obj[key].is_string()) return Bad(path + "." + key, "must be a string");
  std::string v = obj[key].get<std::string>();
  if (required && v.empty()) return Bad(path + "." + key, "must not be empty");
  if (v.size() > max_len) return Bad(path + "." + key, "is too long");
  return v;
}

Result<std::int64_t> Int(const json& obj, const std::string& path, const char* key,
                         std::int64_t def, std::int64_t lo, std::int64_t hi) {
  if (!obj.contains(key) || obj[key].is_null()) return def;
  if (!obj[key].is_number_integer()) return Bad(path + "." + key, "must be a whole number");
  const auto v = obj[key].get<std::int64_t>();
  if (v < lo || v > hi) {
    return Bad(path + "." + key,
               "must be between " + std::to_string(lo) + " and " + std::to_string(hi));
  }
  return v;
}

Result<bool> Bool(const json& obj, const std::string& path, const char* key, bool def) {
  if (!obj.contains(key) || obj[key].is_null()) return def;
  if (!obj[key].is_boolean()) return Bad(path + "." + key, "must be true or false");
  return obj[key].get<bool>();
}

Result<std::vector<std::string>> StrList(const json& obj, const std::string& path,
                                         const char* key) {
  std::vector<std::string> out;
  if (!obj.contains(key) || obj[key].is_null()) return out;
  if (!obj[key].is_array()) return Bad(path + "." + key, "must be a list");
  for (size_t i = 0; i < obj[key].size(); ++i) {
    const auto& v = obj[key][i];
    const std::string p = path + "." + key + "[" + std::to_string(i) + "]";
    if (!v.is_string() || v.get<std::string>().empty()) return Bad(p, "must be a non-empty string");
    out.push_back(v.get<std::string>());
  }
  return out;
}

Status CheckKeys(const json& obj, const std::string& path,
                 std::initializer_list<const char*> keys) {
  if (!obj.is_object()) return Bad(path, "must be an object");
  for (const auto& [k, _] : obj.items()) {
    bool known = false;
    for (const char* allowed : keys) known = known || k == allowed;
    if (!known) return Bad(path + "." + k, "unknown field");
  }
  return Ok();
}

Result<int> ParseClock(const json& v, const std::string& path) {
  if (!v.is_string()) return Bad(path, "must be a time like \"09:00\"");
  const std::string s = v.get<std::string>();
  if (s.size() != 5 || s[2] != ':' || !std::isdigit(static_cast<unsigned char>(s[0])) ||
      !std::isdigit(static_cast<unsigned char>(s[1])) ||
      !std::isdigit(static_cast<unsigned char>(s[3])) ||
      !std::isdigit(static_cast<unsigned char>(s[4]))) {
    return Bad(path, "must be a time like \"09:00\"");
  }
  const int h = (s[0] - '0') * 10 + (s[1] - '0');
  const int m = (s[3] - '0') * 10 + (s[4] - '0');
  if (h > 24 || m > 59 || (h == 24 && m != 0)) return Bad(path, "is not a time of day");
  return h * 60 + m;
}

Result<std::string> Phone(const std::string& raw, const std::string& path,
                          std::string_view region) {
  auto e164 = NormalizeE164(raw, region);
  if (!e164) return Bad(path, "not a valid phone number: '" + raw + "'");
  return *e164;
}

#define CG_TRY(var, expr)                               \
  auto var##_r = (expr);                                \
  if (!var##_r) return tl::unexpected(var##_r.error()); \
  auto var = std::move(*var##_r)

// "closing_days": [{"from": "2026-12-24", "to": "2027-01-01", "name": "Betriebsferien"}].
Result<std::vector<tenancy::ClosingDays>> ClosingDaysList(const json& obj,
                                                          const std::string& path) {
  std::vector<tenancy::ClosingDays> out;
  if (!obj.contains("closing_days")) return out;
  const std::string lp = path + ".closing_days";
  const json& list = obj["closing_days"];
  if (!list.is_array()) return Bad(lp, "must be a list");
  if (list.size() > tenancy::kMaxClosingDays) {
    return Bad(lp, "must have at most " + std::to_string(tenancy::kMaxClosingDays) + " entries");
  }
  for (size_t i = 0; i < list.size(); ++i) {
    const std::string ep = lp + "[" + std::to_string(i) + "]";
    if (auto s = CheckKeys(list[i], ep, {"from", "to", "name"}); !s) {
      return tl::unexpected(s.error());
    }
    CG_TRY(from, Str(list[i], ep, "from", true, 40));
    CG_TRY(to, Str(list[i], ep, "to", false, 40));
    CG_TRY(name, Str(list[i], ep, "name", false, 1000));
    tenancy::ClosingDays days{from, to.empty() ? from : to, name};
    if (auto problem = tenancy::CheckClosingDays(days)) {
      return Bad(ep + "." + problem->field, problem->message);
    }
    out.push_back(std::move(days));
  }
  return out;
}

Result<TenantFileBranch> ParseBranch(const json& b, const std::string& path,
                                     std::string_view region) {
  if (auto s = CheckKeys(b, path,
                         {"name", "address", "phone", "timezone", "business_hours", "region",
                          "transfer_number", "closing_days", "phone_numbers"});
      !s) {
    return tl::unexpected(s.error());
  }
  TenantFileBranch out;
  CG_TRY(name, Str(b, path, "name", true));
  CG_TRY(address, Str(b, path, "address", false, 500));
  CG_TRY(phone, Str(b, path, "phone", false));
  CG_TRY(tz, Str(b, path, "timezone", false));
  out.name = name;
  out.address = address;
  if (!phone.empty()) {
    CG_TRY(e164, Phone(phone, path + ".phone", region));
    out.phone = e164;
  }
  if (!tz.empty() && !IsValidTimeZone(tz)) return Bad(path + ".timezone", "unknown time zone");
  out.timezone = tz;
  if (b.contains("business_hours")) {
    const auto& bh = b["business_hours"];
    const std::string bp = path + ".business_hours";
    if (!bh.is_object()) return Bad(bp, "must be an object of weekdays");
    static constexpr const char* kDays[7] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};
    for (const auto& [day, hours] : bh.items()) {
      int index = -1;
      for (int i = 0; i < 7; ++i) {
        if (day == kDays[i]) index = i;
      }
      const std::string dp = bp + "." + day;
      if (index < 0) return Bad(dp, "unknown weekday (use mon, tue, wed, thu, fri, sat, sun)");
      if (hours.is_null()) continue;
      if (!hours.is_array() || hours.size() != 2) return Bad(dp, "must be [\"HH:MM\", \"HH:MM\"]");
      CG_TRY(open, ParseClock(hours[0], dp + "[0]"));
      CG_TRY(close, ParseClock(hours[1], dp + "[1]"));
      if (close <= open) return Bad(dp, "closes before it opens");
      out.business_hours[static_cast<size_t>(index)] = DayHours{open, close};
    }
  }
  CG_TRY(state, Str(b, path, "region", false));
  if (!tenancy::IsBranchRegion(state)) {
    return Bad(path + ".region", "not a Bundesland code (use one of " +
                                     std::string(tenancy::kBranchRegionCodes) + ")");
  }
  out.region = state;
  CG_TRY(transfer, Str(b, path, "transfer_number", false));
  if (!transfer.empty()) {
    CG_TRY(e164, Phone(transfer, path + ".transfer_number", region));
    out.transfer_number = e164;
  }
  CG_TRY(closing_days, ClosingDaysList(b, path));
  out.closing_days = std::move(closing_days);
  CG_TRY(numbers, StrList(b, path, "phone_numbers"));
  for (size_t i = 0; i < numbers.size(); ++i) {
    CG_TRY(e164, Phone(numbers[i], path + ".phone_numbers[" + std::to_string(i) + "]", region));
    out.phone_numbers.push_back(e164);
  }
  return out;
}

Result<TenantFileService> ParseService(const json& s, const std::string& path) {
  if (auto st =
          CheckKeys(s, path,
                    {"name", "synonyms", "duration_minutes", "price_cents", "calcom_event_type_id",
                     "minimum_notice_minutes", "branches", "is_default"});
      !st) {
    return tl::unexpected(st.error());
  }
  TenantFileService out;
  CG_TRY(name, Str(s, path, "name", true));
  CG_TRY(synonyms, StrList(s, path, "synonyms"));
  CG_TRY(duration, Int(s, path, "duration_minutes", 30, 5, 24 * 60));
  CG_TRY(price, Int(s, path, "price_cents", 0, 0, 100'000'000));
  CG_TRY(notice, Int(s, path, "minimum_notice_minutes", 0, 0, 60 * 24 * 60));
  CG_TRY(branches, StrList(s, path, "branches"));
  CG_TRY(is_default, Bool(s, path, "is_default", false));
  out.name = name;
  out.synonyms = synonyms;
  out.duration_minutes = static_cast<int>(duration);
  out.price_cents = price;
  out.minimum_notice_minutes = static_cast<int>(notice);
  out.branches = branches;
  out.is_default = is_default;
  if (s.contains("calcom_event_type_id") && !s["calcom_event_type_id"].is_null()) {
    CG_TRY(id, Int(s, path, "calcom_event_type_id", 0, 1, INT64_MAX));
    out.calcom_event_type_id = id;
  }
  return out;
}

Result<TenantFileCompany> ParseCompany(const json& c, const std::string& path,
                                       std::string_view region) {
  if (auto s =
          CheckKeys(c, path,
                    {"name", "slug", "timezone", "language", "calcom_api_key", "retell_api_key",
                     "calcom_webhook_secret", "price_per_minute_cents", "included_minutes",
                     "retention_days", "customer_retention_days", "vapi_secret", "store_recordings",
                     "ai_disclosure", "closing_days", "branches", "services", "customers"});
      !s) {
    return tl::unexpected(s.error());
  }
  TenantFileCompany out;
  CG_TRY(name, Str(c, path, "name", true));
  CG_TRY(slug, Str(c, path, "slug", true, 64));
  for (char ch : slug) {
    if (!(std::islower(static_cast<unsigned char>(ch)) ||
          std::isdigit(static_cast<unsigned char>(ch)) || ch == '-')) {
      return Bad(path + ".slug", "may contain only a-z, 0-9 and '-'");
    }
  }
  CG_TRY(tz, Str(c, path, "timezone", false));
  if (!tz.empty()) {
    if (!IsValidTimeZone(tz)) return Bad(path + ".timezone", "unknown time zone");
    out.timezone = tz;
  }
  CG_TRY(language, Str(c, path, "language", false, 16));
  if (!language.empty()) {
    if (!tenancy::CalendarLanguage(language)) {
      return Bad(path + ".language",
                 "\"" + language +
                     "\" is no language code whose language Cal.com supports for attendees "
                     "(e.g. \"de\", \"de-AT\", \"en-GB\"; see docs/calcom.md)");
    }
    out.language = language;
  }
  CG_TRY(calcom_key, Str(c, path, "calcom_api_key", false, 500));
  CG_TRY(retell_key, Str(c, path, "retell_api_key", false, 500));
  CG_TRY(calcom_webhook_secret, Str(c, path, "calcom_webhook_secret", false, 500));
  CG_TRY(vapi_secret, Str(c, path, "vapi_secret", false, 500));
  CG_TRY(ppm, Int(c, path, "price_per_minute_cents", 0, 0, 1'000'000));
  CG_TRY(included, Int(c, path, "included_minutes", 0, 0, 10'000'000));
  CG_TRY(retention, Int(c, path, "retention_days", 30, 1, 3650));
  CG_TRY(customer_retention, Int(c, path, "customer_retention_days", 365, 1, 36500));
  CG_TRY(store_recordings, Bool(c, path, "store_recordings", false));
  CG_TRY(ai_disclosure, Str(c, path, "ai_disclosure", false, 500));
  CG_TRY(closing_days, ClosingDaysList(c, path));
  out.closing_days = std::move(closing_days);
  out.name = name;
  out.slug = slug;
  out.calcom_api_key = calcom_key;
  out.retell_api_key = retell_key;
  out.calcom_webhook_secret = calcom_webhook_secret;
  out.vapi_secret = vapi_secret;
  out.price_per_minute_cents = ppm;
  out.included_minutes = static_cast<int>(included);
  out.retention_days = static_cast<int>(retention);
  out.customer_retention_days = static_cast<int>(customer_retention);
  out.store_recordings = store_recordings;
  out.ai_disclosure = ai_disclosure;

  std::set<std::string> branch_names;
  if (c.contains("branches")) {
    if (!c["branches"].is_array()) return Bad(path + ".branches", "must be a list");
    for (size_t i = 0; i < c["branches"].size(); ++i) {
      const std::string bp = path + ".branches[" + std::to_string(i) + "]";
      CG_TRY(branch, ParseBranch(c["branches"][i], bp, region));
      if (!branch_names.insert(branch.name).second) return Bad(bp + ".name", "duplicate branch");
      out.branches.push_back(std::move(branch));
    }
  }
  std::set<std::string> service_names;
  int defaults = 0;
  if (c.contains("services")) {
    if (!c["services"].is_array()) return Bad(path + ".services", "must be a list");
    for (size_t i = 0; i < c["services"].size(); ++i) {
      const std::string sp = path + ".services[" + std::to_string(i) + "]";
      CG_TRY(service, ParseService(c["services"][i], sp));
      if (!service_names.insert(service.name).second) return Bad(sp + ".name", "duplicate service");
      for (size_t j = 0; j < service.branches.size(); ++j) {
        if (!branch_names.count(service.branches[j])) {
          return Bad(sp + ".branches[" + std::to_string(j) + "]",
                     "no branch named '" + service.branches[j] + "'");
        }
      }
      defaults += service.is_default ? 1 : 0;
      out.services.push_back(std::move(service));
    }
  }
  if (defaults > 1) return Bad(path + ".services", "more than one default service");
  std::set<std::string> customer_phones;
  if (c.contains("customers")) {
    if (!c["customers"].is_array()) return Bad(path + ".customers", "must be a list");
    for (size_t i = 0; i < c["customers"].size(); ++i) {
      const std::string cp = path + ".customers[" + std::to_string(i) + "]";
      const auto& cj = c["customers"][i];
      if (auto s = CheckKeys(cj, cp, {"name", "phone", "email"}); !s) {
        return tl::unexpected(s.error());
      }
      TenantFileCustomer customer;
      CG_TRY(cname, Str(cj, cp, "name", true));
      CG_TRY(cphone, Str(cj, cp, "phone", true));
      CG_TRY(email, Str(cj, cp, "email", false));
      CG_TRY(e164, Phone(cphone, cp + ".phone", region));
      if (!email.empty() && email.find('@') == std::string::npos) {
        return Bad(cp + ".email", "not an email address");
      }
      if (!customer_phones.insert(e164).second) return Bad(cp + ".phone", "duplicate customer");
      customer.name = cname;
      customer.phone = e164;
      customer.email = email;
      out.customers.push_back(std::move(customer));
    }
  }
  return out;
}

Result<TenantFile> ParseTenantValue(const json& root, std::string_view region) {
  if (!root.is_object() || !root.contains("companies") || !root["companies"].is_array()) {
    return Bad("companies", "the file must be an object with a list 'companies'");
  }
  TenantFile out;
  std::set<std::string> slugs;
  std::set<std::string> numbers;
  for (size_t i = 0; i < root["companies"].size(); ++i) {
    const std::string cp = "companies[" + std::to_string(i) + "]";
    CG_TRY(company, ParseCompany(root["companies"][i], cp, region));
    if (!slugs.insert(company.slug).second) return Bad(cp + ".slug", "duplicate slug");
    for (size_t b = 0; b < company.branches.size(); ++b) {
      for (size_t n = 0; n < company.branches[b].phone_numbers.size(); ++n) {
        if (!numbers.insert(company.branches[b].phone_numbers[n]).second) {
          return Bad(
              cp + ".branches[" + std::to_string(b) + "].phone_numbers[" + std::to_string(n) + "]",
              "number listed twice");
        }
      }
    }
    out.companies.push_back(std::move(company));
  }
  return out;
}

json YamlToJson(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Sequence: {
      json arr = json::array();
      for (const auto& item : node) arr.push_back(YamlToJson(item));
      return arr;
    }
    case YAML::NodeType::Map: {
      json obj = json::object();
      for (const auto& kv : node) obj[kv.first.as<std::string>()] = YamlToJson(kv.second);
      return obj;
    }
    case YAML::NodeType::Scalar: {
      const std::string s = node.Scalar();
      if (node.Tag() == "!") return s;  // quoted: always a string
      if (s == "true" || s == "false") return s == "true";
      if (s == "null" || s == "~") return nullptr;
      if (!s.empty() && (std::isdigit(static_cast<unsigned char>(s[0])) || s[0] == '-')) {
        bool digits = true;
        for (size_t i = s[0] == '-' ? 1 : 0; i < s.size(); ++i) {
          digits = digits && std::isdigit(static_cast<unsigned char>(s[i]));
        }
        if (digits && s.size() < 19 && s != "-") return std::stoll(s);
      }
      return s;
    }
    default:
      return nullptr;
  }
}

#undef CG_TRY

}  // namespace

Result<TenantFile> ParseTenantJson(std::string_view text, std::string_view phone_region) {
  json root = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (root.is_discarded()) return Fail(ErrorCode::kInvalidArgument, "not valid JSON");
  return ParseTenantValue(root, phone_region);
}

Result<TenantFile> ParseTenantYaml(std::string_view text, std::string_view phone_region) {
  try {
    return ParseTenantValue(YamlToJson(YAML::Load(std::string(text))), phone_region);
  } catch (const YAML::Exception& e) {
    return Fail(ErrorCode::kInvalidArgument, std::string("not valid YAML: ") + e.what());
  }
}

Result<TenantFile> LoadTenantFile(const std::string& path, std::string_view phone_region) {
  std::ifstream in(path);
  if (!in) return Fail(ErrorCode::kNotFound, "cannot read " + path);
  std::stringstream buf;
  buf << in.rdbuf();
  const bool yaml = path.size() > 5 && (path.ends_with(".yaml") || path.ends_with(".yml"));
  return yaml ? ParseTenantYaml(buf.str(), phone_region) : ParseTenantJson(buf.str(), phone_region);
}

std::string_view DemoTenantJson() {
  return R"json({"companies": [{
  "name": "Praxis Dr. Weber", "slug": "praxis-weber", "timezone": "Europe/Berlin",
  "calcom_api_key": "cal_test_demo", "price_per_minute_cents": 15, "included_minutes": 100,
  "branches": [
    {"name": "Berlin Mitte", "address": "Torstraße 1, 10119 Berlin", "phone": "+49 30 83793369",
     "region": "BE", "transfer_number": "+49 30 83793300",
     "business_hours": {"mon": ["09:00", "18:00"], "tue": ["09:00", "18:00"],
                        "wed": ["09:00", "13:00"], "thu": ["09:00", "18:00"],
                        "fri": ["09:00", "16:00"]},
     "phone_numbers": ["+49 30 83793369"]},
    {"name": "Berlin Charlottenburg", "address": "Kantstraße 20, 10623 Berlin", "region": "BE",
     "business_hours": {"mon": ["08:00", "16:00"], "tue": ["08:00", "16:00"],
                        "wed": ["08:00", "16:00"], "thu": ["10:00", "19:00"],
                        "fri": ["08:00", "14:00"]},
     "phone_numbers": ["+49 30 31801234"]}],
  "services": [
    {"name": "Erstberatung", "synonyms": ["Beratung", "Erstgespräch"], "duration_minutes": 30,
     "price_cents": 6000, "calcom_event_type_id": 1001, "is_default": true},
    {"name": "Kontrolltermin", "synonyms": ["Kontrolle", "Nachsorge"], "duration_minutes": 15,
     "price_cents": 3000, "calcom_event_type_id": 1002, "minimum_notice_minutes": 60},
    {"name": "Ausführliche Untersuchung", "synonyms": ["Untersuchung", "Check-up"],
     "duration_minutes": 60, "price_cents": 12000, "calcom_event_type_id": 1003,
     "branches": ["Berlin Mitte"], "minimum_notice_minutes": 240}],
  "customers": [{"name": "Erika Mustermann", "phone": "+49 151 12345678"}]
}]})json";
}

}  // namespace callgate::tools
