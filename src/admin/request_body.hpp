#pragma once
// Request bodies of the admin API's write endpoints: explicit allowlists (mass-assignment
// protection, SPEC.md §4) and typed field reads that report problems with the field's path.
//
// A body is rejected with 422 JSON {"error":{"code","message","fields":[...],"request_id"}}:
//   invalid_json       not a JSON object
//   field_not_allowed  a field this caller may not set: tenant, money, status, secret, id or
//                      timestamp fields (ProtectedFields()), read-only fields of the resource,
//                      or a platform-admin-only field sent by someone else
//   unknown_fields     fields the resource does not have
//   validation_failed  a value of the wrong type or out of range
// Nothing is written when a body is rejected.

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <tl/expected.hpp>
#include <vector>

#include "http/request.hpp"
#include "http/response.hpp"

namespace callgate::admin {

// Why a body was refused; rendered by BodyErrorResponse.
struct BodyError {
  std::string code;
  std::string message;
  std::vector<std::string> fields;  // offending field paths, e.g. "business_hours.mon[1]"
};

// Who may write a field.
enum class Writer { kCompanyAdmin, kPlatformAdmin };

struct FieldRule {
  std::string_view name;
  Writer writer = Writer::kCompanyAdmin;  // kCompanyAdmin: company admins and platform admins
};

// What one write endpoint accepts.
struct Allowlist {
  std::vector<FieldRule> writable;
  // Fields the resource shows in responses but no body may set (beyond ProtectedFields()).
  std::vector<std::string_view> read_only;
};

// Field names no admin body may ever carry: ids, tenant, status, role, secret, money-derived
// and timestamp fields ("id", "company_id", "status", "role", "calcom_api_key", ...).
const std::vector<std::string_view>& ProtectedFields();

// Parses `body` as a JSON object and checks every top-level key against `allowlist` for a
// caller who is (or is not) a platform admin. Pure; thread-safe.
tl::expected<nlohmann::json, BodyError> ParseBody(std::string_view body, const Allowlist& allowlist,
                                                  bool platform_admin);

// 422 JSON for a refused body, carrying the request id.
http::Response BodyErrorResponse(const BodyError& error, const http::Request& request);

// Collects validation problems while fields are read.
class Problems {
 public:
  void Add(std::string path, std::string message);
  bool empty() const noexcept { return paths_.empty(); }
  // code validation_failed, message "path: problem; path: problem", fields = the paths.
  BodyError ToError() const;

 private:
  std::vector<std::string> paths_;
  std::vector<std::string> messages_;
};

// Typed, optional reads from one JSON object. Every method returns nullopt when the key is
// absent (or on a problem, which it records with the key's full path); callers apply present
// values only, so PATCH semantics come for free.
class FieldReader {
 public:
  FieldReader(const nlohmann::json& object, Problems& problems, std::string prefix = "")
      : object_(object), problems_(problems), prefix_(std::move(prefix)) {}

  bool Has(std::string_view key) const;
  // Present with the value null.
  bool IsNull(std::string_view key) const;
  std::string Path(std::string_view key) const;

  // A string of at most `max_length` bytes; `non_empty` refuses "" (after trimming spaces).
  std::optional<std::string> String(std::string_view key, bool non_empty = false,
                                    std::size_t max_length = 255);
  // Like String, but null is accepted and gives an empty optional inside: outer nullopt =
  // absent or bad, inner nullopt = null (clear the value).
  std::optional<std::optional<std::string>> NullableString(std::string_view key,
                                                           std::size_t max_length = 255);
  // Like String, and one line of text: a control character (a NUL, a line break, DEL) is
  // refused. For names and addresses, which the agent speaks and log lines carry.
  std::optional<std::string> Line(std::string_view key, bool non_empty = false,
                                  std::size_t max_length = 255);
  // An integer in [min, max].
  std::optional<std::int64_t> Int(std::string_view key, std::int64_t min, std::int64_t max);
  // An integer in [min, max] or null.
  std::optional<std::optional<std::int64_t>> NullableInt(std::string_view key, std::int64_t min,
                                                         std::int64_t max);
  // A number in [min, max].
  std::optional<double> Number(std::string_view key, double min, double max);
  std::optional<bool> Bool(std::string_view key);
  // An array of at most `max_items` non-empty strings of at most `max_length` bytes.
  std::optional<std::vector<std::string>> StringList(std::string_view key,
                                                     std::size_t max_items = 50,
                                                     std::size_t max_length = 100);
  // The value when it is an object (nullptr otherwise, recording a problem).
  const nlohmann::json* Object(std::string_view key);
  // The value when it is an array of at most `max_items` (nullptr otherwise, recording a
  // problem).
  const nlohmann::json* Array(std::string_view key, std::size_t max_items);

  Problems& problems() { return problems_; }

 private:
  const nlohmann::json* Get(std::string_view key) const;

  const nlohmann::json& object_;
  Problems& problems_;
  std::string prefix_;
};

// Checks that every key of `object` is in `allowed`; records the unknown ones (by path) as
// problems "unknown field". For nested objects (policies, business hours).
void CheckNestedKeys(const nlohmann::json& object, const std::vector<std::string_view>& allowed,
                     const std::string& prefix, Problems& problems);

}  // namespace callgate::admin
