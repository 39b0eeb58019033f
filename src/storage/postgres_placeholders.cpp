#include "storage/postgres_placeholders.hpp"

#include <cctype>

namespace callgate::storage {

std::string NumberPlaceholders(std::string_view sql) {
  enum class State { kNormal, kInQuotes, kInIdentifier, kInName };
  std::string out;
  out.reserve(sql.size() + 16);
  State state = State::kNormal;
  int position = 1;
  const auto next_is = [&](std::size_t i, char c) { return i + 1 < sql.size() && sql[i + 1] == c; };
  for (std::size_t i = 0; i < sql.size(); ++i) {
    const char c = sql[i];
    switch (state) {
      case State::kNormal:
        if (c == '\'') {
          state = State::kInQuotes;
        } else if (c == '"') {
          state = State::kInIdentifier;
        } else if (c == ':' && (next_is(i, ':') || next_is(i, '='))) {
          out += c;  // "::" or ":="
          ++i;
          out += sql[i];
          continue;
        } else if (c == ':') {
          state = State::kInName;
          continue;
        }
        out += c;
        break;
      case State::kInQuotes:
        if (c == '\'') state = State::kNormal;
        out += c;
        break;
      case State::kInIdentifier:
        if (c == '"') state = State::kNormal;
        out += c;
        break;
      case State::kInName:
        if (std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_') continue;
        out += '$';
        out += std::to_string(position++);
        out += c;
        state = State::kNormal;
        if (c == ':' && next_is(i, ':')) {  // ":name::type"
          out += ':';
          ++i;
        }
        break;
    }
  }
  if (state == State::kInName) {
    out += '$';
    out += std::to_string(position);
  }
  return out;
}

}  // namespace callgate::storage
