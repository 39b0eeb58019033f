#pragma once
// Test support: a small validator for the OpenAPI 3 schemas of Cal.com's spec subset
// (tests/reference/calcom-openapi-subset.json), and a check of a whole HTTP request (path,
// query, headers, body) against one of its operations.
//
// Keywords: $ref (local "#/components/schemas/<Name>", looked up in the document's "schemas"),
// type (string, number, integer, boolean, object, array, null), nullable, enum, required,
// properties, additionalProperties (boolean or schema), items, oneOf, anyOf, allOf, minimum,
// maximum, minItems, maxItems, minLength, maxLength. Annotations are ignored (default,
// deprecated, title, description, example, format). Any other keyword is reported as an error,
// so a keyword the spec starts using cannot pass unchecked.
//
// Two choices beyond JSON Schema, both switchable:
//   - undeclared_properties_are_errors: an object schema with `properties` and no
//     `additionalProperties` refuses other names (JSON Schema would allow them). Cal.com's
//     request classes refuse unknown properties (whitelist validation), and a misspelt name
//     would otherwise pass silently.
//   - one_of: NestJS writes request variants as oneOf without a discriminator, and they overlap
//     (a plain create body also satisfies the recurring variant, whose `recurrenceCount` is
//     optional). kAtLeastOne accepts such a body; kExactlyOne is JSON Schema's rule.

#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

namespace callgate::calcom::testing {

enum class OneOfRule { kExactlyOne, kAtLeastOne };

struct SchemaOptions {
  bool undeclared_properties_are_errors = true;
  OneOfRule one_of = OneOfRule::kExactlyOne;
};

// An HTTP request as sent (decoded query pairs in order; header names in any case).
struct CapturedRequest {
  std::string method;  // "GET", "POST"
  std::string path;    // "/v2/bookings/abc/cancel"
  std::vector<std::pair<std::string, std::string>> query;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

class SchemaValidator {
 public:
  // `document` is the spec subset: {"operations": {"GET /v2/slots": {...}}, "schemas": {...}}.
  explicit SchemaValidator(nlohmann::json document);

  // Every violation of `schema` by `instance`, each as "<json pointer>: <what>"; empty = valid.
  std::vector<std::string> Validate(const nlohmann::json& instance, const nlohmann::json& schema,
                                    const SchemaOptions& options = {}) const;
  // The same against the named component schema ("CreateBookingInput_2024_08_13").
  std::vector<std::string> ValidateNamed(const nlohmann::json& instance, const std::string& name,
                                         const SchemaOptions& options = {}) const;

  // The operation key ("POST /v2/bookings/{bookingUid}/cancel") whose method and path template
  // match the request, or "" when none does.
  std::string FindOperation(const CapturedRequest& request) const;

  // Every violation of the operation's parameters and request body by the request: path
  // parameters, query parameters (declared, required present, values of the declared type;
  // arrays as comma-separated or repeated values), required headers present, header values of
  // the declared type and `cal-api-version` equal to the operation's version (its default), and
  // the JSON body (required when the operation requires one; none for operations without one).
  std::vector<std::string> ValidateRequest(const std::string& operation,
                                           const CapturedRequest& request,
                                           const SchemaOptions& options = {}) const;

  const nlohmann::json& document() const { return document_; }

 private:
  void Check(const nlohmann::json& instance, const nlohmann::json& schema, const std::string& at,
             const SchemaOptions& options, int depth, std::vector<std::string>& errors) const;
  const nlohmann::json* Resolve(const std::string& ref) const;

  nlohmann::json document_;
};

}  // namespace callgate::calcom::testing
