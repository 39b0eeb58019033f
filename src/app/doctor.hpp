#pragma once
// callgate doctor: checks a configuration before go-live and says how to fix what fails.
//
// Checks, in order (later ones need earlier ones; a skipped one fails naming the reason):
//   environment          the variables parse (LoadConfig); unknown CALLGATE_* names warn (typos)
//   database             CALLGATE_DATABASE_URL opens and answers
//   migrations           every migration of this build is applied, none unknown to it
//   clock                PostgreSQL's clock within 2 s of this host's
//   redis                CALLGATE_REDIS_URL answers PING (ok "not configured" without one)
//   master_key           CALLGATE_MASTER_KEY_FILE / CALLGATE_MASTER_KEY holds base64 of 32
//                        bytes; required outside APP_ENV=local
//   proxy                outside local: warns without TRUSTED_PROXIES (behind a proxy, or
//                        serving plain HTTP directly)
//   retell_key[<slug>]   per active company: its own Retell key or the platform key is set
//   calcom_key[<slug>]   per active company: Cal.com accepts its key (or the platform key)
//   event_types[<slug>]  per active company: every active service names an event type that
//                        exists in that Cal.com account
//   phone_numbers[<slug>] per active company: every number of a company with several branches
//                        is mapped to a branch
// Cal.com is asked through the same CalcomClient the server uses (GET /v2/event-types), so a
// self-hosted CALCOM_BASE_URL or the local stand-in (`callgate fake-calcom`) work alike.

#include <string>
#include <vector>

#include "app/config.hpp"
#include "core/clock.hpp"

namespace callgate::app {

struct DoctorCheck {
  enum class Status { kOk, kWarning, kFail };
  std::string name;
  Status status = Status::kOk;
  std::string detail;  // what was found (never a secret)
  std::string fix;     // what to do; empty when ok
};

// Runs every check for `env` (as ReadEnvironment returns it; the master key variables are also
// read from the process environment). Never throws; network checks use Cal.com's and Redis'
// configured timeouts.
std::vector<DoctorCheck> RunDoctor(const Environment& env, const Clock& clock);

// True when no check failed (warnings pass).
bool DoctorPassed(const std::vector<DoctorCheck>& checks);

// One line per check: `ok    <name>  <detail>`, `WARN  …` or `FAIL  <name>  <detail> — fix: …`.
std::string DoctorText(const std::vector<DoctorCheck>& checks);

// {"ok": bool, "checks": [{"name", "status": "ok"|"warning"|"fail", "detail", "fix"}]}
std::string DoctorJson(const std::vector<DoctorCheck>& checks);

// `callgate doctor [--json]`: reads the environment of the working directory, prints the
// report, returns 0 when every check passed, else 1.
int RunDoctorCommand(bool json);

}  // namespace callgate::app
