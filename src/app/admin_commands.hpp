#pragma once
// The admin identity commands (docs/admin-api.md):
//   callgate admin create-user --email E --role R [--company SLUG] [--name N] [--password-stdin]
//   callgate admin create-token --email E [--days N] [--ability A]... [--name N]
//   callgate admin revoke-token --id N
// They need a current schema (`callgate migrate`). create-token prints the token once, on the
// last line of stdout; only its SHA-256 is stored.

#include <iosfwd>
#include <string>
#include <vector>

#include "app/config.hpp"
#include "core/clock.hpp"

namespace callgate::app {

struct AdminCommandOptions {
  std::string action;  // create-user | create-token | revoke-token
  std::string email;
  std::string role;
  std::string company_slug;
  std::string name;
  bool password_stdin = false;
  int days = 0;  // 0 = the default lifetime (90 days)
  std::vector<std::string> abilities;
  long long token_id = 0;
};

// Runs one `callgate admin` action. The password, when asked for, is the first line of `in`.
// Prints results to stdout and errors to stderr; returns the exit code (0 ok, 1 failure,
// 2 bad usage or invalid input).
int RunAdminCommand(const Config& config, const Clock& clock, const AdminCommandOptions& options,
                    std::istream& in);

}  // namespace callgate::app
