#pragma once
// Finds the service a caller means: by id, exact name, synonym, or a close spelling (speech
// recognition mangles words), else the default service when nothing was said.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "tenancy/model.hpp"

namespace callgate::booking {

// Lower-case, umlauts folded (ä→ae, ß→ss), only letters and digits kept. "Erst-Beratung" →
// "erstberatung".
std::string NormalizeWord(std::string_view text);

// Levenshtein distance over bytes.
int EditDistance(std::string_view a, std::string_view b);

// `services` are those offered at the caller's branch. `wanted` is what the agent passed (a
// name, a synonym or a numeric id); empty → the default service (or the only one). kNotFound
// when nothing matches closely enough (distance ≤ max(1, len/4)).
Result<tenancy::Service> MatchService(const std::vector<tenancy::Service>& services,
                                      std::string_view wanted);

}  // namespace callgate::booking
