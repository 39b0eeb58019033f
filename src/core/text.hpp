#pragma once
// Small text helpers shared by the header parsers and the platform adapters: trimming HTTP's
// optional whitespace, case folding of tokens (bytes outside ASCII are left as they are; no
// locale is consulted), cutting UTF-8 text to a length without splitting a character, and
// telling well-formed UTF-8 from bytes that are not.

#include <string>
#include <string_view>

namespace callgate {

// `text` without leading and trailing spaces and tabs (HTTP's optional whitespace).
constexpr std::string_view TrimBlanks(std::string_view text) noexcept {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

// The length in bytes of the control character (as HasControlCharacter counts them) that begins
// at text[i]; 0 when none does.
constexpr std::size_t ControlCharacterAt(std::string_view text, std::size_t i) noexcept {
  const auto byte = static_cast<unsigned char>(text[i]);
  if (byte < 0x20 || byte == 0x7f) return 1;
  const auto next = [&](std::size_t k) {
    return i + k < text.size() ? static_cast<unsigned char>(text[i + k]) : 0;
  };
  if (byte == 0xc2 && next(1) >= 0x80 && next(1) <= 0x9f) return 2;  // C1
  if (byte == 0xe2 && next(1) == 0x80 && next(2) >= 0xa8 && next(2) <= 0xae) return 3;
  if (byte == 0xe2 && next(1) == 0x81 && next(2) >= 0xa6 && next(2) <= 0xa9) return 3;
  return 0;
}

// Whether `text` holds a control character: C0 (U+0000–U+001F), DEL (U+007F), C1 (U+0080–U+009F,
// NEL among them), the line and paragraph separators (U+2028, U+2029) or a bidirectional
// embedding, override or isolate (U+202A–U+202E, U+2066–U+2069). None is ever part of a name
// the agent speaks, a page shows or a log line carries: a NUL ends C strings, a line break
// starts a new log line, a bidirectional override shows the text in another order than stored.
// Looks at UTF-8 sequences only; bytes that are not UTF-8 are left to the caller's checks.
constexpr bool HasControlCharacter(std::string_view text) noexcept {
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (ControlCharacterAt(text, i) != 0) return true;
  }
  return false;
}

// `text` with each control character (as HasControlCharacter counts them) replaced by a space:
// for text a caller dictated, which is kept rather than refused.
inline std::string BlankControlCharacters(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    if (const std::size_t n = ControlCharacterAt(text, i); n != 0) {
      out += ' ';
      i += n;
    } else {
      out += text[i++];
    }
  }
  return out;
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

// The length of the well-formed UTF-8 character that starts at text[i] (RFC 3629: no overlong
// forms, no surrogates, nothing above U+10FFFF): 1 for ASCII, 2 to 4 otherwise, 0 when the bytes
// there are not one (a stray continuation byte, a cut or invalid sequence, i past the end).
constexpr std::size_t Utf8CharLength(std::string_view text, std::size_t i) noexcept {
  if (i >= text.size()) return 0;
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char c = byte(i);
  if (c < 0x80) return 1;
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
    return 0;
  }
  if (text.size() - i < length) return 0;
  if (byte(i + 1) < low || byte(i + 1) > high) return 0;
  for (std::size_t k = 2; k < length; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
  }
  return length;
}

}  // namespace callgate
