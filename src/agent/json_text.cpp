#include "agent/json_text.hpp"

#include <charconv>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string_view>

namespace callgate::agent {
namespace {

using nlohmann::json;

std::string NlohmannDump(const json& value) {
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

bool IsContinuation(unsigned char c) { return (c & 0xC0) == 0x80; }

// Whether `text` is well-formed UTF-8 (RFC 3629: no overlong forms, no surrogates, nothing
// above U+10FFFF) with no character JSON escapes (quote, backslash, controls below 0x20).
bool CopiesAsIs(std::string_view text) {
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const auto* end = p + text.size();
  while (p < end) {
    const unsigned char c = *p;
    if (c < 0x80) {
      if (c < 0x20 || c == '"' || c == '\\') return false;
      ++p;
      continue;
    }
    std::size_t length = 0;
    unsigned char low = 0x80;  // the second byte's bounds
    unsigned char high = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) {
      length = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
      length = 3;
      if (c == 0xE0) low = 0xA0;
      if (c == 0xED) high = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      length = 4;
      if (c == 0xF0) low = 0x90;
      if (c == 0xF4) high = 0x8F;
    } else {
      return false;
    }
    if (static_cast<std::size_t>(end - p) < length) return false;
    if (p[1] < low || p[1] > high) return false;
    for (std::size_t i = 2; i < length; ++i) {
      if (!IsContinuation(p[i])) return false;
    }
    p += length;
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
