#pragma once
// PostgreSQL array literals of text: many values in one parameter ("{"a","b",NULL}"), for a
// statement that takes a group of items at once (storage::SqlCallEventStore). Every value is an
// element in the text form Session sends a parameter in (whole numbers in decimal, doubles with
// 17 significant digits); NULL stays NULL (unquoted), anything else is quoted with '\' and '"'
// escaped, so the server reads back exactly the text given. A text that holds a NUL byte is cut
// there, as every text parameter is (PostgreSQL text cannot hold NUL).

#include <string>

#include "storage/session.hpp"

namespace callgate::storage {

// Appends `params`' values to `out` as array elements separated by commas, without the braces;
// a caller that joins several such lists puts a comma between them and braces around all.
void AppendArrayElements(const Params& params, std::string& out);

// "{…}" holding `params`' values.
std::string TextArrayLiteral(const Params& params);

}  // namespace callgate::storage
