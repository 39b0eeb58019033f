#pragma once
// PostgreSQL placeholders: callgate's SQL names its parameters ":name"; libpq takes "$1", "$2" …
// NumberPlaceholders rewrites one into the other exactly as SOCI's PostgreSQL backend did for
// callgate's statements before they went to libpq directly (storage/session.cpp), so every
// statement means the same on either path:
//   - each ":name" (letters, digits, '_') becomes the next "$n", in order of appearance — the
//     same name twice is two parameters (parameters bind by position, session.hpp);
//   - "::" (a cast, also right after a name: ":id::bigint") and ":=" stay as they are;
//   - nothing inside '…' or "…" changes.

#include <string>
#include <string_view>

namespace callgate::storage {

std::string NumberPlaceholders(std::string_view sql);

}  // namespace callgate::storage
