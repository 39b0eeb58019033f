#pragma once
// Masking of personal data for logs and error messages (docs/privacy.md): enough to tell two
// callers apart while debugging, not enough to call or write to them.

#include <string>
#include <string_view>

namespace callgate {

namespace masking_internal {
// MaskPhone's rule on a number already reduced to its digits and a leading '+'.
inline std::string MaskCompactPhone(std::string_view compact) {
  const std::size_t n = compact.size();
  if (n >= 10) {
    const std::size_t keep = n - 8 < 6 ? n - 8 : 6;  // n - keep - 3 >= 5 hidden
    return std::string(compact.substr(0, keep)) + "****" + std::string(compact.substr(n - 3));
  }
  return std::string(compact.substr(0, n < 3 ? n : 3)) + "****";
}
}  // namespace masking_internal

// "+4915112345678" → "+49151****678": the number's digits (and a leading '+'; everything else,
// spaces, separators, letters, is dropped first: "030 1234567" is "0301234567"), of which at most
// the first six characters (the country and network prefix) and the last three digits stay, and
// never fewer than five digits are hidden, so a shorter number keeps less of its prefix:
// "+493083793369" → "+4930****369", "0301234567" → "03****567". Fewer than ten characters keep
// at most their first three: "+4930" → "+49****".
inline std::string MaskPhone(std::string_view phone) {
  std::string compact;
  compact.reserve(phone.size());
  for (const char c : phone) {
    if ((c >= '0' && c <= '9') || (c == '+' && compact.empty())) compact += c;
  }
  return masking_internal::MaskCompactPhone(compact);
}

// The mask MaskPhone made before 6 December 2026: the first six characters as given, "****", the
// last three ("+493083793369" → "+49308****369"). Not for new output; it hid too little of
// shorter numbers. Audit entries written then name a number this way, so a person's access
// request looks their entries up under it too.
inline std::string MaskPhoneBefore6December2026(std::string_view phone) {
  if (phone.size() >= 10) {
    return std::string(phone.substr(0, 6)) + "****" + std::string(phone.substr(phone.size() - 3));
  }
  return std::string(phone.substr(0, phone.size() < 3 ? phone.size() : 3)) + "****";
}

// "otto@example.org" → "o***@example.org"; text without '@' → "***".
inline std::string MaskEmail(std::string_view email) {
  const auto at = email.find('@');
  if (at == std::string_view::npos || at == 0) return "***";
  return std::string(email.substr(0, 1)) + "***" + std::string(email.substr(at));
}

namespace masking_internal {
inline bool IsDigit(char c) { return c >= '0' && c <= '9'; }
inline bool IsAlnum(char c) {
  return IsDigit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
inline bool IsLocalChar(char c) {
  return IsAlnum(c) || c == '.' || c == '_' || c == '%' || c == '+' || c == '-';
}
inline bool IsDomainChar(char c) { return IsAlnum(c) || c == '.' || c == '-'; }
inline bool IsPhoneSeparator(char c) {
  return c == ' ' || c == '-' || c == '/' || c == '(' || c == ')';
}
// A number written without '+' or a trunk prefix, as APIs pass E.164 digits: a country code of
// Germany, Austria or Switzerland ("4915112345678"; at least 11 digits are asked for then).
inline bool StartsDachCountryCode(std::string_view text, std::size_t i) {
  return i + 1 < text.size() && text[i] == '4' &&
         (text[i + 1] == '9' || text[i + 1] == '3' || text[i + 1] == '1');
}
// "example.org": dotted, ending in a top-level domain of letters (so "127.0.0.1" is none).
inline bool IsMailDomain(std::string_view domain) {
  const auto dot = domain.rfind('.');
  if (domain.empty() || domain.front() == '.' || dot == std::string_view::npos) return false;
  const std::string_view tld = domain.substr(dot + 1);
  if (tld.size() < 2) return false;
  for (char c : tld) {
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))) return false;
  }
  return true;
}
}  // namespace masking_internal

// Masks every e-mail address and phone number in free text (error details, log fields):
// "+4915112345678", "+49 151 1234 5678", "+49 (151) 12345678", "0151 / 1234 5678",
// "0151/12345678", "0049…" and "4915112345678" become "+49151****678" style masks,
// "otto@example.org" becomes "o***@example.org". A phone number is a run that starts with '+'
// or '0' (then with an area code of three digits or more) and holds at least 8 digits, with at
// most three spaces, dashes, slashes or parentheses between two digits; or a run of at least 11
// digits alone that starts with 49, 43 or 41. It is not part of a longer word. Other text passes
// unchanged.
inline std::string MaskPersonalData(std::string_view text) {
  using namespace masking_internal;
  std::string out;
  out.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    const char c = text[i];
    // E-mail: local part before '@' (already copied to out) and a dotted domain after it.
    if (c == '@' && i > 0 && IsLocalChar(text[i - 1])) {
      std::size_t end = i + 1;
      while (end < text.size() && IsDomainChar(text[end])) ++end;
      while (end > i + 1 && (text[end - 1] == '.' || text[end - 1] == '-')) --end;  // "… a@b.de."
      const std::string_view domain = text.substr(i + 1, end - i - 1);
      if (IsMailDomain(domain)) {
        std::size_t start = out.size();
        while (start > 0 && IsLocalChar(out[start - 1])) --start;
        const std::string local = out.substr(start);
        out.resize(start);
        out += MaskEmail(local + "@" + std::string(domain));
        i = end;
        continue;
      }
    }
    const bool bare = StartsDachCountryCode(text, i);
    const bool starts_phone =
        (c == '+' && i + 1 < text.size() && IsDigit(text[i + 1])) || c == '0' || bare;
    if (starts_phone && (i == 0 || !IsAlnum(text[i - 1]))) {
      std::string digits = c == '+' ? "+" : "";
      std::size_t end = c == '+' ? i + 1 : i;
      std::size_t digit_count = 0;
      bool first_group = true;
      while (end < text.size()) {
        if (IsDigit(text[end])) {
          digits += text[end];
          ++digit_count;
          ++end;
        } else if (IsPhoneSeparator(text[end]) && end > i && IsDigit(text[end - 1])) {
          // Bare digits are E.164 as APIs write it, unseparated ("ports 4317 4318 9090" is
          // no number); after a leading 0 the area code has three digits or more ("0 - 100").
          if (bare || (first_group && c == '0' && digit_count < 3)) break;
          first_group = false;
          // At most three separators between two digits: "0151 / 1234", "+49 (151) 1234".
          std::size_t next = end;
          while (next < text.size() && next - end < 3 && IsPhoneSeparator(text[next])) ++next;
          if (next == text.size() || !IsDigit(text[next])) break;
          end = next;
        } else {
          break;
        }
      }
      const bool word_goes_on = end < text.size() && IsAlnum(text[end]);
      if (digit_count >= (bare ? 11u : 8u) && !word_goes_on) {
        out += MaskCompactPhone(digits);
        i = end;
        continue;
      }
    }
    out += c;
    ++i;
  }
  return out;
}

}  // namespace callgate
