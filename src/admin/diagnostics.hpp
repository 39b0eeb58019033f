#pragma once
// GET /api/admin/diagnostic-info (roadmap VULN-006): what an operator needs to see whether an
// instance is healthy — version, environment, database dialect and reachability, migration
// state, queue depths, breaker states when a probe is given, and the metric counters — and
// nothing an attacker could use: no hosts, users, passwords, URLs, API keys or tokens.
//
// Access: platform admins only (route guards admin_token + role_platform_admin). Off in
// production unless DIAGNOSTICS_ENABLED=true: then the route is not even registered (404 like
// any unknown path, for everyone) and Handle() answers 404 as well, as a second line.

#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "core/result.hpp"
#include "http/request.hpp"
#include "http/response.hpp"
#include "observability/metrics.hpp"
#include "storage/database.hpp"
#include "storage/migrator.hpp"

namespace callgate::admin {

struct DiagnosticsSettings {
  std::string version;
  std::string app_env = "local";  // local | staging | production
  bool enabled_in_production = false;

  // Whether the endpoint may be served at all in this environment.
  bool Enabled() const noexcept { return app_env != "production" || enabled_in_production; }
};

// Where the facts come from. Every probe is optional; a missing one is left out, a failing one
// reports "unavailable". Probes must be thread-safe and must not return secrets.
struct DiagnosticsSources {
  storage::Database* database = nullptr;
  std::function<Result<std::vector<storage::MigrationState>>()> migrations;
  // e.g. {"high":0,"default":3,"low":0,"failed":1}
  std::function<Result<nlohmann::json>()> queues;
  // Further named sections (breaker states, cache, ...), added by their owners.
  std::vector<std::pair<std::string, std::function<nlohmann::json()>>> sections;
  const observability::Metrics* metrics = nullptr;
};

class Diagnostics {
 public:
  Diagnostics(DiagnosticsSettings settings, DiagnosticsSources sources)
      : settings_(std::move(settings)), sources_(std::move(sources)) {}

  bool Enabled() const noexcept { return settings_.Enabled(); }

  // The JSON document. Thread-safe.
  nlohmann::json Collect() const;

  // The handler: 404 when not Enabled(), else 200 with Collect().
  http::Response Handle(http::Request& request) const;

 private:
  DiagnosticsSettings settings_;
  DiagnosticsSources sources_;
};

// Parses Prometheus text ("name{labels} value" lines) into {"name{labels}": value}. Pure.
nlohmann::json CountersFromPrometheus(std::string_view text);

}  // namespace callgate::admin
