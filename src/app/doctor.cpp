#include "app/doctor.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <sstream>

#include "calcom/calcom_client.hpp"
#include "observability/log.hpp"
#include "observability/metrics.hpp"
#include "redis/client.hpp"
#include "redis/redis_url.hpp"
#include "storage/database.hpp"
#include "storage/database_url.hpp"
#include "storage/migrator.hpp"
#include "storage/sealed_columns.hpp"
#include "storage/session.hpp"
#include "storage/sql_tenancy_repositories.hpp"

extern char** environ;  // NOLINT: POSIX, for unknown CALLGATE_* variables

namespace callgate::app {
namespace {

using CheckStatus = DoctorCheck::Status;

DoctorCheck Passed(std::string name, std::string detail) {
  return {std::move(name), CheckStatus::kOk, std::move(detail), ""};
}
DoctorCheck Failed(std::string name, std::string detail, std::string fix) {
  return {std::move(name), CheckStatus::kFail, std::move(detail), std::move(fix)};
}

std::string Trim(std::string s) {
  const auto not_space = [](unsigned char c) { return !std::isspace(c); };
  s.erase(s.begin(), std::find_if(s.begin(), s.end(), not_space));
  s.erase(std::find_if(s.rbegin(), s.rend(), not_space).base(), s.end());
  return s;
}

// Decoded length of standard base64 text, or nullopt when it is not base64.
std::optional<std::size_t> Base64DecodedSize(const std::string& text) {
  if (text.empty() || text.size() % 4 != 0) return std::nullopt;
  std::string out(text.size() / 4 * 3, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(text.data()),
                                static_cast<int>(text.size()));
  if (n < 0) return std::nullopt;
  std::size_t padding = 0;
  if (text.ends_with("==")) {
    padding = 2;
  } else if (text.ends_with("=")) {
    padding = 1;
  }
  return static_cast<std::size_t>(n) - padding;
}

// The environment map first, then the process (the variables may be unknown to LoadConfig).
std::string Variable(const Environment& env, const std::string& name) {
  if (auto it = env.find(name); it != env.end()) return it->second;
  const char* value = std::getenv(name.c_str());
  return value ? value : "";
}

DoctorCheck CheckEnvironment(const Environment& env, const Config& config) {
  // Names a deployment sets that this build does not know: usually a typo that silently keeps
  // the default. The master key variables are read by doctor itself.
  std::set<std::string> known(KnownVariables().begin(), KnownVariables().end());
  std::set<std::string> unknown;
  auto consider = [&](const std::string& name) {
    if (!name.starts_with("CALLGATE_") || name.starts_with("CALLGATE_MASTER_KEY")) return;
    if (name.starts_with("CALLGATE_TEST_") || name.starts_with("CALLGATE_FAKE_")) return;
    if (!known.contains(name)) unknown.insert(name);
  };
  for (const auto& [name, value] : env) consider(name);
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    const std::string entry(*e);
    consider(entry.substr(0, entry.find('=')));
  }
  const std::string summary =
      "APP_ENV=" + std::string(AppEnvName(config.app_env)) + ", every variable valid";
  if (unknown.empty()) return Passed("environment", summary);
  std::string names;
  for (const auto& name : unknown) names += (names.empty() ? "" : ", ") + name;
  return {"environment", CheckStatus::kWarning, summary + "; unknown to this build: " + names,
          "correct or remove them (docs/configuration.md lists every variable)"};
}

DoctorCheck CheckMasterKey(const Environment& env, const Config& config) {
  const bool required = config.app_env != AppEnv::kLocal;
  const std::string file = Variable(env, "CALLGATE_MASTER_KEY_FILE");
  const std::string value = Variable(env, "CALLGATE_MASTER_KEY");
  const std::string create =
      "create one (`head -c 32 /dev/urandom | base64 > /var/lib/callgate/master.key`, "
      "owner callgate, mode 0600) and set CALLGATE_MASTER_KEY_FILE to it";
  std::string text;
  std::string source;
  if (!file.empty()) {
    std::ifstream in(file);
    if (!in) {
      return Failed("master_key", "CALLGATE_MASTER_KEY_FILE " + file + " cannot be read",
                    "check the path and that the callgate user may read it (" + create + ")");
    }
    std::stringstream buf;
    buf << in.rdbuf();
    text = Trim(buf.str());
    source = "CALLGATE_MASTER_KEY_FILE " + file;
  } else if (!value.empty()) {
    text = Trim(value);
    source = "CALLGATE_MASTER_KEY";
  } else if (required) {
    return Failed("master_key",
                  "no CALLGATE_MASTER_KEY_FILE or CALLGATE_MASTER_KEY (required with APP_ENV=" +
                      std::string(AppEnvName(config.app_env)) + ")",
                  create);
  } else {
    return Passed("master_key", "not set (not required with APP_ENV=local)");
  }
  const auto size = Base64DecodedSize(text);
  if (!size || *size != 32) {
    return Failed("master_key", source + " is not base64 of 32 bytes",
                  "replace it with a valid key: " + create);
  }
  return Passed("master_key", source + " holds a 32-byte key");
}

DoctorCheck CheckRedis(const Config& config) {
  if (config.redis_url.empty()) {
    return Passed("redis", "not configured (in-process cache, rate limits and circuit breaker)");
  }
  auto url = redis::ParseRedisUrl(config.redis_url);
  if (!url) return Failed("redis", url.error().message, "correct CALLGATE_REDIS_URL");
  redis::Client client(*url);
  auto pong = client.Command({"PING"});
  if (!pong) {
    return Failed("redis", url->Redacted() + " does not answer: " + pong.error().message,
                  "start Redis or correct CALLGATE_REDIS_URL (`redis-cli -u <url> ping`)");
  }
  if (config.queue_driver != QueueDriver::kRedis) {
    return Passed("redis", url->Redacted() + " answers PING");
  }
  // The queue driver keeps a relayed job only in Redis: it must survive a restart of Redis and
  // never be evicted for memory.
  const auto setting = [&](const char* name) -> std::optional<std::string> {
    auto reply = client.Command({"CONFIG", "GET", name});
    if (!reply || !reply->IsArray() || reply->array().size() != 2) return std::nullopt;
    auto value = reply->array()[1].ToString();
    return value ? std::optional(*value) : std::nullopt;
  };
  const auto append_only = setting("appendonly");
  const auto eviction = setting("maxmemory-policy");
  if (!append_only || !eviction) {
    return {"redis", CheckStatus::kWarning,
            url->Redacted() + " answers PING, but its settings cannot be read (CONFIG GET)",
            "make sure it runs with appendonly yes and maxmemory-policy noeviction: the queue's "
            "jobs live there (docs/deploy.md)"};
  }
  if (*append_only != "yes") {
    return Failed("redis",
                  url->Redacted() +
                      " keeps no append-only file: a restart of Redis loses "
                      "every queued job (CALLGATE_QUEUE_DRIVER=redis)",
                  "set appendonly yes and appendfsync everysec (docs/deploy.md)");
  }
  if (*eviction != "noeviction") {
    return Failed("redis",
                  url->Redacted() + " evicts keys for memory (maxmemory-policy " + *eviction +
                      "): it may drop queued jobs (CALLGATE_QUEUE_DRIVER=redis)",
                  "set maxmemory-policy noeviction (docs/deploy.md)");
  }
  return Passed("redis", url->Redacted() +
                             " answers PING and keeps the queue's jobs "
                             "(appendonly yes, noeviction)");
}

// Cal.com checks of one active company: its key, its services' event types.
void CheckCompany(const tenancy::Company& company, const Config& config,
                  calcom::CalcomClient& calcom, storage::Database& db, const Clock& clock,
                  std::vector<DoctorCheck>& out) {
  const std::string key_check = "calcom_key[" + company.slug + "]";
  const std::string types_check = "event_types[" + company.slug + "]";
  booking::CalendarAccount account;
  account.api_key = company.calcom_api_key.empty() ? config.calcom_api_key : company.calcom_api_key;
  account.base_url = config.calcom_base_url;
  const std::string key_source = company.calcom_api_key.empty() ? "platform key" : "company key";
  const std::string set_key =
      "set the company's calcom_api_key (tenant file + `callgate seed --file`, or the admin API)";
  if (account.api_key.empty()) {
    out.push_back(Failed(key_check, "no Cal.com API key (none for the company, no CALCOM_API_KEY)",
                         set_key + " or CALCOM_API_KEY"));
    out.push_back(Failed(types_check, "not checked: no Cal.com API key", "fix " + key_check));
    return;
  }
  auto types = calcom.ListEventTypes(account);
  if (!types) {
    if (types.error().code == ErrorCode::kUnauthenticated ||
        types.error().code == ErrorCode::kPermissionDenied) {
      out.push_back(Failed(key_check,
                           "Cal.com rejects the " + key_source + " (" + types.error().message + ")",
                           set_key + " to a valid key of the company's Cal.com account"));
    } else {
      out.push_back(Failed(
          key_check,
          "Cal.com at " + config.calcom_base_url + " cannot be asked: " + types.error().message,
          "check CALCOM_BASE_URL and that this host reaches it over HTTPS"));
    }
    out.push_back(Failed(types_check, "not checked: Cal.com did not answer", "fix " + key_check));
    return;
  }
  out.push_back(Passed(key_check, "Cal.com accepts the " + key_source + " (" +
                                      std::to_string(types->size()) + " event types)"));

  std::set<std::int64_t> existing;
  std::set<std::int64_t> recurring;
  for (const auto& t : *types) {
    existing.insert(t.id);
    if (t.recurring) recurring.insert(t.id);
  }
  storage::SqlServiceRepository services(db, clock);
  auto list = services.ListForCompany(company.id);
  if (!list) {
    out.push_back(Failed(types_check, "cannot read services: " + list.error().message,
                         "see the database check"));
    return;
  }
  std::string problems;
  int checked = 0;
  for (const auto& service : *list) {
    if (!service.is_active) continue;
    ++checked;
    if (!service.calcom_event_type_id) {
      problems += (problems.empty() ? "" : "; ") + ("service '" + service.name + "' has none");
    } else if (!existing.contains(*service.calcom_event_type_id)) {
      problems += (problems.empty() ? "" : "; ") +
                  ("service '" + service.name + "' names event type " +
                   std::to_string(*service.calcom_event_type_id) + ", not in the account");
    } else if (recurring.contains(*service.calcom_event_type_id)) {
      problems += (problems.empty() ? "" : "; ") +
                  ("service '" + service.name + "' names event type " +
                   std::to_string(*service.calcom_event_type_id) +
                   ", which is recurring (phone bookings make single appointments)");
    }
  }
  if (!problems.empty()) {
    out.push_back(Failed(types_check, problems,
                         "set calcom_event_type_id to a non-recurring event type of the account "
                         "(GET /v2/event-types) in the tenant file and seed it again"));
  } else {
    out.push_back(Passed(types_check, std::to_string(checked) +
                                          " active services, every event type exists in Cal.com"));
  }
}

DoctorCheck CheckPhoneNumbers(const tenancy::Company& company, storage::Database& db,
                              const Clock& clock) {
  const std::string name = "phone_numbers[" + company.slug + "]";
  storage::SqlBranchRepository branches(db, clock);
  storage::SqlPhoneNumberRepository numbers(db, clock);
  auto branch_list = branches.ListForCompany(company.id);
  auto number_list = numbers.ListForCompany(company.id);
  if (!branch_list || !number_list) {
    return Failed(name, "cannot read branches or numbers", "see the database check");
  }
  if (number_list->empty()) {
    return {name, CheckStatus::kWarning, "no phone number: no call can reach this company",
            "add phone_numbers to a branch in the tenant file and seed it again"};
  }
  std::string unmapped;
  if (branch_list->size() > 1) {
    for (const auto& n : *number_list) {
      if (!n.branch_id) unmapped += (unmapped.empty() ? "" : ", ") + n.number_e164;
    }
  }
  if (!unmapped.empty()) {
    return Failed(name,
                  "not mapped to one of its " + std::to_string(branch_list->size()) +
                      " branches: " + unmapped,
                  "list each number under its branch in the tenant file and seed it again");
  }
  return Passed(name, std::to_string(number_list->size()) + " number(s), each reaches a branch");
}

// PostgreSQL's clock against ours: signature windows, slot times and job schedules assume both
// agree. The embedded database shares this host's clock.
DoctorCheck CheckClock(storage::Database& db, const Clock& clock) {
  if (db.dialect() != storage::Dialect::kPostgresql) {
    return Passed("clock", "embedded database: same clock as this host");
  }
  auto server_ms = db.Run([](storage::Session& s) -> Result<std::int64_t> {
    std::int64_t ms = 0;
    s.Query("CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS BIGINT) AS now_ms", "", {},
            [&](const storage::Row& r) { ms = r.Int64("now_ms"); });
    return ms;
  });
  if (!server_ms) {
    return Failed("clock", "cannot read the database server's time: " + server_ms.error().message,
                  "see the database check");
  }
  const auto local_ms = ToUnixMillis(clock.Now());
  const auto skew_ms = *server_ms > local_ms ? *server_ms - local_ms : local_ms - *server_ms;
  const std::string detail =
      "database server and this host differ by " + std::to_string(skew_ms) + " ms";
  if (skew_ms > 2000) {
    return Failed("clock", detail,
                  "synchronise both clocks (systemd-timesyncd or chrony: `timedatectl status`)");
  }
  return Passed("clock", detail);
}

// Behind a reverse proxy every request comes from the proxy: without TRUSTED_PROXIES rate limits,
// the Retell IP allow-list and logs see the proxy's address, not the caller's.
DoctorCheck CheckProxies(const Config& config) {
  const bool loopback = config.listen_host == "127.0.0.1" || config.listen_host == "::1" ||
                        config.listen_host == "localhost";
  if (!config.trusted_proxies.empty()) {
    return Passed("proxy", std::to_string(config.trusted_proxies.size()) +
                               " trusted proxy network(s); clients are read from X-Forwarded-For");
  }
  if (config.app_env == AppEnv::kLocal) {
    return Passed("proxy", "no TRUSTED_PROXIES (fine for APP_ENV=local)");
  }
  if (loopback) {
    return {"proxy", CheckStatus::kWarning,
            "listening on " + config.listen_host +
                " (behind a proxy) without TRUSTED_PROXIES: every client appears as the proxy",
            "set TRUSTED_PROXIES to the proxy's address, e.g. 127.0.0.1/32 for a local nginx"};
  }
  return {"proxy", CheckStatus::kWarning,
          "listening on " + config.listen_host +
              " without TRUSTED_PROXIES: callgate speaks plain HTTP, TLS must end in front of it",
          "put nginx with TLS in front (docs/deploy.md) and set TRUSTED_PROXIES to its address"};
}

// Retell signs with the key of the URL the agent calls: the company's own key on /c/<slug>
// routes, else the platform key.
DoctorCheck CheckRetellKey(const tenancy::Company& company, const Config& config) {
  const std::string name = "retell_key[" + company.slug + "]";
  if (!company.retell_api_key.empty()) {
    return Passed(name, "own Retell key for /c/" + company.slug + "/… routes");
  }
  if (!config.retell_api_key.empty()) return Passed(name, "uses the platform RETELL_API_KEY");
  return Failed(name, "no Retell key: neither the company's nor RETELL_API_KEY",
                "set RETELL_API_KEY, or the company's retell_api_key in the tenant file");
}

// Values of sealed columns still in clear text (stored before the column was sealed, e.g. names
// before 6 December 2026): a warning until `callgate keys rotate` seals them.
DoctorCheck CheckSealedColumns(storage::Database& db) {
  const std::string name = "sealed_columns";
  auto counts = storage::CountClearText(db);
  if (!counts) {
    return Failed(name, "cannot read the sealed columns: " + counts.error().message,
                  "see the database check");
  }
  if (counts->empty()) return Passed(name, "every value of the sealed columns is sealed");
  std::int64_t total = 0;
  std::string columns;
  for (const auto& c : *counts) {
    total += c.count;
    columns += (columns.empty() ? "" : ", ") + c.context + " " + std::to_string(c.count);
  }
  return {name, CheckStatus::kWarning,
          std::to_string(total) + " value(s) stored in clear text (" + columns + ")",
          "run `callgate keys rotate` to seal them (docs/privacy.md)"};
}

}  // namespace

