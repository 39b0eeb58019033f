#include "agent/json_text.hpp"

#include <charconv>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string_view>

#include "core/text.hpp"

namespace callgate::agent {
namespace {

using nlohmann::json;

std::string NlohmannDump(const json& value) {
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

// Whether `text` is well-formed UTF-8 with no character JSON escapes (quote, backslash,
// controls below 0x20).
bool CopiesAsIs(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x20 || c == '"' || c == '\\') return false;
    const std::size_t length = Utf8CharLength(text, i);
    if (length == 0) return false;
    i += length;
  }
  return true;
}

void WriteString(const std::string& text, std::string& out) {
  if (!CopiesAsIs(text)) {
    out += NlohmannDump(json(text));
    return;
  }
  out += '"';
  out += text;
  out += '"';
}

template <typename Integer>
void WriteInteger(Integer value, std::string& out) {
  char digits[24];
  const auto written = std::to_chars(digits, digits + sizeof digits, value);
  out.append(digits, written.ptr);
}

void Write(const json& value, std::string& out) {
  switch (value.type()) {
    case json::value_t::object: {
      out += '{';
      bool first = true;
      for (const auto& [key, member] : value.get_ref<const json::object_t&>()) {
        if (!first) out += ',';
        first = false;
        WriteString(key, out);
        out += ':';
        Write(member, out);
      }
      out += '}';
      return;
    }
    case json::value_t::array: {
      out += '[';
      bool first = true;
      for (const auto& element : value.get_ref<const json::array_t&>()) {
        if (!first) out += ',';
        first = false;
        Write(element, out);
      }
      out += ']';
      return;
    }
    case json::value_t::string:
      return WriteString(value.get_ref<const std::string&>(), out);
    case json::value_t::boolean:
      out += value.get<bool>() ? "true" : "false";
      return;
    case json::value_t::number_integer:
      return WriteInteger(value.get<std::int64_t>(), out);
    case json::value_t::number_unsigned:
      return WriteInteger(value.get<std::uint64_t>(), out);
    case json::value_t::null:
      out += "null";
      return;
    default:  // floating point, binary, discarded
      out += NlohmannDump(value);
      return;
  }
}

}  // namespace

std::string DumpJson(const nlohmann::json& value) {
  std::string out;
  out.reserve(256);
  Write(value, out);
  return out;
}

}  // namespace callgate::agent
