#pragma once
// Small text helpers shared by the header parsers and the platform adapters: trimming HTTP's
// optional whitespace, case folding of tokens (bytes outside ASCII are left as they are; no
// locale is consulted), and cutting UTF-8 text to a length without splitting a character.

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

// The longest prefix of `text` of at most `max_bytes` bytes that does not end inside a UTF-8
// sequence: a cut never leaves half a character behind (strict JSON writers refuse it, and a
// stored name would end in a broken byte).
constexpr std::string_view Utf8Prefix(std::string_view text, std::size_t max_bytes) noexcept {
  if (text.size() <= max_bytes) return text;
  std::size_t end = max_bytes;  // text[end] is the first byte left out
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  return text.substr(0, end);
}

}  // namespace callgate