std::vector<DoctorCheck> RunDoctor(const Environment& env, const Clock& clock) {
  std::vector<DoctorCheck> checks;
  auto config = LoadConfig(env);
  if (!config) {
    // The master key has its own check (master_key, below): judge the rest of the
    // configuration with a stand-in key, so one missing key does not hide every other check.
    Environment rest = env;
    rest.erase("CALLGATE_MASTER_KEY_FILE");
    rest["CALLGATE_MASTER_KEY"] = "ZG9jdG9yLXN0YW5kLWluLWtleS1vZi0zMi1ieXRlcyE=";
    if (auto without_key = LoadConfig(rest)) config = std::move(without_key);
  }
  if (!config) {
    checks.push_back(Failed("environment", config.error().message,
                            "set a valid value in /etc/callgate/callgate.env (or .env); "
                            "docs/configuration.md"));
    return checks;
  }
  checks.push_back(CheckEnvironment(env, *config));

  std::unique_ptr<storage::Database> db;
  auto url = storage::ParseDatabaseUrl(config->database_url);
  if (url && url->dialect == storage::Dialect::kSqlite && !url->IsInMemory() &&
      !std::filesystem::exists(url->path)) {
    // Opening would create an empty file (owned by whoever runs doctor).
    checks.push_back(Failed("database", "no SQLite database at " + url->path,
                            "check CALLGATE_DATABASE_URL, or create it with `callgate migrate` as "
                            "the service user (the services migrate on start)"));
  } else if (url) {
    storage::DatabaseOptions options;
    options.pool_size = 1;
    // Company keys are stored sealed: read them with the configured key (the development key
    // outside production).
    if (auto keyring = ResolveKeyring(*config)) options.keyring = *keyring;
    auto opened = storage::Database::Open(*url, options);
    const callgate::Status ping =
        opened ? (*opened)->Ping() : callgate::Status(tl::unexpected(opened.error()));
    if (ping) {
      db = std::move(*opened);
      checks.push_back(Passed("database", url->Redacted() + " answers"));
    } else {
      const std::string why = ping.error().message;
      checks.push_back(Failed("database", why,
                              "check CALLGATE_DATABASE_URL and that the server runs (PostgreSQL: "
                              "pg_isready; SQLite: the folder is writable by callgate)"));
    }
  } else {
    checks.push_back(Failed("database", url.error().message, "correct CALLGATE_DATABASE_URL"));
  }

  bool schema_current = false;
  if (!db) {
    checks.push_back(Failed("migrations", "not checked: no database", "fix the database check"));
  } else {
    auto migrations = config->migrations_dir.empty()
                          ? storage::EmbeddedMigrations(db->dialect())
                          : storage::LoadMigrations(config->migrations_dir, db->dialect());
    auto states = migrations ? storage::Migrator(*db, std::move(*migrations), clock).Status()
                             : tl::unexpected(migrations.error());
    if (!states) {
      checks.push_back(Failed("migrations", states.error().message,
                              "check CALLGATE_MIGRATIONS_DIR and the database"));
    } else {
      int pending = 0, unknown = 0, applied = 0;
      for (const auto& s : *states) {
        if (!s.known) {
          ++unknown;
        } else if (s.applied()) {
          ++applied;
        } else {
          ++pending;
        }
      }
      if (unknown > 0) {
        checks.push_back(Failed(
            "migrations",
            std::to_string(unknown) + " applied migration(s) unknown to this build (a newer one)",
            "install the callgate version that migrated this database"));
      } else if (pending > 0) {
        checks.push_back(Failed("migrations", std::to_string(pending) + " pending",
                                "run `callgate migrate` (the services run it on start)"));
      } else {
        schema_current = true;
        checks.push_back(Passed("migrations", "current (" + std::to_string(applied) + " applied)"));
      }
    }
  }

  if (db) checks.push_back(CheckClock(*db, clock));
  checks.push_back(CheckRedis(*config));
  checks.push_back(CheckMasterKey(env, *config));
  checks.push_back(CheckProxies(*config));

  if (!schema_current) {
    checks.push_back(
        Failed("tenants", "not checked: the database is not ready", "fix the checks above"));
    return checks;
  }
  checks.push_back(CheckSealedColumns(*db));
  storage::SqlCompanyRepository companies(*db, clock);
  auto list = companies.List();
  if (!list) {
    checks.push_back(Failed("tenants", "cannot read companies: " + list.error().message,
                            "see the database check"));
    return checks;
  }
  const auto active = std::count_if(list->begin(), list->end(),
                                    [](const tenancy::Company& c) { return c.is_active; });
  if (active == 0) {
    checks.push_back({"tenants", CheckStatus::kWarning, "no active company",
                      "import tenants with `callgate seed --file tenants.yaml`"});
    return checks;
  }
  observability::Metrics metrics;
  calcom::CalcomSettings settings;
  settings.connect_timeout = std::chrono::milliseconds(config->calcom_connect_timeout_ms);
  settings.bookings_timeout = std::chrono::milliseconds(config->calcom_bookings_timeout_ms);
  calcom::CalcomClient calcom(settings, metrics);
  for (const auto& company : *list) {
    if (!company.is_active) continue;
    checks.push_back(CheckRetellKey(company, *config));
    CheckCompany(company, *config, calcom, *db, clock, checks);
    checks.push_back(CheckPhoneNumbers(company, *db, clock));
  }
  return checks;
}

