#pragma once
// Configuration: read once at startup from the environment (plus an optional .env file),
// validated into an immutable Config. A bad value is a clear, fatal error naming the variable.

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/ip_network.hpp"
#include "core/result.hpp"
#include "core/secret.hpp"
#include "crypto/keyring.hpp"
#include "vapi/auth.hpp"

namespace callgate::app {

enum class AppEnv { kLocal, kStaging, kProduction };
enum class QueueDriver { kDatabase, kRedis };

std::string_view AppEnvName(AppEnv env);

struct Config {
  AppEnv app_env = AppEnv::kLocal;
  std::string listen_host = "127.0.0.1";
  std::uint16_t listen_port = 8080;
  std::string database_url = "sqlite://data/callgate.db";
  std::string redis_url;  // empty: in-process cache, limits, breaker
  QueueDriver queue_driver = QueueDriver::kDatabase;
  int workers = 2;       // in-process job workers in `serve`
  int http_threads = 2;  // I/O threads
  int handler_threads = 8;
  std::size_t max_body_bytes = 2 * 1024 * 1024;
  // Open connections one client address may hold (0 = unlimited, e.g. behind a balancer).
  int max_connections_per_ip = 256;
  // Signed Retell function calls a company may make per function and minute (then 429).
  int function_limit_per_minute = 120;
  // Database connections per process (handlers and in-process workers share them).
  int database_pool_size = 4;
  Secret retell_api_key;
  Secret calcom_api_key;
  std::string calcom_base_url = "https://api.cal.com/v2";
  int calcom_connect_timeout_ms = 1000;
  int calcom_slots_timeout_ms = 2500;
  int calcom_bookings_timeout_ms = 8000;
  // Outbound Cal.com calls per account and minute across the instances sharing the limiter
  // (Redis; without it, per instance: divide by the number of instances), and how many may go
  // out back to back. Cal.com allows 120 a minute.
  int calcom_budget_per_minute = 100;
  int calcom_budget_burst = 10;
  Secret calcom_webhook_secret;
  // Vapi server messages (docs/agents.md): the platform secret, how Vapi's HMAC credential
  // signs (VAPI_HMAC_*), and the assistant for numbers without their own agent id.
  Secret vapi_secret;
  vapi::HmacSettings vapi_hmac;
  std::string vapi_assistant_id;
  std::vector<IpNetwork> trusted_proxies;
  // Extra check on the Retell routes (the signature is still required); empty: off.
  std::vector<IpNetwork> retell_ip_allowlist;
  // Browser origins allowed on /mcp ("https://host[:port]"); a request with any other Origin
  // header gets 403. Empty: none (server-side MCP clients send no Origin).
  std::vector<std::string> mcp_allowed_origins;
  Secret slack_webhook_url;
  Secret slack_webhook_url_critical;
  bool diagnostics_enabled = false;
  std::string phone_region = "DE";
  std::string log_level = "info";
  std::string log_format = "json";  // json | text
  std::string migrations_dir;       // empty: built-in migrations
  // Encryption at rest (docs/privacy.md): CALLGATE_MASTER_KEY_FILE or CALLGATE_MASTER_KEY,
  // loaded by LoadConfig. nullptr when neither is set (LoadConfig refuses that in production;
  // elsewhere ResolveKeyring falls back to the public development key).
  std::shared_ptr<const crypto::Keyring> keyring;
  // Audit log entries older than this are deleted by the daily privacy_purge job.
  int audit_retention_days = 730;
  // Failed jobs (ids and masked errors) older than this are deleted by the same job.
  int failed_job_retention_days = 30;
  // Callback SLA (docs/operations.md, callback_overdue): an open callback request is overdue
  // this many minutes after its due time, counted in its branch's opening hours unless
  // CALLBACK_SLA_BUSINESS_HOURS is false (then wall-clock minutes).
  int callback_sla_minutes = 120;
  bool callback_sla_business_hours = true;
  // Companies, branches, services and phone numbers are answered from memory; a change made by
  // another instance (or the CLI) is seen within this many milliseconds (docs/performance.md,
  // tenancy/cached_repositories.hpp). 0: the database's version is read on every lookup.
  int tenancy_cache_refresh_ms = 1000;
  // Worker overrides from `callgate worker` (not environment variables).
  std::vector<std::string> worker_queues;  // empty: high, default, low
  int worker_poll_interval_ms = 1000;
  bool run_scheduler = true;
};

using Environment = std::map<std::string, std::string, std::less<>>;

// Parses .env text: KEY=VALUE lines, `export` prefix allowed, # comments, single or double
// quotes around values (double quotes understand \n, \" and \\). kInvalidArgument naming the
// line for anything else.
Result<Environment> ParseDotEnv(std::string_view text);

// Merges the process environment over the .env file in `working_dir` (if present): real
// environment variables win. Only variables this program knows are read from the process.
Result<Environment> ReadEnvironment(const std::string& working_dir = ".");

// Validates and converts. The error message names the variable and what is wrong with it.
Result<Config> LoadConfig(const Environment& env);

// The keyring every database of this process is opened with: config.keyring when a key is
// configured; in production without one, or with the development key as the current key,
// kInvalidArgument naming CALLGATE_MASTER_KEY_FILE (never a clear-text fallback); otherwise
// crypto::DevelopmentKeyring(), with a warning log.
Result<std::shared_ptr<const crypto::Keyring>> ResolveKeyring(const Config& config);

// Variables LoadConfig understands, for documentation and `.env.example` tests.
const std::vector<std::string_view>& KnownVariables();

}  // namespace callgate::app
