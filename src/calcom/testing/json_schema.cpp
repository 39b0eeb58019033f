#include "calcom/testing/json_schema.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <map>
#include <optional>
#include <set>
#include <sstream>

namespace callgate::calcom::testing {
namespace {

using nlohmann::json;

constexpr int kMaxDepth = 64;  // $ref cycles end here

const std::set<std::string>& KnownKeywords() {
  static const std::set<std::string> kKnown = {
      "$ref", "type", "nullable", "enum", "required", "properties", "additionalProperties", "items",
      "oneOf", "anyOf", "allOf", "minimum", "maximum", "minItems", "maxItems", "minLength",
      "maxLength",
      // annotations
      "default", "deprecated", "title", "description", "example", "format"};
  return kKnown;
}

std::string Short(const json& value) {
  std::string text = value.dump();
  if (text.size() > 60) text = text.substr(0, 57) + "...";
  return text;
}

bool HasType(const json& instance, const std::string& type) {
  if (type == "string") return instance.is_string();
  if (type == "number") return instance.is_number();
  if (type == "integer") {
    if (instance.is_number_integer()) return true;
    if (!instance.is_number_float()) return false;
    const double d = instance.get<double>();
    return std::isfinite(d) && std::floor(d) == d;
  }
  if (type == "boolean") return instance.is_boolean();
  if (type == "object") return instance.is_object();
  if (type == "array") return instance.is_array();
  if (type == "null") return instance.is_null();
  return false;
}

std::string Escape(const std::string& key) {
  std::string out;
  for (char c : key) {
    if (c == '~') {
      out += "~0";
    } else if (c == '/') {
      out += "~1";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string Lower(std::string text) {
  for (auto& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

std::vector<std::string> Split(const std::string& text, char sep) {
  std::vector<std::string> out;
  std::string part;
  std::istringstream in(text);
  while (std::getline(in, part, sep)) out.push_back(part);
  if (!text.empty() && text.back() == sep) out.emplace_back();
  return out;
}

// A query, path or header value as the JSON value its schema's type means, or nullopt when the
// text cannot be one (a number that is not a number).
std::optional<json> Coerce(const std::string& text, const json& schema) {
  const std::string type = schema.is_object() ? schema.value("type", "string") : "string";
  if (type == "number" || type == "integer") {
    if (text.empty()) return std::nullopt;
    char* end = nullptr;
    const double d = std::strtod(text.c_str(), &end);
    if (end == nullptr || *end != '\0' || !std::isfinite(d)) return std::nullopt;
    if (std::floor(d) == d && std::fabs(d) < 9e15) return json(static_cast<long long>(d));
    return json(d);
  }
  if (type == "boolean") {
    if (text == "true") return json(true);
    if (text == "false") return json(false);
    return std::nullopt;
  }
  return json(text);
}

}  // namespace

SchemaValidator::SchemaValidator(json document) : document_(std::move(document)) {}

const json* SchemaValidator::Resolve(const std::string& ref) const {
  static const std::string kPrefix = "#/components/schemas/";
  if (ref.rfind(kPrefix, 0) != 0) return nullptr;
  auto schemas = document_.find("schemas");
  if (schemas == document_.end() || !schemas->is_object()) return nullptr;
  auto it = schemas->find(ref.substr(kPrefix.size()));
  return it == schemas->end() ? nullptr : &*it;
}

std::vector<std::string> SchemaValidator::Validate(const json& instance, const json& schema,
                                                   const SchemaOptions& options) const {
  std::vector<std::string> errors;
  Check(instance, schema, "", options, 0, errors);
  return errors;
}

std::vector<std::string> SchemaValidator::ValidateNamed(const json& instance,
                                                        const std::string& name,
                                                        const SchemaOptions& options) const {
  return Validate(instance, json{{"$ref", "#/components/schemas/" + name}}, options);
}

void SchemaValidator::Check(const json& instance, const json& schema, const std::string& at,
                            const SchemaOptions& options, int depth,
                            std::vector<std::string>& errors) const {
  const std::string where = at.empty() ? "/" : at;
  if (depth > kMaxDepth) {
    errors.push_back(where + ": schema nesting too deep ($ref cycle?)");
    return;
  }
  if (schema.is_boolean()) {
    if (!schema.get<bool>()) errors.push_back(where + ": no value is allowed here");
    return;
  }
  if (!schema.is_object()) {
    errors.push_back(where + ": schema is not an object");
    return;
  }
  for (auto it = schema.begin(); it != schema.end(); ++it) {
    if (!KnownKeywords().count(it.key())) {
      errors.push_back(where + ": the validator does not support keyword \"" + it.key() + "\"");
    }
  }
  if (auto ref = schema.find("$ref"); ref != schema.end()) {
    const json* target = ref->is_string() ? Resolve(ref->get<std::string>()) : nullptr;
    if (target == nullptr) {
      errors.push_back(where + ": unresolvable $ref " + Short(*ref));
      return;
    }
    Check(instance, *target, at, options, depth + 1, errors);
  }
  if (instance.is_null() && schema.value("nullable", false)) return;

  if (auto type = schema.find("type"); type != schema.end()) {
    bool ok = false;
    if (type->is_string()) {
      ok = HasType(instance, type->get<std::string>());
    } else if (type->is_array()) {
      for (const auto& t : *type)
        ok = ok || (t.is_string() && HasType(instance, t.get<std::string>()));
    }
    if (!ok) {
      errors.push_back(where + ": " + Short(instance) + " is not of type " + type->dump());
      return;  // the other keywords would only repeat the mismatch
    }
  }
  if (auto values = schema.find("enum"); values != schema.end() && values->is_array()) {
    if (std::find(values->begin(), values->end(), instance) == values->end()) {
      errors.push_back(where + ": " + Short(instance) + " is not one of the enum values");
    }
  }
  if (instance.is_number()) {
    const double v = instance.get<double>();
    if (auto m = schema.find("minimum");
        m != schema.end() && m->is_number() && v < m->get<double>()) {
      errors.push_back(where + ": " + Short(instance) + " is less than the minimum " + m->dump());
    }
    if (auto m = schema.find("maximum");
        m != schema.end() && m->is_number() && v > m->get<double>()) {
      errors.push_back(where + ": " + Short(instance) + " is greater than the maximum " +
                       m->dump());
    }
  }
  if (instance.is_string()) {
    // Length in code points, as JSON Schema counts.
    std::size_t length = 0;
    for (unsigned char c : instance.get_ref<const std::string&>()) length += (c & 0xC0) != 0x80;
    if (auto m = schema.find("minLength");
        m != schema.end() && m->is_number_unsigned() && length < m->get<std::size_t>()) {
      errors.push_back(where + ": string shorter than " + m->dump());
    }
    if (auto m = schema.find("maxLength");
        m != schema.end() && m->is_number_unsigned() && length > m->get<std::size_t>()) {
      errors.push_back(where + ": string longer than " + m->dump());
    }
  }
  if (instance.is_object()) {
    if (auto required = schema.find("required"); required != schema.end() && required->is_array()) {
      for (const auto& name : *required) {
        if (name.is_string() && !instance.contains(name.get<std::string>())) {
          errors.push_back(where + ": required property \"" + name.get<std::string>() +
                           "\" is missing");
        }
      }
    }
    const auto properties = schema.find("properties");
    const auto additional = schema.find("additionalProperties");
    for (auto it = instance.begin(); it != instance.end(); ++it) {
      const std::string child = at + "/" + Escape(it.key());
      if (properties != schema.end() && properties->is_object() && properties->contains(it.key())) {
        Check(*it, (*properties)[it.key()], child, options, depth + 1, errors);
      } else if (additional != schema.end()) {
        Check(*it, *additional, child, options, depth + 1, errors);
      } else if (properties != schema.end() && options.undeclared_properties_are_errors) {
        errors.push_back(child + ": property \"" + it.key() + "\" is not declared");
      }
    }
  }
  if (instance.is_array()) {
    if (auto items = schema.find("items"); items != schema.end()) {
      for (std::size_t i = 0; i < instance.size(); ++i) {
        Check(instance[i], *items, at + "/" + std::to_string(i), options, depth + 1, errors);
      }
    }
    if (auto m = schema.find("minItems");
        m != schema.end() && m->is_number_unsigned() && instance.size() < m->get<std::size_t>()) {
      errors.push_back(where + ": fewer than " + m->dump() + " items");
    }
    if (auto m = schema.find("maxItems");
        m != schema.end() && m->is_number_unsigned() && instance.size() > m->get<std::size_t>()) {
      errors.push_back(where + ": more than " + m->dump() + " items");
    }
  }
  if (auto all = schema.find("allOf"); all != schema.end() && all->is_array()) {
    for (const auto& sub : *all) Check(instance, sub, at, options, depth + 1, errors);
  }
  const auto count_matches = [&](const json& list, std::vector<std::string>& why) {
    int matches = 0;
    for (std::size_t i = 0; i < list.size(); ++i) {
      std::vector<std::string> sub;
      Check(instance, list[i], at, options, depth + 1, sub);
      if (sub.empty()) {
        ++matches;
      } else {
        std::string label = list[i].is_object() && list[i].contains("$ref")
                                ? list[i]["$ref"].get<std::string>()
                                : "variant " + std::to_string(i);
        label = label.substr(label.rfind('/') + 1);
        why.push_back(label + " (" + sub.front() + (sub.size() > 1 ? ", …" : "") + ")");
      }
    }
    return matches;
  };
  const auto join = [](const std::vector<std::string>& parts) {
    std::string out;
    for (const auto& p : parts) out += (out.empty() ? "" : "; ") + p;
    return out;
  };
  if (auto any = schema.find("anyOf"); any != schema.end() && any->is_array()) {
    std::vector<std::string> why;
    if (count_matches(*any, why) == 0) {
      errors.push_back(where + ": matches no anyOf variant: " + join(why));
    }
  }
  if (auto one = schema.find("oneOf"); one != schema.end() && one->is_array()) {
    std::vector<std::string> why;
    const int matches = count_matches(*one, why);
    if (matches == 0) {
      errors.push_back(where + ": matches no oneOf variant: " + join(why));
    } else if (matches > 1 && options.one_of == OneOfRule::kExactlyOne) {
      errors.push_back(where + ": matches " + std::to_string(matches) +
                       " oneOf variants, not exactly one");
    }
  }
}

std::string SchemaValidator::FindOperation(const CapturedRequest& request) const {
  const auto operations = document_.find("operations");
  if (operations == document_.end() || !operations->is_object()) return {};
  const auto path_parts = Split(request.path, '/');
  for (auto it = operations->begin(); it != operations->end(); ++it) {
    const std::string& key = it.key();
    const auto space = key.find(' ');
    if (space == std::string::npos || key.substr(0, space) != request.method) continue;
    const auto template_parts = Split(key.substr(space + 1), '/');
    if (template_parts.size() != path_parts.size()) continue;
    bool match = true;
    for (std::size_t i = 0; i < template_parts.size() && match; ++i) {
      const auto& t = template_parts[i];
      const bool param = t.size() > 2 && t.front() == '{' && t.back() == '}';
      match = param ? !path_parts[i].empty() : t == path_parts[i];
    }
    if (match) return key;
  }
  return {};
}

std::vector<std::string> SchemaValidator::ValidateRequest(const std::string& operation,
                                                          const CapturedRequest& request,
                                                          const SchemaOptions& options) const {
  std::vector<std::string> errors;
  const json& op = document_["operations"][operation];
  if (!op.is_object()) return {"no operation " + operation + " in the spec subset"};
  const std::string& key = operation;
  const auto template_parts = Split(key.substr(key.find(' ') + 1), '/');
  const auto path_parts = Split(request.path, '/');

  std::map<std::string, std::vector<std::string>> query;
  for (const auto& [name, value] : request.query) query[name].push_back(value);
  std::set<std::string> declared_query;
  const json parameters = op.value("parameters", json::array());
  for (const auto& p : parameters) {
    const std::string name = p.value("name", "");
    const std::string in = p.value("in", "");
    const bool required = p.value("required", false);
    const json schema = p.value("schema", json::object());
    const std::string label = in + " parameter " + name;
    if (in == "path") {
      std::optional<std::string> value;
      for (std::size_t i = 0; i < template_parts.size() && i < path_parts.size(); ++i) {
        if (template_parts[i] == "{" + name + "}") value = path_parts[i];
      }
      if (!value || value->empty()) {
        errors.push_back(label + ": missing");
        continue;
      }
      auto coerced = Coerce(*value, schema);
      if (!coerced) {
        errors.push_back(label + ": \"" + *value + "\" is not of type " + schema.value("type", ""));
        continue;
      }
      for (auto& e : Validate(*coerced, schema, options)) errors.push_back(label + " " + e);
    } else if (in == "query") {
      declared_query.insert(name);
      auto it = query.find(name);
      if (it == query.end()) {
        if (required) errors.push_back(label + ": required but not sent");
        continue;
      }
      const bool is_array = schema.value("type", "") == "array";
      if (!is_array && it->second.size() > 1) {
        errors.push_back(label + ": sent " + std::to_string(it->second.size()) + " times");
      }
      json value;
      if (is_array) {
        value = json::array();
        const json items = schema.value("items", json::object());
        for (const auto& raw : it->second) {
          for (const auto& part : Split(raw, ',')) {
            auto coerced = Coerce(part, items);
            if (!coerced) {
              errors.push_back(label + ": \"" + part + "\" is not of type " +
                               items.value("type", ""));
            } else {
              value.push_back(*coerced);
            }
          }
        }
      } else {
        auto coerced = Coerce(it->second.front(), schema);
        if (!coerced) {
          errors.push_back(label + ": \"" + it->second.front() + "\" is not of type " +
                           schema.value("type", ""));
          continue;
        }
        value = *coerced;
      }
      for (auto& e : Validate(value, schema, options)) errors.push_back(label + " " + e);
    } else if (in == "header") {
      std::optional<std::string> value;
      for (const auto& [h, v] : request.headers) {
        if (Lower(h) == Lower(name)) value = v;
      }
      if (!value) {
        if (required) errors.push_back(label + ": required but not sent");
        continue;
      }
      auto coerced = Coerce(*value, schema);
      if (!coerced) {
        errors.push_back(label + ": \"" + *value + "\" is not of type " + schema.value("type", ""));
        continue;
      }
      for (auto& e : Validate(*coerced, schema, options)) errors.push_back(label + " " + e);
      if (Lower(name) == "cal-api-version" && schema.contains("default") &&
          schema["default"] != json(*value)) {
        errors.push_back(label + ": \"" + *value + "\" is not the operation's version " +
                         schema["default"].dump());
      }
    } else {
      errors.push_back(label + ": parameter location \"" + in + "\" is not supported");
    }
  }
  for (const auto& [name, values] : query) {
    if (!declared_query.count(name)) {
      errors.push_back("query parameter " + name + ": not declared by the operation");
    }
  }

  const auto body_spec = op.find("requestBody");
  if (body_spec == op.end()) {
    if (!request.body.empty()) errors.push_back("body: the operation takes none, sent one");
    return errors;
  }
  if (request.body.empty()) {
    if (body_spec->value("required", false)) errors.push_back("body: required but not sent");
    return errors;
  }
  bool json_content = false;
  for (const auto& [h, v] : request.headers) {
    if (Lower(h) == "content-type" && Lower(v).rfind("application/json", 0) == 0) {
      json_content = true;
    }
  }
  if (!json_content) errors.push_back("body: Content-Type is not application/json");
  const json body = json::parse(request.body, nullptr, false);
  if (body.is_discarded()) {
    errors.push_back("body: not JSON");
    return errors;
  }
  const json schema = (*body_spec)["content"]["application/json"]["schema"];
  for (auto& e : Validate(body, schema, options)) errors.push_back("body " + e);
  return errors;
}

}  // namespace callgate::calcom::testing
