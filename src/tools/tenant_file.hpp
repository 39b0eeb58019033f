#pragma once
// The tenant file (`callgate seed --file tenants.json|yaml`, SPEC.md §8): companies with their
// branches, services, phone numbers and customers. Parsing validates everything up front and
// names the path of the first bad field ("companies[0].branches[1].business_hours.mon").

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "tenancy/model.hpp"

namespace callgate::tools {

// Opening hours of one weekday in minutes after local midnight, [open, close).
struct DayHours {
  int open_minute = 0;
  int close_minute = 0;
};

struct TenantFileBranch {
  std::string name;
  std::string address;
  std::string phone;                                      // E.164 or empty
  std::string timezone;                                   // empty: the company's
  std::array<std::optional<DayHours>, 7> business_hours;  // index 0 = Sunday
  std::string region;  // Bundesland code ("BY") whose holidays it keeps; empty: nationwide only
  std::string transfer_number;  // E.164 or empty: where the agent hands callers to a person
  std::vector<tenancy::ClosingDays> closing_days;  // this branch's alone (Betriebsferien, …)
  std::vector<std::string> phone_numbers;          // E.164
};

struct TenantFileService {
  std::string name;
  std::vector<std::string> synonyms;
  int duration_minutes = 30;
  std::int64_t price_cents = 0;
  std::optional<std::int64_t> calcom_event_type_id;
  int minimum_notice_minutes = 0;
  std::vector<std::string> branches;  // empty: all branches of the company
  bool is_default = false;
};

struct TenantFileCustomer {
  std::string name;
  std::string phone;  // E.164
  std::string email;
};

struct TenantFileCompany {
  std::string name;
  std::string slug;
  std::string timezone = "Europe/Berlin";
  std::string language = "de";
  std::string calcom_api_key;
  std::string retell_api_key;
  std::string calcom_webhook_secret;  // its own Cal.com webhooks at /webhooks/calcom/c/<slug>
  std::string vapi_secret;            // its own Vapi account at /webhooks/vapi/c/<slug>
  std::int64_t price_per_minute_cents = 0;
  int included_minutes = 0;
  int retention_days = 30;            // call content (docs/privacy.md)
  int customer_retention_days = 365;  // customers without calls or appointments
  bool store_recordings = false;      // keep Retell's recording URLs (needs the caller's consent)
  std::string ai_disclosure;          // the agent's first sentence; empty = the default one
  // Days every branch is closed: [{"from": "2026-12-24", "to": "2027-01-01", "name": "…"}]
  // ("to" defaults to "from", "name" to ""); a branch lists its own besides.
  std::vector<tenancy::ClosingDays> closing_days;
  std::vector<TenantFileBranch> branches;
  std::vector<TenantFileService> services;
  std::vector<TenantFileCustomer> customers;
};

struct TenantFile {
  std::vector<TenantFileCompany> companies;
};

// Parses JSON text. Phone numbers are normalised with `phone_region`. kInvalidArgument with the
// path of the bad field on any error. Thread-safe.
Result<TenantFile> ParseTenantJson(std::string_view text, std::string_view phone_region = "DE");

// Parses YAML text with the same structure as the JSON form.
Result<TenantFile> ParseTenantYaml(std::string_view text, std::string_view phone_region = "DE");

// Reads a file, choosing YAML for .yaml/.yml and JSON otherwise.
Result<TenantFile> LoadTenantFile(const std::string& path, std::string_view phone_region = "DE");

// The built-in demo tenant: a German practice with two branches in Europe/Berlin, three services
// with Cal.com event type ids, two phone numbers and one known customer.
std::string_view DemoTenantJson();

}  // namespace callgate::tools