bool DoctorPassed(const std::vector<DoctorCheck>& checks) {
  return std::none_of(checks.begin(), checks.end(),
                      [](const DoctorCheck& c) { return c.status == CheckStatus::kFail; });
}

std::string DoctorText(const std::vector<DoctorCheck>& checks) {
  std::size_t width = 0;
  for (const auto& c : checks) width = std::max(width, c.name.size());
  std::ostringstream out;
  for (const auto& c : checks) {
    out << (c.status == CheckStatus::kOk        ? "ok    "
            : c.status == CheckStatus::kWarning ? "WARN  "
                                                : "FAIL  ")
        << c.name << std::string(width + 2 - c.name.size(), ' ') << c.detail;
    if (!c.fix.empty()) out << " — fix: " << c.fix;
    out << "\n";
  }
  return out.str();
}

std::string DoctorJson(const std::vector<DoctorCheck>& checks) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& c : checks) {
    list.push_back({{"name", c.name},
                    {"status", c.status == CheckStatus::kOk        ? "ok"
                               : c.status == CheckStatus::kWarning ? "warning"
                                                                   : "fail"},
                    {"detail", c.detail},
                    {"fix", c.fix}});
  }
  return nlohmann::json{{"ok", DoctorPassed(checks)}, {"checks", list}}.dump(2) + "\n";
}

int RunDoctorCommand(bool json) {
  // The report says what failed; warnings logged on the way (a 401 from Cal.com) would repeat it.
  observability::ConfigureLogging(observability::LogLevel::kError, false);
  SystemClock clock;
  std::vector<DoctorCheck> checks;
  auto env = ReadEnvironment(".");
  if (!env) {
    checks.push_back(Failed("environment", ".env: " + env.error().message, "correct .env"));
  } else {
    checks = RunDoctor(*env, clock);
  }
  std::cout << (json ? DoctorJson(checks) : DoctorText(checks));
  if (!json) {
    std::cout << (DoctorPassed(checks) ? "doctor: every check passed\n"
                                       : "doctor: some checks failed\n");
  }
  return DoctorPassed(checks) ? 0 : 1;
}

}  // namespace callgate::app
