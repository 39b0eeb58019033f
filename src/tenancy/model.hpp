#pragma once
// The tenant domain (SPEC.md §1): companies (tenants), their branches, services, phone numbers
// and customers. Plain value types with no behaviour beyond small helpers; persistence lives
// behind tenancy/repositories.hpp. Times are UTC instants; money is integer cents (EUR).

#include <array>
#include <compare>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.hpp"
#include "core/result.hpp"
#include "core/secret.hpp"

namespace callgate::tenancy {

// A typed row id: CompanyId and BranchId do not convert into each other, so a call like
// FindById(branch_id, company_id) does not compile. `value` is the database id (> 0 once stored).
template <typename Tag>
struct Id {
  std::int64_t value = 0;

  constexpr Id() = default;
  constexpr explicit Id(std::int64_t v) : value(v) {}
  friend constexpr auto operator<=>(Id, Id) = default;
};

using CompanyId = Id<struct CompanyTag>;
using BranchId = Id<struct BranchTag>;
using ServiceId = Id<struct ServiceTag>;
using PhoneNumberId = Id<struct PhoneNumberTag>;
using CustomerId = Id<struct CustomerTag>;

// A fee charged when an appointment is cancelled or moved less than `within_hours` before it
// starts. With several tiers the one with the smallest `within_hours` that still applies wins.
struct FeeTier {
  int within_hours = 0;
  std::int64_t fee_cents = 0;

  friend bool operator==(const FeeTier&, const FeeTier&) = default;
};

// Rules for cancelling or rescheduling an appointment by phone.
struct ChangePolicy {
  int notice_hours = 24;             // minimum notice before the start, in hours
  std::optional<int> monthly_limit;  // changes per customer and calendar month; none = no cap
  std::vector<FeeTier> fee_tiers;    // empty = free of charge

  friend bool operator==(const ChangePolicy&, const ChangePolicy&) = default;
};

// Days a company or one of its branches is closed ("Betriebsferien", a training day): from
// `from` to `to`, both inclusive, as ISO dates ("2026-12-24") in the branch's local calendar.
// Such days are never offered to callers and a wish on one is refused, naming `name` when set
// ("Betriebsferien"; at most kMaxClosingNameLength bytes, may be empty). A company's closing
// days hold at all its branches, a branch's only there (Company/Branch::closing_days).
struct ClosingDays {
  std::string from;
  std::string to;
  std::string name;

  friend bool operator==(const ClosingDays&, const ClosingDays&) = default;
};

inline constexpr std::size_t kMaxClosingNameLength = 80;
inline constexpr std::size_t kMaxClosingDays = 100;  // entries per company or branch

// What is wrong with an entry, as the admin API and the tenant file report it: the field
// ("from", "to", "name") and a message ("must be a date YYYY-MM-DD", "must not be before
// from", ...). nullopt when it can be stored.
struct ClosingDaysProblem {
  std::string field;
  std::string message;
};
std::optional<ClosingDaysProblem> CheckClosingDays(const ClosingDays& days);

// Whether `text` is a real calendar date written YYYY-MM-DD (years 2000..2199).
bool IsIsoDate(std::string_view text);

// A tenant. Companies are the roots of tenant scoping: every other tenant row carries a
// company_id. A reseller is a company whose children name it in `parent_company_id`.
struct Company {
  CompanyId id;
  std::string name;
  std::string slug;  // unique, URL-safe
  std::string timezone = "Europe/Berlin";
  std::string language = "de";
  bool is_active = true;
  Secret calcom_api_key;  // empty = use the platform key
  Secret retell_api_key;  // empty = use the platform key
  // Signs this company's Cal.com webhooks at /webhooks/calcom/c/<slug>; empty = its bookings
  // arrive through the platform webhook (CALCOM_WEBHOOK_SECRET).
  Secret calcom_webhook_secret;
  // Authenticates this company's Vapi server messages at /webhooks/vapi/c/<slug>; empty = the
  // platform secret (VAPI_SECRET).
  Secret vapi_secret;
  std::optional<CompanyId> parent_company_id;
  double reseller_markup_percent = 0;  // e.g. 20.0 = +20 % on the base cost
  std::int64_t price_per_minute_cents = 0;
  std::int64_t included_minutes = 0;  // per calendar month
  ChangePolicy cancellation_policy;
  ChangePolicy reschedule_policy;
  // Retention (docs/privacy.md): call content is cleared this many days after the call ...
  int retention_days = 30;
  // ... and a customer with no call and no appointment for this many days is deleted.
  int customer_retention_days = 365;
  // Recording URLs from Retell's webhooks are stored only when true (recordings need the
  // caller's consent; docs/privacy.md).
  bool store_recordings = false;
  // The sentence the agent says first (EU AI Act Art. 50), answered as the dynamic variable
  // ai_disclosure; empty = DefaultAiDisclosure(name).
  std::string ai_disclosure;
  // Closing days of every branch (and of the company itself when it has none), in any order.
  std::vector<ClosingDays> closing_days;
  SystemTimePoint created_at;
  SystemTimePoint updated_at;
};

// The AI disclosure the agent says first (EU AI Act Art. 50): the company's own sentence, or
// "Sie sprechen mit dem digitalen Assistenten von <name>." — never empty, nor only blanks.
inline std::string AiDisclosureOf(const Company& company) {
  if (company.ai_disclosure.find_first_not_of(" \t\r\n") != std::string::npos) {
    return company.ai_disclosure;
  }
  return "Sie sprechen mit dem digitalen Assistenten von " + company.name + ".";
}

// The attendee language Cal.com accepts (the enum of its CreateBookingAttendee.language) nearest
// to a company's locale, case-insensitive, "_" read as "-": a listed code as is ("de", "pt-BR",
// "es-419", "zh-CN"), otherwise the language without its region ("de-AT" → "de", "en-GB" →
// "en", "pt-PT" → "pt"), with the regional codes Cal.com has: Spanish of the Americas
// ("es-MX", "es-AR" …) → "es-419", Traditional Chinese ("zh-TW", "zh-HK", "zh-Hant") →
// "zh-TW", other Chinese → "zh-CN"; Norwegian "nb"/"nn" → "no". nullopt when no code is near
// (the company's language is then refused in the admin API and the tenant file).
std::optional<std::string> CalendarLanguage(std::string_view locale);

// The 16 Bundesland codes a branch's `region` may hold (ISO 3166-2:DE without "DE-"), as the
// admin API and the tenant file list them in their refusals.
inline constexpr std::string_view kBranchRegionCodes =
    "BW, BY, BE, BB, HB, HH, HE, MV, NI, NW, RP, SL, SN, ST, SH, TH";

// Whether `code` is "" (the nationwide holidays only) or one of the 16 codes above (upper case).
bool IsBranchRegion(std::string_view code);

// One opening interval in a branch's local time, in minutes after local midnight
// (540 = 09:00). `close_minute` is exclusive and may be 1440 (24:00).
struct OpeningHours {
  int open_minute = 0;
  int close_minute = 0;

