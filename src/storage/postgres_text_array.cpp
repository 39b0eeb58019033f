#include "storage/postgres_text_array.hpp"

#include <array>
#include <charconv>
#include <cstdio>
#include <string_view>

namespace callgate::storage {

void AppendArrayElements(const Params& params, std::string& out) {
  bool first = true;
  for (const Params::Value& v : params.values()) {
    if (!first) out += ',';
    first = false;
    if (v.is_null) {
      out += "NULL";
      continue;
    }
    std::array<char, 32> number{};
    out += '"';
    if (v.kind == Params::Kind::kInt) {
      out.append(number.data(),
                 std::to_chars(number.data(), number.data() + number.size(), v.integer).ptr);
    } else if (v.kind == Params::Kind::kDouble) {
      std::snprintf(number.data(), number.size(), "%.17g", v.real);  // round-trips exactly
      out += number.data();
    } else {
      // Up to the first NUL, like a text parameter (libpq takes C strings).
      const std::string_view text(v.text.c_str());
      std::size_t from = 0;
      for (std::size_t at = text.find_first_of("\"\\"); at != std::string_view::npos;
           at = text.find_first_of("\"\\", from)) {
        out.append(text.substr(from, at - from));
        out += '\\';
        out += text[at];
        from = at + 1;
      }
      out.append(text.substr(from));
    }
    out += '"';
  }
}

std::string TextArrayLiteral(const Params& params) {
  std::string out = "{";
  AppendArrayElements(params, out);
  out += '}';
  return out;
}

}  // namespace callgate::storage
