#pragma once
// Small ASCII text helpers shared by the header parsers and the platform adapters: trimming
// HTTP's optional whitespace and case folding of tokens. Bytes outside ASCII are left as they
// are (no locale is consulted).

#include <string>
#include <string_view>

namespace callgate {

// `text` without leading and trailing spaces and tabs (HTTP's optional whitespace).
constexpr std::string_view TrimBlanks(std::string_view text) noexcept {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

// `text` with A–Z folded to a–z.
inline std::string LowerAscii(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

}  // namespace callgate