  friend bool operator==(const OpeningHours&, const OpeningHours&) = default;
};

// Opening hours per weekday, indexed like LocalDateTime::weekday: 0 = Sunday .. 6 = Saturday.
// nullopt = closed that day.
using WeeklyHours = std::array<std::optional<OpeningHours>, 7>;

// True when any weekday has opening hours (none at all = hours not configured).
inline bool AnyHours(const WeeklyHours& hours) noexcept {
  for (const auto& day : hours) {
    if (day) return true;
  }
  return false;
}

// A site of a company with its own address, time zone and opening hours.
struct Branch {
  BranchId id;
  CompanyId company_id;
  std::string name;  // unique within the company
  std::string address;
  std::optional<std::string> phone_e164;
  std::string timezone = "Europe/Berlin";
  WeeklyHours business_hours;
  std::string region;  // its Bundesland ("BY"): whose public holidays it keeps; "" = nationwide
  // Where the agent hands a caller to a person during opening hours (E.164); none = no transfer.
  std::optional<std::string> transfer_number;
  // Closing days of this branch alone, besides the company's.
  std::vector<ClosingDays> closing_days;
  bool is_active = true;
  SystemTimePoint created_at;
  SystemTimePoint updated_at;
};

// Something a caller can book. `branch_id` empty = offered at every branch of the company.
struct Service {
  ServiceId id;
  CompanyId company_id;
  std::optional<BranchId> branch_id;
  std::string name;
  std::vector<std::string> synonyms;  // other words callers use for it ("Beratung")
  int duration_minutes = 30;
  std::int64_t price_cents = 0;
  std::optional<std::int64_t> calcom_event_type_id;
  int minimum_notice_minutes = 0;
  bool is_default = false;
  bool is_active = true;
  SystemTimePoint created_at;
  SystemTimePoint updated_at;
};

// A dialled number. This is the tenant router: the number decides company and branch.
struct PhoneNumber {
  PhoneNumberId id;
  CompanyId company_id;
  std::optional<BranchId> branch_id;
  std::string number_e164;  // globally unique, e.g. "+493083793369"
  std::optional<std::string> retell_agent_id;
  SystemTimePoint created_at;
  SystemTimePoint updated_at;
};

// A caller known to one company; (company_id, phone_e164) is unique, the same person calling
// two companies is two customers.
struct Customer {
  CustomerId id;
  CompanyId company_id;
  std::string name;  // empty = unknown
  std::string phone_e164;
  std::optional<std::string> email;
  std::string notes;
  std::optional<SystemTimePoint> last_call_at;
  SystemTimePoint created_at;
  SystemTimePoint updated_at;
};

// What a caller told us about themselves; fields left empty keep their stored value.
struct CustomerDetails {
  std::string phone_e164;  // the key, required
  std::optional<std::string> name;
  std::optional<std::string> email;
  std::optional<std::string> notes;
};

// "09:00" → 540; "24:00" → 1440. kInvalidArgument for anything else. Thread-safe.
Result<int> ParseClockMinutes(std::string_view text);

// 540 → "09:00". `minutes` must be in [0, 1440].
std::string FormatClockMinutes(int minutes);

// Weekday keys of the tenant file and of stored business hours: 0 = "sun" .. 6 = "sat".
std::string_view WeekdayKey(int weekday);

// "mon" → 1; kInvalidArgument for an unknown key.
Result<int> ParseWeekdayKey(std::string_view key);

}  // namespace callgate::tenancy

// Ids hash like their value, so they work as unordered_map keys.
template <typename Tag>
struct std::hash<callgate::tenancy::Id<Tag>> {
  std::size_t operator()(callgate::tenancy::Id<Tag> id) const noexcept {
    return std::hash<std::int64_t>{}(id.value);
  }
};
