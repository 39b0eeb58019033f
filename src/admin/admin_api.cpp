#include "admin/admin_api.hpp"

#include <cstdint>
#include <nlohmann/json.hpp>

#include "admin/request_body.hpp"
#include "auth/admin_token_guard.hpp"
#include "auth/auth_service.hpp"
#include "core/encoding.hpp"
#include "core/phone.hpp"
#include "core/time_zone.hpp"
#include "observability/log.hpp"

namespace callgate::admin {

using auth::Role;
using http::Request;
using http::Response;
using nlohmann::json;
using tenancy::BranchId;
using tenancy::CompanyId;
using tenancy::CustomerId;
using tenancy::PhoneNumberId;
using tenancy::ServiceId;

struct AdminApi::Scope {
  auth::RequestActor actor;
  tenancy::Company company;

  bool platform() const { return actor.role == Role::kPlatformAdmin; }
};

namespace {

constexpr std::string_view kRequestsMetric = "callgate_admin_requests_total";

bool IsReadMethod(http::Method method) {
  return method == http::Method::kGet || method == http::Method::kHead;
}

json Time(SystemTimePoint t) { return FormatIso8601Utc(t); }
json Time(const std::optional<SystemTimePoint>& t) {
  return t ? json(FormatIso8601Utc(*t)) : json(nullptr);
}
template <typename T>
json Opt(const std::optional<T>& v) {
  return v ? json(*v) : json(nullptr);
}
template <typename Tag>
json OptId(const std::optional<tenancy::Id<Tag>>& id) {
  return id ? json(id->value) : json(nullptr);
}

Response NotFound(std::string_view what) {
  return Response::Error(ErrorCode::kNotFound, std::string(what) + " not found");
}

// A repository failure: kNotFound becomes "<what> not found"; the rest maps as usual.
Response RepoError(const Error& error, std::string_view what) {
  if (error.code == ErrorCode::kNotFound) return NotFound(what);
  return Response::Error(error);
}

Response Invalid(const Request& request, std::string field, std::string message) {
  Problems problems;
  problems.Add(std::move(field), std::move(message));
  return BodyErrorResponse(problems.ToError(), request);
}

// ---- JSON views (secrets never leave; platform economics only for platform admins) ----

json PolicyJson(const tenancy::ChangePolicy& policy) {
  json tiers = json::array();
  for (const auto& t : policy.fee_tiers) {
    tiers.push_back({{"within_hours", t.within_hours}, {"fee_cents", t.fee_cents}});
  }
  return {{"notice_hours", policy.notice_hours},
          {"monthly_limit", Opt(policy.monthly_limit)},
          {"fee_tiers", tiers}};
}

json ClosingDaysJson(const std::vector<tenancy::ClosingDays>& days) {
  json out = json::array();
  for (const auto& d : days) out.push_back({{"from", d.from}, {"to", d.to}, {"name", d.name}});
  return out;
}

json CompanyJson(const tenancy::Company& c, bool platform) {
  json out = {{"id", c.id.value},
              {"name", c.name},
              {"slug", c.slug},
              {"timezone", c.timezone},
              {"language", c.language},
              {"is_active", c.is_active},
              {"calcom_api_key_set", !c.calcom_api_key.empty()},
              {"retell_api_key_set", !c.retell_api_key.empty()},
              {"calcom_webhook_secret_set", !c.calcom_webhook_secret.empty()},
              {"vapi_secret_set", !c.vapi_secret.empty()},
              {"price_per_minute_cents", c.price_per_minute_cents},
              {"included_minutes", c.included_minutes},
              {"cancellation_policy", PolicyJson(c.cancellation_policy)},
              {"reschedule_policy", PolicyJson(c.reschedule_policy)},
              {"retention_days", c.retention_days},
              {"customer_retention_days", c.customer_retention_days},
              {"store_recordings", c.store_recordings},
              {"ai_disclosure", tenancy::AiDisclosureOf(c)},
              {"closing_days", ClosingDaysJson(c.closing_days)},
              {"created_at", Time(c.created_at)},
              {"updated_at", Time(c.updated_at)}};
  if (platform) {
    out["parent_company_id"] = OptId(c.parent_company_id);
    out["reseller_markup_percent"] = c.reseller_markup_percent;
  }
  return out;
}

json HoursJson(const tenancy::WeeklyHours& hours) {
  json out = json::object();
  for (int day = 0; day < 7; ++day) {
    const auto& h = hours[static_cast<std::size_t>(day)];
    if (!h) continue;
    out[std::string(tenancy::WeekdayKey(day))] = {tenancy::FormatClockMinutes(h->open_minute),
                                                  tenancy::FormatClockMinutes(h->close_minute)};
  }
  return out;
}

json BranchJson(const tenancy::Branch& b) {
  return {{"id", b.id.value},
          {"company_id", b.company_id.value},
          {"name", b.name},
          {"address", b.address},
          {"phone_e164", Opt(b.phone_e164)},
          {"timezone", b.timezone},
          {"business_hours", HoursJson(b.business_hours)},
          {"region", b.region},
          {"transfer_number", Opt(b.transfer_number)},
          {"closing_days", ClosingDaysJson(b.closing_days)},
          {"is_active", b.is_active},
          {"created_at", Time(b.created_at)},
          {"updated_at", Time(b.updated_at)}};
}

json ServiceJson(const tenancy::Service& s) {
  return {{"id", s.id.value},
          {"company_id", s.company_id.value},
          {"branch_id", OptId(s.branch_id)},
          {"name", s.name},
          {"synonyms", s.synonyms},
          {"duration_minutes", s.duration_minutes},
          {"price_cents", s.price_cents},
          {"calcom_event_type_id", Opt(s.calcom_event_type_id)},
          {"minimum_notice_minutes", s.minimum_notice_minutes},
          {"is_default", s.is_default},
          {"is_active", s.is_active},
          {"created_at", Time(s.created_at)},
          {"updated_at", Time(s.updated_at)}};
}

json PhoneNumberJson(const tenancy::PhoneNumber& n) {
  return {{"id", n.id.value},
          {"company_id", n.company_id.value},
          {"branch_id", OptId(n.branch_id)},
          {"number_e164", n.number_e164},
          {"retell_agent_id", Opt(n.retell_agent_id)},
          {"created_at", Time(n.created_at)},
          {"updated_at", Time(n.updated_at)}};
}

json CustomerJson(const tenancy::Customer& c) {
  return {{"id", c.id.value},
          {"company_id", c.company_id.value},
          {"name", c.name},
          {"phone_e164", c.phone_e164},
          {"email", Opt(c.email)},
          {"notes", c.notes},
          {"last_call_at", Time(c.last_call_at)},
          {"created_at", Time(c.created_at)},
          {"updated_at", Time(c.updated_at)}};
}

json CallJson(const CallSummary& c, bool platform) {
  json out = {{"id", c.id},
              {"branch_id", Opt(c.branch_id)},
              {"customer_id", Opt(c.customer_id)},
              {"retell_call_id", c.retell_call_id},
              {"direction", c.direction},
              {"from_number", c.from_number},
              {"to_number", c.to_number},
              {"status", c.status},
              {"started_at", Time(c.started_at)},
              {"ended_at", Time(c.ended_at)},
              {"duration_ms", Opt(c.duration_ms)},
              {"disconnection_reason", Opt(c.disconnection_reason)},
              {"summary", Opt(c.summary)},
              {"sentiment", Opt(c.sentiment)},
              {"call_successful", Opt(c.call_successful)},
              {"customer_cost_cents", Opt(c.customer_cost_cents)},
              {"created_at", Time(c.created_at)}};
  if (platform) {
    out["retell_cost_cents"] = Opt(c.retell_cost_cents);
    out["base_cost_cents"] = Opt(c.base_cost_cents);
    out["reseller_cost_cents"] = Opt(c.reseller_cost_cents);
    out["platform_profit_cents"] = Opt(c.platform_profit_cents);
    out["reseller_profit_cents"] = Opt(c.reseller_profit_cents);
    out["total_profit_cents"] = Opt(c.total_profit_cents);
  }
  return out;
}

json CallbackJson(const booking::CallbackQueueEntry& e) {
  const booking::CallbackRequest& r = e.request;
  return {{"id", r.id.value},
          {"branch_id", OptId(r.branch_id)},
          {"customer_id", OptId(r.customer_id)},
          {"call_id", OptId(r.call_id)},
          {"phone", r.phone.empty() ? json(nullptr) : json(r.phone)},
          {"name", r.name},
          {"reason", r.reason},
          {"status", r.status},
          {"due_at", Time(e.due)},
          {"overdue_at", Time(e.overdue_at)},
          {"overdue", e.overdue},
          {"created_at", Time(r.created_at)},
          {"updated_at", Time(r.updated_at)}};
}

json AppointmentJson(const AppointmentSummary& a) {
  return {{"id", a.id},
          {"branch_id", Opt(a.branch_id)},
          {"service_id", Opt(a.service_id)},
          {"customer_id", Opt(a.customer_id)},
          {"call_id", Opt(a.call_id)},
          {"starts_at", Time(a.starts_at)},
          {"ends_at", Time(a.ends_at)},
          {"timezone", a.timezone},
          {"status", a.status},
          {"source", a.source},
          {"calcom_booking_uid", Opt(a.calcom_booking_uid)},
          {"cancelled_at", Time(a.cancelled_at)},
          {"notes", a.notes},
          {"created_at", Time(a.created_at)}};
}

// ---- Allowlists (docs/admin-api.md mirrors them) ----

constexpr Writer kAny = Writer::kCompanyAdmin;
constexpr Writer kPlatform = Writer::kPlatformAdmin;

const Allowlist& CompanyFields() {
  static const Allowlist list{{{"name", kAny},
                               {"timezone", kAny},
                               {"language", kAny},
                               {"retention_days", kAny},
                               {"customer_retention_days", kAny},
                               {"store_recordings", kAny},
                               {"ai_disclosure", kAny},
                               {"closing_days", kAny},
                               {"slug", kPlatform},
                               {"parent_company_id", kPlatform},
                               {"reseller_markup_percent", kPlatform},
                               {"price_per_minute_cents", kPlatform},
                               {"included_minutes", kPlatform},
                               {"cancellation_policy", kPlatform},
                               {"reschedule_policy", kPlatform}},
                              {}};
  return list;
}

const Allowlist& CompanySecretFields() {
  static const Allowlist list{{{"calcom_api_key", kPlatform},
                               {"retell_api_key", kPlatform},
                               {"calcom_webhook_secret", kPlatform},
                               {"vapi_secret", kPlatform}},
                              {}};
  return list;
}

const Allowlist& BranchFields() {
  static const Allowlist list{{{"name"},
                               {"address"},
                               {"phone_e164"},
                               {"timezone"},
                               {"business_hours"},
                               {"region"},
                               {"transfer_number"},
                               {"closing_days"}},
                              {}};
  return list;
}

const Allowlist& ServiceFields() {
  static const Allowlist list{{{"name"},
                               {"branch_id"},
                               {"synonyms"},
                               {"duration_minutes"},
                               {"calcom_event_type_id"},
                               {"minimum_notice_minutes"},
                               {"is_default"},
                               {"price_cents", kPlatform}},
                              {}};
  return list;
}

const Allowlist& PhoneNumberCreateFields() {
  static const Allowlist list{
      {{"number_e164", kPlatform}, {"branch_id", kPlatform}, {"retell_agent_id", kPlatform}}, {}};
  return list;
}

const Allowlist& PhoneNumberUpdateFields() {
  static const Allowlist list{{{"branch_id"}, {"retell_agent_id", kPlatform}}, {"number_e164"}};
  return list;
}

const Allowlist& CustomerCreateFields() {
  static const Allowlist list{{{"phone_e164"}, {"name"}, {"email"}, {"notes"}}, {}};
  return list;
}

// Staff change only the status of a callback request; what the caller said stays as noted.
const Allowlist& CallbackUpdateFields() {
  static const Allowlist list{{{"status"}},
                              {"phone", "name", "reason", "due_at", "overdue_at", "overdue",
                               "branch_id", "customer_id", "call_id"}};
  return list;
}

const Allowlist& CustomerUpdateFields() {
  static const Allowlist list{{{"name"}, {"email"}, {"notes"}}, {"phone_e164"}};
  return list;
}

// ---- Field readers ----

bool ValidSlug(std::string_view slug) {
  if (slug.size() < 2 || slug.size() > 63 || slug.front() == '-' || slug.back() == '-') {
    return false;
  }
  for (char c : slug) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
  }
  return true;
}

constexpr std::string_view kLanguageProblem =
    "a language code such as \"de\" or \"de-AT\" whose language Cal.com supports for "
    "attendees (see docs/calcom.md)";

// A locale whose language Cal.com accepts for attendees (tenancy::CalendarLanguage).
bool ValidLanguage(std::string_view lang) { return tenancy::CalendarLanguage(lang).has_value(); }

std::optional<std::string> ReadTimeZone(FieldReader& fields, std::string_view key) {
  auto zone = fields.String(key, true, 64);
  if (zone && !IsValidTimeZone(*zone)) {
    fields.problems().Add(fields.Path(key), "unknown time zone");
    return std::nullopt;
  }
  return zone;
}

void ReadPolicy(FieldReader& fields, std::string_view key, tenancy::ChangePolicy& policy) {
  const json* object = fields.Object(key);
  if (object == nullptr) return;
  const std::string path = fields.Path(key);
  Problems& problems = fields.problems();
  CheckNestedKeys(*object, {"notice_hours", "monthly_limit", "fee_tiers"}, path, problems);
  FieldReader r(*object, problems, path);
  if (auto n = r.Int("notice_hours", 0, 24 * 365)) policy.notice_hours = static_cast<int>(*n);
  if (auto m = r.NullableInt("monthly_limit", 0, 1000)) {
    policy.monthly_limit = *m ? std::optional<int>(static_cast<int>(**m)) : std::optional<int>();
  }
  if (!r.Has("fee_tiers")) return;
  const json& tiers = (*object)["fee_tiers"];
  const std::string tiers_path = path + ".fee_tiers";
  if (!tiers.is_array() || tiers.size() > 10) {
    problems.Add(tiers_path, "must be an array of at most 10 tiers");
    return;
  }
  std::vector<tenancy::FeeTier> out;
  for (std::size_t i = 0; i < tiers.size(); ++i) {
    const std::string tier_path = tiers_path + "[" + std::to_string(i) + "]";
    if (!tiers[i].is_object()) {
      problems.Add(tier_path, "must be an object");
      continue;
    }
    CheckNestedKeys(tiers[i], {"within_hours", "fee_cents"}, tier_path, problems);
    FieldReader t(tiers[i], problems, tier_path);
    auto within = t.Int("within_hours", 0, 24 * 365);
    auto fee = t.Int("fee_cents", 0, 1'000'000);
    if (!t.Has("within_hours")) problems.Add(t.Path("within_hours"), "required");
    if (!t.Has("fee_cents")) problems.Add(t.Path("fee_cents"), "required");
    if (within && fee) out.push_back({static_cast<int>(*within), *fee});
  }
  policy.fee_tiers = std::move(out);
}

// business_hours replaces the whole week: days not named are closed.
void ReadHours(FieldReader& fields, std::string_view key, tenancy::WeeklyHours& hours) {
  const json* object = fields.Object(key);
  if (object == nullptr) return;
  const std::string path = fields.Path(key);
  tenancy::WeeklyHours out{};
  bool ok = true;
  for (const auto& [day_key, value] : object->items()) {
    const std::string day_path = path + "." + day_key;
    auto day = tenancy::ParseWeekdayKey(day_key);
    if (!day) {
      fields.problems().Add(day_path, "unknown weekday (use mon, tue, ..., sun)");
      ok = false;
      continue;
    }
    if (value.is_null()) continue;
    if (!value.is_array() || value.size() != 2 || !value[0].is_string() || !value[1].is_string()) {
      fields.problems().Add(day_path, "must be [\"HH:MM\", \"HH:MM\"] or null");
      ok = false;
      continue;
    }
    auto open = tenancy::ParseClockMinutes(value[0].get<std::string>());
    auto close = tenancy::ParseClockMinutes(value[1].get<std::string>());
    if (!open || !close || *open >= *close) {
      fields.problems().Add(day_path, "must be two times HH:MM, opening before closing");
      ok = false;
      continue;
    }
    out[static_cast<std::size_t>(*day)] = tenancy::OpeningHours{*open, *close};
  }
  if (ok) hours = out;
}

// closing_days replaces the whole list; null or [] clears it. Each entry is {"from": date,
// "to": date (default: from), "name": text (optional)} with ISO dates, from ≤ to.
void ReadClosingDays(FieldReader& fields, std::vector<tenancy::ClosingDays>& days) {
  constexpr std::string_view kKey = "closing_days";
  if (fields.IsNull(kKey)) {
    days.clear();
    return;
  }
  const json* list = fields.Array(kKey, tenancy::kMaxClosingDays);
  if (list == nullptr) return;
  std::vector<tenancy::ClosingDays> out;
  for (std::size_t i = 0; i < list->size(); ++i) {
    const std::string path = fields.Path(kKey) + "[" + std::to_string(i) + "]";
    const json& item = (*list)[i];
    if (!item.is_object()) {
      fields.problems().Add(path, R"(must be an object {"from", "to", "name"})");
      continue;
    }
    CheckNestedKeys(item, {"from", "to", "name"}, path, fields.problems());
    FieldReader entry(item, fields.problems(), path);
    if (!entry.Has("from")) {
      fields.problems().Add(entry.Path("from"), "required");
      continue;
    }
    auto from = entry.String("from", true, 40);
    auto to = entry.Has("to") && !entry.IsNull("to") ? entry.String("to", true, 40) : from;
    auto name = entry.NullableString("name", tenancy::kMaxClosingNameLength);
    if (!from || !to) continue;  // recorded
    tenancy::ClosingDays days_off{*from, *to, name && *name ? **name : std::string()};
    if (auto problem = tenancy::CheckClosingDays(days_off)) {
      fields.problems().Add(entry.Path(problem->field), problem->message);
      continue;
    }
    out.push_back(std::move(days_off));
  }
  days = std::move(out);  // only stored when no problem was recorded
}

// Data protection settings (docs/privacy.md): retention, recordings, the AI disclosure ("" or
// null restores the default sentence).
void ReadPrivacySettings(FieldReader& fields, tenancy::Company& company) {
  if (auto v = fields.Int("retention_days", 1, 3650)) company.retention_days = static_cast<int>(*v);
  if (auto v = fields.Int("customer_retention_days", 1, 36500)) {
    company.customer_retention_days = static_cast<int>(*v);
  }
  if (auto v = fields.Bool("store_recordings")) company.store_recordings = *v;
  if (auto v = fields.NullableString("ai_disclosure", 500)) company.ai_disclosure = v->value_or("");
}

std::optional<std::string> ReadPhone(FieldReader& fields, std::string_view key,
                                     const std::string& region) {
  auto text = fields.String(key, true, 40);
  if (!text) return std::nullopt;
  auto e164 = NormalizeE164(*text, region);
  if (!e164) {
    fields.problems().Add(fields.Path(key), "not a valid phone number");
    return std::nullopt;
  }
  return *e164;
}

void RequireFields(FieldReader& fields, std::initializer_list<std::string_view> keys) {
  for (auto key : keys) {
    if (!fields.Has(key)) fields.problems().Add(fields.Path(key), "required");
  }
}

// The company fields a body names, onto `company` (a new one, or the one stored); problems go to
// the reader's list.
void ApplyCompany(FieldReader& fields, tenancy::Company& company,
                  tenancy::CompanyRepository& companies) {
  Problems& problems = fields.problems();
  if (auto v = fields.Line("name", true, 200)) company.name = *v;
  if (auto v = fields.Line("slug", true, 63)) {
    if (ValidSlug(*v)) {
      company.slug = *v;
    } else {
      problems.Add("slug", "2-63 characters of a-z, 0-9 and '-'");
    }
  }
  if (auto v = ReadTimeZone(fields, "timezone")) company.timezone = *v;
  if (auto v = fields.String("language", true, 16)) {
    if (ValidLanguage(*v)) {
      company.language = *v;
    } else {
      problems.Add("language", std::string(kLanguageProblem));
    }
  }
  if (auto v = fields.NullableInt("parent_company_id", 1, INT64_MAX)) {
    if (!*v) {
      company.parent_company_id.reset();
    } else if (**v == company.id.value) {
      problems.Add("parent_company_id", "a company cannot be its own parent");
    } else if (auto parent = companies.FindById(CompanyId(**v)); parent) {
      company.parent_company_id = CompanyId(**v);
    } else {
      problems.Add("parent_company_id", "no such company");
    }
  }
  if (auto v = fields.Number("reseller_markup_percent", 0, 1000)) {
    company.reseller_markup_percent = *v;
  }
  if (auto v = fields.Int("price_per_minute_cents", 0, 100'000)) {
    company.price_per_minute_cents = *v;
  }
  if (auto v = fields.Int("included_minutes", 0, 10'000'000)) company.included_minutes = *v;
  ReadPolicy(fields, "cancellation_policy", company.cancellation_policy);
  ReadPolicy(fields, "reschedule_policy", company.reschedule_policy);
  ReadPrivacySettings(fields, company);
  ReadClosingDays(fields, company.closing_days);
}

}  // namespace

// ---- Plumbing ----

tl::expected<AdminApi::Scope, Response> AdminApi::Resolve(const Request& request, Access access,
                                                          std::optional<std::int64_t> company_id) {
  auto actor = auth::ActorOf(request);
  if (!actor) {
    return tl::unexpected(Response::Error(ErrorCode::kUnauthenticated, "authentication required"));
  }
  const auto id = company_id ? company_id : ParsePositiveId(request.RouteParam("company_id"));
  if (!id) return tl::unexpected(NotFound("company"));
  // BOLA: another company's id answers exactly like a missing one.
  if (actor->role != Role::kPlatformAdmin &&
      (!actor->company_id || actor->company_id->value != *id)) {
    return tl::unexpected(NotFound("company"));
  }
  if (access == Access::kWrite && actor->role == Role::kViewer) {
    return tl::unexpected(
        Response::Error(ErrorCode::kPermissionDenied, "viewers have read-only access"));
  }
  auto company = companies_.FindById(CompanyId(*id));
  if (!company) return tl::unexpected(RepoError(company.error(), "company"));
  return Scope{*actor, std::move(*company)};
}

namespace {

// Reads of personal data that the audit log records besides every write.
bool ReadsPersonalData(std::string_view action) {
  return action == "customers.list" || action == "customers.get" || action == "calls.list" ||
         action == "appointments.list" || action == "callbacks.list";
}

// "customer:7", "service:3", ... from the most specific id in the route, else "company:<id>".
std::string AuditTarget(const Request& request) {
  for (const auto& [param, kind] :
       {std::pair{"customer_id", "customer"}, std::pair{"callback_id", "callback"},
        std::pair{"phone_number_id", "phone_number"}, std::pair{"service_id", "service"},
        std::pair{"branch_id", "branch"}}) {
    if (auto id = request.RouteParam(param)) return std::string(kind) + ":" + std::string(*id);
  }
  if (auto id = request.RouteParam("company_id")) return "company:" + std::string(*id);
  return {};
}

// The names of the fields a write body carried (never their values).
std::string BodyFields(const Request& request) {
  const json body = json::parse(request.body, nullptr, false);
  if (!body.is_object()) return {};
  std::string out;
  for (const auto& [key, unused] : body.items()) out += (out.empty() ? "" : ",") + key;
  return out.empty() ? std::string() : "fields=" + out;
}

}  // namespace

Response AdminApi::Counted(std::string_view action, const Request& request, Response response) {
  const bool write = !IsReadMethod(request.method);
  if (response.status < 300 && (write || ReadsPersonalData(action)) &&
      !action.starts_with("privacy.")) {
    if (auto actor = auth::ActorOf(request)) {
      std::optional<std::int64_t> company_id = ParsePositiveId(request.RouteParam("company_id"));
      if (!company_id && actor->company_id) company_id = actor->company_id->value;
      const bool recorded = privacy::AppendOrLog(
          audit_, {0,
                   company_id,
                   privacy::UserActor(actor->user_id.value),
                   std::string(action),
                   AuditTarget(request),
                   write ? BodyFields(request) : std::string(),
                   request.request_id.empty() ? std::nullopt
                                              : std::optional<std::string>(request.request_id),
                   {}});
      // A read of personal data is answered only once its access is on record. (A write is
      // done already: its answer stands, the failure is logged.)
      if (!recorded && !write) {
        response =
            Response::Error(ErrorCode::kUnavailable, "the access could not be recorded; try again");
      }
    }
  }
  const int s = response.status;
  const char* outcome = s < 300    ? "ok"
                        : s == 401 ? "unauthenticated"
                        : s == 403 ? "forbidden"
                        : s == 404 ? "not_found"
                        : s == 409 ? "conflict"
                        : s == 422 ? "rejected"
                        : s >= 500 ? "error"
                                   : "client_error";
  metrics_.Increment(kRequestsMetric, {{"action", std::string(action)}, {"outcome", outcome}});
  if (s == 422) {
    // Mass-assignment attempts and bad input are worth a line; the body is not logged.
    observability::LogInfo("admin_request_rejected", {{"action", action}});
  }
  return response;
}

Response AdminApi::Me(Request& request) {
  auto actor = auth::ActorOf(request);
  if (!actor) return Response::Error(ErrorCode::kUnauthenticated, "authentication required");
  return Response::Json(200, {{"user_id", actor->user_id.value},
                              {"role", auth::RoleName(actor->role)},
                              {"company_id", OptId(actor->company_id)}});
}

// ---- Companies ----

Response AdminApi::ListCompanies(Request& request) {
  return Counted("companies.list", request, [&]() -> Response {
    auto actor = auth::ActorOf(request);
    if (!actor) return Response::Error(ErrorCode::kUnauthenticated, "authentication required");
    const bool platform = actor->role == Role::kPlatformAdmin;
    json items = json::array();
    if (platform) {
      auto all = companies_.List();
      if (!all) return Response::Error(all.error());
      for (const auto& c : *all) items.push_back(CompanyJson(c, true));
    } else {
      auto own = companies_.FindById(*actor->company_id);
      if (!own) return RepoError(own.error(), "company");
      items.push_back(CompanyJson(*own, false));
    }
    return Response::Json(200, {{"items", items}});
  }());
}

Response AdminApi::CreateCompany(Request& request) {
  return Counted("companies.create", request, [&]() -> Response {
    auto actor = auth::ActorOf(request);
    if (!actor || actor->role != Role::kPlatformAdmin) {
      return Response::Error(ErrorCode::kPermissionDenied, "platform admins only");
    }
    auto body = ParseBody(request.body, CompanyFields(), true);
    if (!body) return BodyErrorResponse(body.error(), request);
    Problems problems;
    FieldReader fields(*body, problems);
    RequireFields(fields, {"name", "slug"});
    tenancy::Company company;
    ApplyCompany(fields, company, companies_);
    if (!problems.empty()) return BodyErrorResponse(problems.ToError(), request);
    auto created = companies_.Create(company);
    if (!created) {
      if (created.error().code == ErrorCode::kAlreadyExists) {
        return Response::Error(ErrorCode::kAlreadyExists, "slug: a company with this slug exists");
      }
      return Response::Error(created.error());
    }
    return Response::Json(201, CompanyJson(*created, true));
  }());
}

Response AdminApi::GetCompany(Request& request) {
  return Counted("companies.get", request, [&]() -> Response {
    auto scope = Resolve(request, Access::kRead);
    if (!scope) return scope.error();
    return Response::Json(200, CompanyJson(scope->company, scope->platform()));
  }());
}

Response AdminApi::UpdateCompany(Request& request) {
  return Counted("companies.update", request, [&]() -> Response {
    auto scope = Resolve(request, Access::kWrite);
    if (!scope) return scope.error();
    auto body = ParseBody(request.body, CompanyFields(), scope->platform());
    if (!body) return BodyErrorResponse(body.error(), request);
    // Checked on the copy read above, without a lock; then applied to the company as stored, so a
    // field the body does not name keeps what another request wrote meanwhile (activation,
    // keys), not that copy.
    Problems problems;
    {
      FieldReader fields(*body, problems);
      tenancy::Company checked = scope->company;
      ApplyCompany(fields, checked, companies_);
    }
    if (!problems.empty()) return BodyErrorResponse(problems.ToError(), request);
    auto updated = companies_.Update(scope->company.id, [&](tenancy::Company& company) -> Status {
      FieldReader fields(*body, problems);
      ApplyCompany(fields, company, companies_);  // a parent may have gone meanwhile
      if (!problems.empty()) return Fail(ErrorCode::kInvalidArgument, "body");
      return Ok();
    });
    if (!problems.empty()) return BodyErrorResponse(problems.ToError(), request);
    if (!updated) {
      if (updated.error().code == ErrorCode::kAlreadyExists) {
        return Response::Error(ErrorCode::kAlreadyExists, "slug: a company with this slug exists");
      }
      return RepoError(updated.error(), "company");
    }
    return Response::Json(200, CompanyJson(*updated, scope->platform()));
  }());
}

Response AdminApi::SetCompanyActive(Request& request, bool active) {
  return Counted(
      active ? "companies.activate" : "companies.deactivate", request, [&]() -> Response {
        auto scope = Resolve(request, Access::kWrite);
        if (!scope) return scope.error();
        if (!scope->platform()) {
          return Response::Error(ErrorCode::kPermissionDenied, "platform admins only");
        }
        auto updated = companies_.Update(scope->company.id, [&](tenancy::Company& company) {
          company.is_active = active;
          return Ok();
        });
        if (!updated) return RepoError(updated.error(), "company");
        return Response::Json(200, CompanyJson(*updated, true));
      }());
}

Response AdminApi::SetCompanySecrets(Request& request) {
  return Counted("companies.secrets", request, [&]() -> Response {
    auto scope = Resolve(request, Access::kWrite);
    if (!scope) return scope.error();
    if (!scope->platform()) {
      return Response::Error(ErrorCode::kPermissionDenied, "platform admins only");
    }
    auto body = ParseBody(request.body, CompanySecretFields(), true);
    if (!body) return BodyErrorResponse(body.error(), request);
    Problems problems;
    FieldReader fields(*body, problems);
    // Only the keys the body names are written, onto the company as stored.
    std::optional<Secret> calcom_api_key, retell_api_key, calcom_webhook_secret, vapi_secret;
    // A string sets the key; null or "" removes it (the platform key applies again).
    if (auto v = fields.NullableString("calcom_api_key", 512)) {
      calcom_api_key = Secret(v->value_or(""));
    }
    if (auto v = fields.NullableString("retell_api_key", 512)) {
      retell_api_key = Secret(v->value_or(""));
    }
    if (auto v = fields.NullableString("calcom_webhook_secret", 512)) {
      calcom_webhook_secret = Secret(v->value_or(""));
    }
    if (auto v = fields.NullableString("vapi_secret", 512)) vapi_secret = Secret(v->value_or(""));
    if (!problems.empty()) return BodyErrorResponse(problems.ToError(), request);
    auto updated = companies_.Update(scope->company.id, [&](tenancy::Company& company) {
      if (calcom_api_key) company.calcom_api_key = *calcom_api_key;
      if (retell_api_key) company.retell_api_key = *retell_api_key;
      if (calcom_webhook_secret) company.calcom_webhook_secret = *calcom_webhook_secret;
      if (vapi_secret) company.vapi_secret = *vapi_secret;
      return Ok();
    });
    if (!updated) return RepoError(updated.error(), "company");
    observability::LogInfo("company_secrets_changed",
                           {{"company_id", updated->id.value},
                            {"user_id", scope->actor.user_id.value},
                            {"calcom_api_key_set", !updated->calcom_api_key.empty()},
                            {"retell_api_key_set", !updated->retell_api_key.empty()},
                            {"calcom_webhook_secret_set", !updated->calcom_webhook_secret.empty()},
                            {"vapi_secret_set", !updated->vapi_secret.empty()}});
    return Response::Json(200,
                          {{"calcom_api_key_set", !updated->calcom_api_key.empty()},
                           {"retell_api_key_set", !updated->retell_api_key.empty()},
                           {"calcom_webhook_secret_set", !updated->calcom_webhook_secret.empty()},
                           {"vapi_secret_set", !updated->vapi_secret.empty()}});
  }());
}

// ---- Branches ----

Response AdminApi::ListBranches(Request& request) {
  return Counted("branches.list", request, [&]() -> Response {
    auto scope = Resolve(request, Access::kRead);
    if (!scope) return scope.error();
    auto list = branches_.ListForCompany(scope->company.id);
    if (!list) return Response::Error(list.error());
    json items = json::array();
    for (const auto& b : *list) items.push_back(BranchJson(b));
    return Response::Json(200, {{"items", items}});
  }());
}

namespace {
void ApplyBranch(FieldReader& fields, tenancy::Branch& branch, const std::string& region) {
  if (auto v = fields.Line("name", true, 200)) branch.name = *v;
  if (auto v = fields.Line("address", false, 500)) branch.address = *v;
  if (fields.IsNull("phone_e164")) {
    branch.phone_e164.reset();
  } else if (auto v = ReadPhone(fields, "phone_e164", region)) {
    branch.phone_e164 = *v;
  }
  if (auto v = ReadTimeZone(fields, "timezone")) branch.timezone = *v;
  ReadHours(fields, "business_hours", branch.business_hours);
  ReadClosingDays(fields, branch.closing_days);
  // Where the agent hands a caller to a person during opening hours; null clears it.
  if (fields.IsNull("transfer_number")) {
    branch.transfer_number.reset();
  } else if (auto v = ReadPhone(fields, "transfer_number", region)) {
    branch.transfer_number = *v;
  }
  // The Bundesland whose public holidays the branch keeps; null or "" = nationwide only.
  if (auto v = fields.NullableString("region", 64)) {
    const std::string region_code = v->value_or("");
    if (tenancy::IsBranchRegion(region_code)) {
      branch.region = region_code;
    } else {
      fields.problems().Add(
          fields.Path("region"),
          "must be a Bundesland code (" + std::string(tenancy::kBranchRegionCodes) + ") or empty");
    }
  }
}
}  // namespace

Response AdminApi::CreateBranch(Request& request) {
  return Counted("branches.create", request, [&]() -> Response {
    auto scope = Resolve(request, Access::kWrite);
    if (!scope) return scope.error();
    auto body = ParseBody(request.body, BranchFields(), scope->platform());
    if (!body) return BodyErrorResponse(body.error(), request);
    Problems problems;
    FieldReader fields(*body, problems);
    RequireFields(fields, {"name"});
    tenancy::Branch branch;
    branch.timezone = scope->company.timezone;
    ApplyBranch(fields, branch, settings_.phone_region);
    if (!problems.empty()) return BodyErrorResponse(problems.ToError(), request);
    auto created = branches_.Create(scope->company.id, branch);
    if (!created) {
      if (created.error().code == ErrorCode::kAlreadyExists) {
        return Response::Error(ErrorCode::kAlreadyExists, "name: a branch with this name exists");
      }
      return RepoError(created.error(), "company");
    }
    return Response::Json(201, BranchJson(*created));
  }());
}

Response AdminApi::GetBranch(Request& request) {
  return Counted("branches.get", request, [&]() -> Response {
    auto scope = Resolve(request, Access::kRead);
    if (!scope) return scope.error();
    auto id = ParsePositiveId(request.RouteParam("branch_id"));
    if (!id) return NotFound("branch");
    auto branch = branches_.FindById(scope->company.id, BranchId(*id));
    if (!branch) return RepoError(branch.error(), "branch");
    return Response::Json(200, BranchJson(*branch));
  }());
}

Response AdminApi::UpdateBranch(Request& request) {
  return Counted("branches.update", request, [&]() -> Response {
    auto scope = Resolve(request, Access::kWrite);
    if (!scope) return scope.error();
    auto id = ParsePositiveId(request.RouteParam("branch_id"));
    if (!id) return NotFound("branch");
    auto branch = branches_.FindById(scope->company.id, BranchId(*id));
    if (!branch) return RepoError(branch.error(), "branch");
    auto body = ParseBody(request.body, BranchFields(), scope->platform());
    if (!body) return BodyErrorResponse(body.error(), request);
    Problems problems;
    FieldReader fields(*body, problems);
    ApplyBranch(fields, *branch, settings_.phone_region);
    if (!problems.empty()) return BodyErrorResponse(problems.ToError(), request);
    // Checked above on the copy read; written onto the branch as stored (the body read again),
    // so a field it does not name keeps what another request wrote meanwhile.
    auto updated = branches_.Update(scope->company.id, branch->id, [&](tenancy::Branch& stored) {
      Problems again;
      FieldReader fields_again(*body, again);
      ApplyBranch(fields_again, stored, settings_.phone_region);
      return Ok();
    });
    if (!updated) {
      if (updated.error().code == ErrorCode::kAlreadyExists) {
        return Response::Error(ErrorCode::kAlreadyExists, "name: a branch with this name exists");
      }
      return RepoError(updated.error(), "branch");
    }
    return Response::Json(200, BranchJson(*updated));
  }());
}

Response AdminApi::SetBranchActive(Request& request, bool active) {
  return Counted(active ? "branches.activate" : "branches.deactivate", request, [&]() -> Response {
    auto scope = Resolve(request, Access::kWrite);
    if (!scope) return scope.error();
    auto id = ParsePositiveId(request.RouteParam("branch_id"));
    if (!id) return NotFound("branch");
    auto updated = branches_.Update(scope->company.id, BranchId(*id), [&](tenancy::Branch& stored) {
      stored.is_active = active;
      return Ok();
    });
    if (!updated) return RepoError(updated.error(), "branch");
    return Response::Json(200, BranchJson(*updated));
  }());
}

// ---- Services ----

namespace {
void ApplyService(FieldReader& fields, tenancy::Service& service) {
  if (auto v = fields.Line("name", true, 200)) service.name = *v;
  if (auto v = fields.NullableInt("branch_id", 1, INT64_MAX)) {
    service.branch_id = *v ? std::optional<BranchId>(BranchId(**v)) : std::nullopt;
  }
  if (auto v = fields.StringList("synonyms", 50, 100)) service.synonyms = *v;
  if (auto v = fields.Int("duration_minutes", 1, 24 * 60)) {
    service.duration_minutes = static_cast<int>(*v);
  }
  if (auto v = fields.Int("price_cents", 0, 10'000'000)) service.price_cents = *v;
  if (auto v = fields.NullableInt("calcom_event_type_id", 1, INT64_MAX)) {
    service.calcom_event_type_id = *v;
  }
  if (auto v = fields.Int("minimum_notice_minutes", 0, 60 * 24 * 60)) {
    service.minimum_notice_minutes = static_cast<int>(*v);
  }
  if (auto v = fields.Bool("is_default")) service.is_default = *v;
}
}  // namespace

Status AdminApi::CheckEventTypeInAccount(const tenancy::Company& company,
                                         const tenancy::Service& service, Problems& problems) {
  if (!service.calcom_event_type_id || !settings_.account_event_types) return Ok();
  auto ids = settings_.account_event_types(company);
  if (!ids) {
    observability::LogWarn("event_type_unverified",
                           {{"company_id", company.id.value},
                            {"event_type_id", *service.calcom_event_type_id},
                            {"error", std::string(ErrorCodeName(ids.error().code))}});
    return Fail(ErrorCode::kUnavailable,
                "the event type could not be checked against the company's Cal.com account "
                "now; try again shortly");
  }
  const auto type = std::find_if(ids->begin(), ids->end(), [&](const AccountEventType& t) {
    return t.id == *service.calcom_event_type_id;
  });
  if (type == ids->end()) {
    problems.Add("calcom_event_type_id", "is not an event type of the company's Cal.com account");
  } else if (type->recurring) {
    problems.Add("calcom_event_type_id",
                 "is a recurring event type (Cal.com would book a whole series); phone bookings "
                 "make single appointments, so choose an event type without recurrence");
  }
  return Ok();
}

Response AdminApi::ListServices(Request& request) {
  return Counted("services.list", request, [&]() -> Response {
    auto scope = Resolve(request, Access::kRead);
    if (!scope) return scope.error();
    auto list = services_.ListForCompany(scope->company.id);
    if (!list) return Response::Error(list.error());
    json items = json::array();
    for (const auto& s : *list) items.push_back(ServiceJson(s));
    return Response::Json(200, {{"items", items}});
  }());
}

Response AdminApi::CreateService(Request& request) {
  return Counted("services.create", request, [&]() -> Response {
    auto scope = Resolve(request, Access::kWrite);
    if (!scope) return scope.error();
    auto body = ParseBody(request.body, ServiceFields(), scope->platform());
    if (!body) return BodyErrorResponse(body.error(), request);
    Problems problems;
    FieldReader fields(*body, problems);
    RequireFields(fields, {"name"});
    tenancy::Service service;
    ApplyService(fields, service);
    if (service.branch_id && !branches_.FindById(scope->company.id, *service.branch_id)) {
      problems.Add("branch_id", "no such branch");
    }
    if (auto checked = CheckEventTypeInAccount(scope->company, service, problems); !checked) {
      return Response::Error(checked.error());
    }
    if (!problems.empty()) return BodyErrorResponse(problems.ToError(), request);
    auto created = services_.Create(scope->company.id, service);
    if (!created && created.error().code == ErrorCode::kConflict) {
      return Invalid(request, "calcom_event_type_id", created.error().message);
    }
    if (!created) return RepoError(created.error(), "company");
    return Response::Json(201, ServiceJson(*created));
  }());
}

Response AdminApi::GetService(Request& request) {
  return Counted("services.get", request, [&]() -> Response {
    auto scope = Resolve(request, Access::kRead);
    if (!scope) return scope.error();
    auto id = ParsePositiveId(request.RouteParam("service_id"));
    if (!id) return NotFound("service");
    auto service = services_.FindById(scope->company.id, ServiceId(*id));
    if (!service) return RepoError(service.error(), "service");
    return Response::Json(200, ServiceJson(*service));
  }());
}

Response AdminApi::UpdateService(Request& request) {
  return Counted("services.update", request, [&]() -> Response {
    auto scope = Resolve(request, Access::kWrite);
    if (!scope) return scope.error();
    auto id = ParsePositiveId(request.RouteParam("service_id"));
    if (!id) return NotFound("service");
    auto service = services_.FindById(scope->company.id, ServiceId(*id));
    if (!service) return RepoError(service.error(), "service");
    auto body = ParseBody(request.body, ServiceFields(), scope->platform());
    if (!body) return BodyErrorResponse(body.error(), request);
    Problems problems;
    FieldReader fields(*body, problems);
    ApplyService(fields, *service);
    if (fields.Has("branch_id") && service->branch_id &&
        !branches_.FindById(scope->company.id, *service->branch_id)) {
      problems.Add("branch_id", "no such branch");
    }
    if (fields.Has("calcom_event_type_id")) {
      if (auto checked = CheckEventTypeInAccount(scope->company, *service, problems); !checked) {
        return Response::Error(checked.error());
      }
    }
    if (!problems.empty()) return BodyErrorResponse(problems.ToError(), request);
    // Checked above on the copy read (Cal.com asked outside the write); written onto the
    // service as stored, so a field the body does not name keeps what another request wrote
    // meanwhile.
    auto updated = services_.Update(scope->company.id, service->id, [&](tenancy::Service& stored) {
      Problems again;
      FieldReader fields_again(*body, again);
      ApplyService(fields_again, stored);
      return Ok();
    });
    if (!updated && updated.error().code == ErrorCode::kConflict) {
      return Invalid(request, "calcom_event_type_id", updated.error().message);
    }
    if (!updated) return RepoError(updated.error(), "service");
    return Response::Json(200, ServiceJson(*updated));
  }());
}

Response AdminApi::SetServiceActive(Request& request, bool active) {
  return Counted(active ? "services.activate" : "services.deactivate", request, [&]() -> Response {
    auto scope = Resolve(request, Access::kWrite);
    if (!scope) return scope.error();
    auto id = ParsePositiveId(request.RouteParam("service_id"));
    if (!id) return NotFound("service");
    auto updated =
        services_.Update(scope->company.id, ServiceId(*id), [&](tenancy::Service& stored) {
          stored.is_active = active;
          return Ok();
        });
    if (!updated && updated.error().code == ErrorCode::kConflict) {
      return Invalid(request, "calcom_event_type_id", updated.error().message);
    }
    if (!updated) return RepoError(updated.error(), "service");
    return Response::Json(200, ServiceJson(*updated));
  }());
}

// ---- Phone numbers ----

Response AdminApi::ListPhoneNumbers(Request& request) {
  return Counted("phone_numbers.list", request, [&]() -> Response {
    auto scope = Resolve(request, Access::kRead);
    if (!scope) return scope.error();
    auto list = numbers_.ListForCompany(scope->company.id);
    if (!list) return Response::Error(list.error());
    json items = json::array();
    for (const auto& n : *list) items.push_back(PhoneNumberJson(n));
    return Response::Json(200, {{"items", items}});
  }());
}

Response AdminApi::CreatePhoneNumber(Request& request) {
  return Counted("phone_numbers.create", request, [&]() -> Response {
    auto scope = Resolve(request, Access::kWrite);
    if (!scope) return scope.error();
    // The number is the tenant router: only the operator, who verified that the company owns
    // it, may point it at a company.
    if (!scope->platform()) {
      return Response::Error(ErrorCode::kPermissionDenied, "platform admins only");
    }
    auto body = ParseBody(request.body, PhoneNumberCreateFields(), true);
    if (!body) return BodyErrorResponse(body.error(), request);
    Problems problems;
    FieldReader fields(*body, problems);
    RequireFields(fields, {"number_e164"});
    tenancy::PhoneNumber number;
    if (auto v = ReadPhone(fields, "number_e164", settings_.phone_region)) number.number_e164 = *v;
    if (auto v = fields.NullableInt("branch_id", 1, INT64_MAX)) {
      if (*v) {
        number.branch_id = BranchId(**v);
        if (!branches_.FindById(scope->company.id, *number.branch_id)) {
          problems.Add("branch_id", "no such branch");
        }
      }
    }
    if (auto v = fields.NullableString("retell_agent_id", 128)) number.retell_agent_id = *v;
    if (!problems.empty()) return BodyErrorResponse(problems.ToError(), request);
    auto created = numbers_.Create(scope->company.id, number);
    if (!created) {
      if (created.error().code == ErrorCode::kAlreadyExists) {
        return Response::Error(ErrorCode::kAlreadyExists, "number_e164: already registered");
      }
      return RepoError(created.error(), "company");
    }
    return Response::Json(201, PhoneNumberJson(*created));
  }());
}

Response AdminApi::GetPhoneNumber(Request& request) {
  return Counted("phone_numbers.get", request, [&]() -> Response {
    auto scope = Resolve(request, Access::kRead);
    if (!scope) return scope.error();
    auto id = ParsePositiveId(request.RouteParam("phone_number_id"));
    if (!id) return NotFound("phone number");
    auto number = numbers_.FindById(scope->company.id, PhoneNumberId(*id));
    if (!number) return RepoError(number.error(), "phone number");
    return Response::Json(200, PhoneNumberJson(*number));
  }());
}

Response AdminApi::UpdatePhoneNumber(Request& request) {
  return Counted("phone_numbers.update", request, [&]() -> Response {
    auto scope = Resolve(request, Access::kWrite);
    if (!scope) return scope.error();
    auto id = ParsePositiveId(request.RouteParam("phone_number_id"));
    if (!id) return NotFound("phone number");
    auto number = numbers_.FindById(scope->company.id, PhoneNumberId(*id));
    if (!number) return RepoError(number.error(), "phone number");
    auto body = ParseBody(request.body, PhoneNumberUpdateFields(), scope->platform());
    if (!body) return BodyErrorResponse(body.error(), request);
    Problems problems;
    FieldReader fields(*body, problems);
    if (auto v = fields.NullableInt("branch_id", 1, INT64_MAX)) {
      number->branch_id = *v ? std::optional<BranchId>(BranchId(**v)) : std::nullopt;
      if (number->branch_id && !branches_.FindById(scope->company.id, *number->branch_id)) {
        problems.Add("branch_id", "no such branch");
      }
    }
    if (auto v = fields.NullableString("retell_agent_id", 128)) number->retell_agent_id = *v;
    if (!problems.empty()) return BodyErrorResponse(problems.ToError(), request);
    if (auto saved = store_.UpdatePhoneNumber(scope->company.id, *number); !saved) {
      return RepoError(saved.error(), "phone number");
    }
    auto updated = numbers_.FindById(scope->company.id, number->id);
    if (!updated) return RepoError(updated.error(), "phone number");
    return Response::Json(200, PhoneNumberJson(*updated));
  }());
}

Response AdminApi::DeletePhoneNumber(Request& request) {
  return Counted("phone_numbers.delete", request, [&]() -> Response {
    auto scope = Resolve(request, Access::kWrite);
    if (!scope) return scope.error();
    if (!scope->platform()) {
      return Response::Error(ErrorCode::kPermissionDenied, "platform admins only");
    }
    auto id = ParsePositiveId(request.RouteParam("phone_number_id"));
    if (!id) return NotFound("phone number");
    if (auto deleted = store_.DeletePhoneNumber(scope->company.id, PhoneNumberId(*id)); !deleted) {
      return RepoError(deleted.error(), "phone number");
    }
    return Response::NoContent();
  }());
}

// ---- Customers ----

namespace {
std::optional<std::string> ReadEmail(FieldReader& fields) {
  auto v = fields.String("email", false, 254);
  if (!v) return std::nullopt;
  if (v->empty()) return std::string();
  auto email = auth::NormalizeEmail(*v);
  if (!email) {
    fields.problems().Add("email", "not a valid e-mail address");
    return std::nullopt;
  }
  return *email;
}
}  // namespace

Response AdminApi::ListCustomers(Request& request) {
  return Counted("customers.list", request, [&]() -> Response {
    auto scope = Resolve(request, Access::kRead);
    if (!scope) return scope.error();
    auto list = customers_.ListForCompany(scope->company.id);
    if (!list) return Response::Error(list.error());
    json items = json::array();
    for (const auto& c : *list) items.push_back(CustomerJson(c));
    return Response::Json(200, {{"items", items}});
  }());
}

Response AdminApi::CreateCustomer(Request& request) {
  return Counted("customers.create", request, [&]() -> Response {
    auto scope = Resolve(request, Access::kWrite);
    if (!scope) return scope.error();
    auto body = ParseBody(request.body, CustomerCreateFields(), scope->platform());
    if (!body) return BodyErrorResponse(body.error(), request);
    Problems problems;
    FieldReader fields(*body, problems);
    RequireFields(fields, {"phone_e164"});
    tenancy::Customer customer;
    if (auto v = ReadPhone(fields, "phone_e164", settings_.phone_region)) {
      customer.phone_e164 = *v;
    }
    if (auto v = fields.String("name", false, 200)) customer.name = *v;
    if (auto v = ReadEmail(fields); v && !v->empty()) customer.email = *v;
    if (auto v = fields.String("notes", false, 2000)) customer.notes = *v;
    if (!problems.empty()) return BodyErrorResponse(problems.ToError(), request);
    auto created = customers_.Create(scope->company.id, customer);
    if (!created) {
      if (created.error().code == ErrorCode::kAlreadyExists) {
        return Response::Error(ErrorCode::kAlreadyExists,
                               "phone_e164: a customer with this number exists");
      }
      return RepoError(created.error(), "company");
    }
    return Response::Json(201, CustomerJson(*created));
  }());
}

Response AdminApi::GetCustomer(Request& request) {
  return Counted("customers.get", request, [&]() -> Response {
    auto scope = Resolve(request, Access::kRead);
    if (!scope) return scope.error();
    auto id = ParsePositiveId(request.RouteParam("customer_id"));
    if (!id) return NotFound("customer");
    auto customer = customers_.FindById(scope->company.id, CustomerId(*id));
    if (!customer) return RepoError(customer.error(), "customer");
    return Response::Json(200, CustomerJson(*customer));
  }());
}

Response AdminApi::UpdateCustomer(Request& request) {
  return Counted("customers.update", request, [&]() -> Response {
    auto scope = Resolve(request, Access::kWrite);
    if (!scope) return scope.error();
    auto id = ParsePositiveId(request.RouteParam("customer_id"));
    if (!id) return NotFound("customer");
    auto customer = customers_.FindById(scope->company.id, CustomerId(*id));
    if (!customer) return RepoError(customer.error(), "customer");
    auto body = ParseBody(request.body, CustomerUpdateFields(), scope->platform());
    if (!body) return BodyErrorResponse(body.error(), request);
    Problems problems;
    FieldReader fields(*body, problems);
    tenancy::CustomerDetails details;
    details.phone_e164 = customer->phone_e164;  // the key; not writable
    if (auto v = fields.String("name", false, 200)) details.name = *v;
    if (auto v = ReadEmail(fields)) details.email = *v;
    if (auto v = fields.String("notes", false, 2000)) details.notes = *v;
    if (!problems.empty()) return BodyErrorResponse(problems.ToError(), request);
    auto updated = customers_.Upsert(scope->company.id, details);
    if (!updated) return RepoError(updated.error(), "customer");
    return Response::Json(200, CustomerJson(*updated));
  }());
}

// ---- Calls and appointments (read-only) ----

namespace {
// ?limit=1..200 (default 50) &before_id=N
tl::expected<PageRequest, Response> ReadPage(const Request& request) {
  PageRequest page;
  if (auto limit = request.QueryParam("limit")) {
    auto n = ParsePositiveId(*limit);
    if (!n || *n > 200) return tl::unexpected(Invalid(request, "limit", "between 1 and 200"));
    page.limit = static_cast<int>(*n);
  }
  if (auto before = request.QueryParam("before_id")) {
    auto n = ParsePositiveId(*before);
    if (!n) return tl::unexpected(Invalid(request, "before_id", "a positive id"));
    page.before_id = *n;
  }
  return page;
}

template <typename Row, typename ToJson>
json Paged(const std::vector<Row>& rows, const PageRequest& page, ToJson to_json) {
  json items = json::array();
  for (const auto& row : rows) items.push_back(to_json(row));
  json next = nullptr;
  if (!rows.empty() && static_cast<int>(rows.size()) == page.limit) next = rows.back().id;
  return {{"items", items}, {"next_before_id", next}};
}
}  // namespace

Response AdminApi::ListCalls(Request& request) {
  return Counted("calls.list", request, [&]() -> Response {
    auto scope = Resolve(request, Access::kRead);
    if (!scope) return scope.error();
    auto page = ReadPage(request);
    if (!page) return page.error();
    auto rows = store_.ListCalls(scope->company.id, *page);
    if (!rows) return Response::Error(rows.error());
    const bool platform = scope->platform();
    return Response::Json(
        200, Paged(*rows, *page, [&](const CallSummary& c) { return CallJson(c, platform); }));
  }());
}

Response AdminApi::ListAppointments(Request& request) {
  return Counted("appointments.list", request, [&]() -> Response {
    auto scope = Resolve(request, Access::kRead);
    if (!scope) return scope.error();
    auto page = ReadPage(request);
    if (!page) return page.error();
    auto rows = store_.ListAppointments(scope->company.id, *page);
    if (!rows) return Response::Error(rows.error());
    return Response::Json(200, Paged(*rows, *page, AppointmentJson));
  }());
}

// ---- Callback queue ----

Response AdminApi::ListCallbacks(Request& request) {
  return Counted("callbacks.list", request, [&]() -> Response {
    auto scope = Resolve(request, Access::kRead);
    if (!scope) return scope.error();
    booking::CallbackQueueQuery query;
    if (auto status = request.QueryParam("status")) {
      auto filter = booking::ParseCallbackFilter(*status);
      if (!filter) {
        return Invalid(request, "status",
                       "one of open, overdue, in_progress, completed, cancelled, active, all");
      }
      query.filter = *filter;
    }
    if (auto limit = request.QueryParam("limit")) {
      auto n = ParsePositiveId(*limit);
      if (!n || *n > 200) return Invalid(request, "limit", "between 1 and 200");
      query.limit = static_cast<int>(*n);
    }
    if (auto branch = request.QueryParam("branch_id")) {
      auto id = ParsePositiveId(*branch);
      if (!id) return Invalid(request, "branch_id", "a positive id");
      auto found = branches_.FindById(scope->company.id, BranchId(*id));
      if (!found) return RepoError(found.error(), "branch");
      query.branch_id = found->id;
    }
    if (auto after = request.QueryParam("after_id")) {
      auto id = ParsePositiveId(*after);
      if (!id) return Invalid(request, "after_id", "a positive id");
      query.after = booking::CallbackRequestId(*id);
    }
    auto page = callbacks_.List(scope->company.id, query);
    if (!page) return RepoError(page.error(), "callback request");
    json items = json::array();
    for (const auto& entry : page->items) items.push_back(CallbackJson(entry));
    const booking::CallbackSla& sla = callbacks_.sla();
    return Response::Json(
        200, {{"items", items},
              {"next_after_id", page->next_after ? json(page->next_after->value) : json(nullptr)},
              {"as_of", Time(page->as_of)},
              {"sla", {{"minutes", sla.minutes.count()}, {"business_hours", sla.business_hours}}}});
  }());
}

Response AdminApi::UpdateCallback(Request& request) {
  return Counted("callbacks.update", request, [&]() -> Response {
    auto scope = Resolve(request, Access::kWrite);
    if (!scope) return scope.error();
    auto id = ParsePositiveId(request.RouteParam("callback_id"));
    if (!id) return NotFound("callback request");
    auto body = ParseBody(request.body, CallbackUpdateFields(), scope->platform());
    if (!body) return BodyErrorResponse(body.error(), request);
    Problems problems;
    FieldReader fields(*body, problems);
    RequireFields(fields, {"status"});
    auto status = fields.String("status", true, 20);
    if (!problems.empty()) return BodyErrorResponse(problems.ToError(), request);
    auto updated =
        callbacks_.SetStatus(scope->company.id, booking::CallbackRequestId(*id), *status);
    if (!updated) {
      if (updated.error().code == ErrorCode::kInvalidArgument) {
        return Invalid(request, "status", "one of open, in_progress, completed, cancelled");
      }
      return RepoError(updated.error(), "callback request");
    }
    return Response::Json(200, CallbackJson(*updated));
  }());
}

// ---- Quick availability ----

Response AdminApi::QuickAvailability(Request& request) {
  return Counted("availability.quick", request, [&]() -> Response {
    auto actor = auth::ActorOf(request);
    if (!actor) return Response::Error(ErrorCode::kUnauthenticated, "authentication required");
    std::optional<std::int64_t> company_id;
    if (auto text = request.QueryParam("company_id")) {
      company_id = ParsePositiveId(*text);
      if (!company_id) return Invalid(request, "company_id", "a positive id");
    } else if (actor->company_id) {
      company_id = actor->company_id->value;
    } else {
      return Invalid(request, "company_id", "required");
    }
    std::optional<ServiceId> service_id;
    if (auto text = request.QueryParam("service_id")) {
      auto id = ParsePositiveId(*text);
      if (!id) return Invalid(request, "service_id", "a positive id");
      service_id = ServiceId(*id);
    }
    auto scope = Resolve(request, Access::kRead, company_id);
    if (!scope) return scope.error();
    if (service_id) {
      if (auto service = services_.FindById(scope->company.id, *service_id); !service) {
        return RepoError(service.error(), "service");
      }
    }
    auto quick = booking_.QuickSlots(scope->company, std::nullopt, service_id);
    if (!quick) {
      if (quick.error().code == ErrorCode::kNotFound) {
        return Response::Error(ErrorCode::kNotFound, "the company has no such bookable service");
      }
      return Response::Error(quick.error());
    }
    const std::string& zone = scope->company.timezone;
    auto slot_json = [&](const booking::Slot& slot) {
      json out = {{"start", FormatIso8601Utc(slot.start)}, {"end", FormatIso8601Utc(slot.end)}};
      if (auto local = ToLocal(slot.start, zone)) out["local_time"] = FormatClockTime(*local);
      return out;
    };
    json today = json::array();
    json tomorrow = json::array();
    for (const auto& s : quick->today) today.push_back(slot_json(s));
    for (const auto& s : quick->tomorrow) tomorrow.push_back(slot_json(s));
    json next = nullptr;
    if (!quick->today.empty()) {
      next = slot_json(quick->today.front());
    } else if (!quick->tomorrow.empty()) {
      next = slot_json(quick->tomorrow.front());
    }
    return Response::Json(
        200, {{"service_id", quick->service.id.value},
              {"service_name", quick->service.name},
              {"availability", {{"today", today}, {"tomorrow", tomorrow}, {"next", next}}},
              {"source", booking::SlotSourceName(quick->source)}});
  }());
}

// ---- Access and erasure requests, audit log ----

namespace {

const Allowlist& ExportFields() {
  static const Allowlist list{{{"phone"}}, {}};
  return list;
}

const Allowlist& EraseFields() {
  static const Allowlist list{{{"phone"}, {"cancel_future"}}, {}};
  return list;
}

json AuditEventJson(const privacy::AuditEvent& e) {
  return {{"id", e.id},
          {"company_id", Opt(e.company_id)},
          {"actor", e.actor},
          {"action", e.action},
          {"target", e.target},
          {"detail", e.detail},
          {"request_id", Opt(e.request_id)},
          {"created_at", Time(e.created_at)}};
}

privacy::Requester RequesterOf(const auth::RequestActor& actor, const Request& request) {
  return {
      privacy::UserActor(actor.user_id.value),
      request.request_id.empty() ? std::nullopt : std::optional<std::string>(request.request_id)};
}

}  // namespace

Response AdminApi::ExportPerson(Request& request) {
  return Counted("privacy.export", request, [&]() -> Response {
    auto scope = Resolve(request, Access::kWrite);
    if (!scope) return scope.error();
    auto body = ParseBody(request.body, ExportFields(), scope->platform());
    if (!body) return BodyErrorResponse(body.error(), request);
    Problems problems;
    FieldReader fields(*body, problems);
    RequireFields(fields, {"phone"});
    auto phone = fields.String("phone", true, 40);
    if (!problems.empty()) return BodyErrorResponse(problems.ToError(), request);
    auto document =
        personal_data_.Export(scope->company, *phone, RequesterOf(scope->actor, request));
    if (!document) {
      if (document.error().code == ErrorCode::kInvalidArgument) {
        return Invalid(request, "phone", "not a valid phone number");
      }
      return Response::Error(document.error());
    }
    return Response::Json(200, *document);
  }());
}

Response AdminApi::ErasePerson(Request& request) {
  return Counted("privacy.erase", request, [&]() -> Response {
    auto scope = Resolve(request, Access::kWrite);
    if (!scope) return scope.error();
    auto body = ParseBody(request.body, EraseFields(), scope->platform());
    if (!body) return BodyErrorResponse(body.error(), request);
    Problems problems;
    FieldReader fields(*body, problems);
    RequireFields(fields, {"phone"});
    auto phone = fields.String("phone", true, 40);
    const bool cancel_future = fields.Bool("cancel_future").value_or(false);
    if (!problems.empty()) return BodyErrorResponse(problems.ToError(), request);
    auto report = personal_data_.Erase(scope->company, *phone, {cancel_future},
                                       RequesterOf(scope->actor, request));
    if (!report) {
      if (report.error().code == ErrorCode::kInvalidArgument) {
        return Invalid(request, "phone", "not a valid phone number");
      }
      return Response::Error(report.error());
    }
    return Response::Json(200, {{"erased", report->ToJson()}});
  }());
}

Response AdminApi::ListAuditEvents(Request& request) {
  return Counted("audit.list", request, [&]() -> Response {
    auto actor = auth::ActorOf(request);
    if (!actor) return Response::Error(ErrorCode::kUnauthenticated, "authentication required");
    privacy::AuditQuery query;
    if (auto text = request.QueryParam("company_id")) {
      auto id = ParsePositiveId(*text);
      if (!id) return NotFound("company");
      // Another company's id answers like a missing one (BOLA).
      if (actor->role != Role::kPlatformAdmin &&
          (!actor->company_id || actor->company_id->value != *id)) {
        return NotFound("company");
      }
      query.company_id = *id;
    } else if (actor->role != Role::kPlatformAdmin) {
      if (!actor->company_id) return NotFound("company");
      query.company_id = actor->company_id->value;
    }
    if (auto v = request.QueryParam("action")) query.action = std::string(*v);
    if (auto v = request.QueryParam("target")) query.target = std::string(*v);
    for (auto [name, slot] : {std::pair{"since", &query.since}, std::pair{"until", &query.until}}) {
      if (auto v = request.QueryParam(name)) {
        auto t = ParseIso8601(*v);
        if (!t) return Invalid(request, name, "an ISO 8601 time such as 2026-12-01T00:00:00Z");
        *slot = *t;
      }
    }
    auto page = ReadPage(request);
    if (!page) return page.error();
    query.limit = page->limit;
    query.before_id = page->before_id;
    auto rows = audit_.List(query);
    if (!rows) return Response::Error(rows.error());
    return Response::Json(200, Paged(*rows, *page, AuditEventJson));
  }());
}

// ---- Guard ----

http::MiddlewarePtr CompanyScopeGuard() {
  return http::MakeFilter("company_scope", [](Request& request) -> std::optional<Response> {
    auto actor = auth::ActorOf(request);
    if (!actor) return Response::Error(ErrorCode::kUnauthenticated, "authentication required");
    if (actor->role == Role::kPlatformAdmin) return std::nullopt;
    const auto id = ParsePositiveId(request.RouteParam("company_id"));
    if (!id || !actor->company_id || actor->company_id->value != *id) {
      return NotFound("company");
    }
    if (actor->role == Role::kViewer && !IsReadMethod(request.method)) {
      return Response::Error(ErrorCode::kPermissionDenied, "viewers have read-only access");
    }
    return std::nullopt;
  });
}

}  // namespace callgate::admin
