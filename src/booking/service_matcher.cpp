#include "booking/service_matcher.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <limits>

namespace callgate::booking {

std::string NormalizeWord(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (c == 0xC3 && i + 1 < text.size()) {
      const unsigned char n = static_cast<unsigned char>(text[i + 1]);
      const char* folded = nullptr;
      switch (n) {
        case 0xA4:
        case 0x84:
          folded = "ae";
          break;  // ä Ä
        case 0xB6:
        case 0x96:
          folded = "oe";
          break;  // ö Ö
        case 0xBC:
        case 0x9C:
          folded = "ue";
          break;  // ü Ü
        case 0x9F:
          folded = "ss";
          break;  // ß
        default:
          break;
      }
      if (folded != nullptr) {
        out += folded;
        ++i;
        continue;
      }
    }
    if (std::isalnum(c)) out.push_back(static_cast<char>(std::tolower(c)));
  }
  return out;
}

int EditDistance(std::string_view a, std::string_view b) {
  std::vector<int> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = static_cast<int>(j);
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = static_cast<int>(i);
    for (size_t j = 1; j <= b.size(); ++j) {
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] != b[j - 1])});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

Result<tenancy::Service> MatchService(const std::vector<tenancy::Service>& services,
                                      std::string_view wanted) {
  if (services.empty()) return Fail(ErrorCode::kNotFound, "no services offered here");
  const std::string key = NormalizeWord(wanted);
  if (key.empty()) {
    for (const auto& s : services) {
      if (s.is_default) return s;
    }
    if (services.size() == 1) return services.front();
    return Fail(ErrorCode::kNotFound, "which service?");
  }
  std::int64_t id = 0;
  auto [p, ec] = std::from_chars(wanted.data(), wanted.data() + wanted.size(), id);
  if (ec == std::errc() && p == wanted.data() + wanted.size()) {
    for (const auto& s : services) {
      if (s.id.value == id) return s;
    }
    return Fail(ErrorCode::kNotFound, "no service with that id here");
  }
  const tenancy::Service* best = nullptr;
  int best_distance = std::numeric_limits<int>::max();
  for (const auto& s : services) {
    std::vector<std::string> names{NormalizeWord(s.name)};
    for (const auto& syn : s.synonyms) names.push_back(NormalizeWord(syn));
    for (const auto& name : names) {
      if (name.empty()) continue;
      // An exact name is the best match there can be, and the first one wins below anyway.
      if (name == key) return s;
      int d = EditDistance(key, name);
      // "Beratung" inside "Erstberatung" or the other way round is a strong hint.
      if (d > 0 && key.size() >= 5 &&
          (name.find(key) != std::string::npos || key.find(name) != std::string::npos)) {
        d = 1;
      }
      if (d < best_distance) {
        best_distance = d;
        best = &s;
      }
    }
  }
  const int allowed = std::max<int>(1, static_cast<int>(key.size()) / 4);
  if (best == nullptr || best_distance > allowed) {
    return Fail(ErrorCode::kNotFound, "no such service");
  }
  return *best;
}

}  // namespace callgate::booking
