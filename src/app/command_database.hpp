#pragma once
// The database as the one-shot commands (admin, jobs, privacy, keys) open it: the configured
// keyring for sealed columns, and a schema this build understands (else kUnavailable with the
// hint to run `callgate migrate`). One place, so every command reads sealed data alike.

#include <cstddef>
#include <memory>
#include <string_view>

#include "app/config.hpp"
#include "core/clock.hpp"
#include "core/result.hpp"
#include "storage/database.hpp"

namespace callgate::app {

Result<std::unique_ptr<storage::Database>> OpenMigratedDatabase(const Config& config,
                                                                const Clock& clock,
                                                                std::size_t pool_size = 1);

// A one-shot command's failure: "<prefix>: <what>: <message>" on stderr, and the exit status
// (2 for invalid input, 1 otherwise).
int CommandFailed(std::string_view prefix, std::string_view what, const Error& error);

}  // namespace callgate::app
