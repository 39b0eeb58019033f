#pragma once
// Compact JSON text of a tool answer: the same bytes as nlohmann's
// dump(-1, ' ', false, error_handler_t::replace) (objects in key order, invalid UTF-8 replaced
// by U+FFFD), written without its per-byte decoding for the common strings — printable ASCII
// and well-formed UTF-8 without characters to escape, which are copied as they are. Strings
// that need escaping or replacing, and floating-point numbers, are written by nlohmann.

#include <nlohmann/json_fwd.hpp>
#include <string>

namespace callgate::agent {

std::string DumpJson(const nlohmann::json& value);

}  // namespace callgate::agent
