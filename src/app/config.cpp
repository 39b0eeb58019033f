#include "app/config.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <sstream>

#include "observability/log.hpp"

namespace callgate::app {
namespace {

constexpr std::string_view kVariables[] = {"APP_ENV",
                                           "CALLGATE_LISTEN",
                                           "CALLGATE_DATABASE_URL",
                                           "CALLGATE_REDIS_URL",
                                           "CALLGATE_QUEUE_DRIVER",
                                           "CALLGATE_WORKERS",
                                           "CALLGATE_HTTP_THREADS",
                                           "CALLGATE_HANDLER_THREADS",
                                           "CALLGATE_MAX_BODY_BYTES",
                                           "CALLGATE_MAX_CONNECTIONS_PER_IP",
                                           "CALLGATE_FUNCTION_LIMIT_PER_MINUTE",
                                           "CALLGATE_DATABASE_POOL_SIZE",
                                           "CALLGATE_PHONE_REGION",
                                           "CALLGATE_LOG_LEVEL",
                                           "CALLGATE_LOG_FORMAT",
                                           "CALLGATE_MIGRATIONS_DIR",
                                           "CALLGATE_MASTER_KEY_FILE",
                                           "CALLGATE_MASTER_KEY",
                                           "CALLGATE_AUDIT_RETENTION_DAYS",
                                           "CALLGATE_FAILED_JOB_RETENTION_DAYS",
                                           "CALLBACK_SLA_MINUTES",
                                           "TENANCY_CACHE_REFRESH_MS",
                                           "CALLBACK_SLA_BUSINESS_HOURS",
                                           "RETELL_API_KEY",
                                           "CALCOM_API_KEY",
                                           "CALCOM_BASE_URL",
                                           "CALCOM_CONNECT_TIMEOUT_MS",
                                           "CALCOM_SLOTS_TIMEOUT_MS",
                                           "CALCOM_BOOKINGS_TIMEOUT_MS",
                                           "CALCOM_BUDGET_PER_MINUTE",
                                           "CALCOM_BUDGET_BURST",
                                           "CALCOM_WEBHOOK_SECRET",
                                           "VAPI_SECRET",
                                           "VAPI_ASSISTANT_ID",
                                           "VAPI_HMAC_SIGNATURE_HEADER",
                                           "VAPI_HMAC_TIMESTAMP_HEADER",
                                           "VAPI_HMAC_ALGORITHM",
                                           "VAPI_HMAC_PAYLOAD_FORMAT",
                                           "VAPI_HMAC_SIGNATURE_PREFIX",
                                           "VAPI_HMAC_SIGNATURE_ENCODING",
                                           "TRUSTED_PROXIES",
                                           "CALLGATE_MCP_ALLOWED_ORIGINS",
                                           "RETELL_IP_ALLOWLIST",
                                           "SLACK_WEBHOOK_URL",
                                           "SLACK_WEBHOOK_URL_CRITICAL",
                                           "DIAGNOSTICS_ENABLED"};

std::string Trim(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return std::string(s.substr(b, e - b));
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string Get(const Environment& env, std::string_view key) {
  auto it = env.find(key);
  return it == env.end() ? std::string() : it->second;
}

tl::unexpected<Error> Bad(std::string_view var, std::string_view what) {
  return Fail(ErrorCode::kInvalidArgument, std::string(var) + ": " + std::string(what));
}

// A comma-separated CIDR list; blanks between commas are ignored.
Result<std::vector<IpNetwork>> NetworkList(const Environment& env, std::string_view var) {
  std::vector<IpNetwork> networks;
  std::stringstream items(Get(env, var));
  for (std::string item; std::getline(items, item, ',');) {
    item = Trim(item);
    if (item.empty()) continue;
    auto net = IpNetwork::Parse(item);
    if (!net) return Bad(var, "not a CIDR: '" + item + "'");
    networks.push_back(*net);
  }
  return networks;
}

Result<int> ParseInt(std::string_view var, const std::string& text, int lo, int hi) {
  int v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || p != text.data() + text.size() || v < lo || v > hi) {
    return Bad(var, "expected a whole number from " + std::to_string(lo) + " to " +
                        std::to_string(hi) + ", got '" + text + "'");
  }
  return v;
}

Result<bool> ParseBool(std::string_view var, const std::string& text) {
  const std::string t = Lower(text);
  if (t == "true" || t == "1" || t == "yes" || t == "on") return true;
  if (t == "false" || t == "0" || t == "no" || t == "off" || t.empty()) return false;
  return Bad(var, "expected true or false, got '" + text + "'");
}

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

Status ParseListen(const std::string& text, Config& cfg) {
  // host:port, [v6]:port
  std::string host;
  std::string port;
  if (StartsWith(text, "[")) {
    const auto close = text.find(']');
    if (close == std::string::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return Bad("CALLGATE_LISTEN", "expected [address]:port, got '" + text + "'");
    }
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string::npos || text.find(':') != colon) {
      return Bad("CALLGATE_LISTEN", "expected address:port, got '" + text + "'");
    }
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
  }
  if (host != "localhost" && !ParseIpAddress(host)) {
    return Bad("CALLGATE_LISTEN", "not an IP address: '" + host + "'");
  }
  auto p = ParseInt("CALLGATE_LISTEN", port, 0, 65535);
  if (!p) return tl::unexpected(p.error());
  cfg.listen_host = host;
  cfg.listen_port = static_cast<std::uint16_t>(*p);
  return Ok();
}

}  // namespace

std::string_view AppEnvName(AppEnv env) {
  switch (env) {
    case AppEnv::kLocal:
      return "local";
    case AppEnv::kStaging:
      return "staging";
    case AppEnv::kProduction:
      return "production";
  }
  return "local";
}

const std::vector<std::string_view>& KnownVariables() {
  static const std::vector<std::string_view> v(std::begin(kVariables), std::end(kVariables));
  return v;
}

Result<Environment> ParseDotEnv(std::string_view text) {
  Environment env;
  std::istringstream in{std::string(text)};
  std::string raw;
  int line_no = 0;
  while (std::getline(in, raw)) {
    ++line_no;
    std::string line = Trim(raw);
    if (line.empty() || line[0] == '#') continue;
    if (StartsWith(line, "export ")) line = Trim(line.substr(7));
    const auto eq = line.find('=');
    const auto where = ".env line " + std::to_string(line_no);
    if (eq == std::string::npos || eq == 0) {
      return Fail(ErrorCode::kInvalidArgument, where + ": expected KEY=VALUE");
    }
    const std::string key = Trim(line.substr(0, eq));
    for (char c : key) {
      if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_')) {
        return Fail(ErrorCode::kInvalidArgument, where + ": bad variable name '" + key + "'");
      }
    }
    std::string value = Trim(line.substr(eq + 1));
    if (!value.empty() && (value[0] == '"' || value[0] == '\'')) {
      const char quote = value[0];
      std::string out;
      size_t i = 1;
      bool closed = false;
      for (; i < value.size(); ++i) {
        const char c = value[i];
        if (c == quote) {
          closed = true;
          break;
        }
        if (quote == '"' && c == '\\' && i + 1 < value.size()) {
          const char n = value[++i];
          out.push_back(n == 'n' ? '\n' : n);
        } else {
          out.push_back(c);
        }
      }
      const std::string rest = closed ? Trim(value.substr(i + 1)) : std::string();
      if (!closed || (!rest.empty() && rest[0] != '#')) {
        return Fail(ErrorCode::kInvalidArgument, where + ": unterminated or trailing quote");
      }
      value = out;
    } else {
      const auto hash = value.find(" #");
      if (hash != std::string::npos) value = Trim(value.substr(0, hash));
    }
    env[key] = value;
  }
  return env;
}

Result<Environment> ReadEnvironment(const std::string& working_dir) {
  Environment env;
  std::ifstream file(working_dir + "/.env");
  if (file) {
    std::stringstream buf;
    buf << file.rdbuf();
    auto parsed = ParseDotEnv(buf.str());
    if (!parsed) return parsed;
    env = std::move(*parsed);
  }
  for (std::string_view var : kVariables) {
    if (const char* v = std::getenv(std::string(var).c_str())) env[std::string(var)] = v;
  }
  return env;
}

Result<Config> LoadConfig(const Environment& env) {
  Config cfg;
  const std::string app_env = Lower(Get(env, "APP_ENV"));
  if (app_env.empty() || app_env == "local")
    cfg.app_env = AppEnv::kLocal;
  else if (app_env == "staging")
    cfg.app_env = AppEnv::kStaging;
  else if (app_env == "production")
    cfg.app_env = AppEnv::kProduction;
  else
    return Bad("APP_ENV", "expected local, staging or production, got '" + app_env + "'");

  if (auto v = Get(env, "CALLGATE_LISTEN"); !v.empty()) {
    if (auto s = ParseListen(v, cfg); !s) return tl::unexpected(s.error());
  }
  if (auto v = Get(env, "CALLGATE_DATABASE_URL"); !v.empty()) {
    if (!StartsWith(v, "sqlite://") && !StartsWith(v, "postgresql://") &&
        !StartsWith(v, "postgres://")) {
      return Bad("CALLGATE_DATABASE_URL", "expected sqlite://<path> or postgresql://…");
    }
    cfg.database_url = v;
  }
  cfg.redis_url = Get(env, "CALLGATE_REDIS_URL");
  if (!cfg.redis_url.empty() && !StartsWith(cfg.redis_url, "redis://")) {
    return Bad("CALLGATE_REDIS_URL", "expected redis://host:port/db");
  }
  const std::string driver = Lower(Get(env, "CALLGATE_QUEUE_DRIVER"));
  if (driver.empty() || driver == "database")
    cfg.queue_driver = QueueDriver::kDatabase;
  else if (driver == "redis")
    cfg.queue_driver = QueueDriver::kRedis;
  else
    return Bad("CALLGATE_QUEUE_DRIVER", "expected database or redis, got '" + driver + "'");
  if (cfg.queue_driver == QueueDriver::kRedis && cfg.redis_url.empty()) {
    return Bad("CALLGATE_QUEUE_DRIVER", "redis needs CALLGATE_REDIS_URL");
  }

  struct IntVar {
    std::string_view name;
    int* target;
    int lo, hi;
  };
  int max_body = static_cast<int>(cfg.max_body_bytes);
  for (const IntVar& iv :
       {IntVar{"CALLGATE_WORKERS", &cfg.workers, 0, 64},
        IntVar{"CALLGATE_HTTP_THREADS", &cfg.http_threads, 1, 64},
        IntVar{"CALLGATE_HANDLER_THREADS", &cfg.handler_threads, 1, 256},
        IntVar{"CALLGATE_MAX_BODY_BYTES", &max_body, 1024, 64 << 20},
        IntVar{"CALLGATE_MAX_CONNECTIONS_PER_IP", &cfg.max_connections_per_ip, 0, 1'000'000},
        IntVar{"CALLGATE_FUNCTION_LIMIT_PER_MINUTE", &cfg.function_limit_per_minute, 1, 10'000'000},
        IntVar{"CALLGATE_DATABASE_POOL_SIZE", &cfg.database_pool_size, 1, 256},
        IntVar{"CALLGATE_AUDIT_RETENTION_DAYS", &cfg.audit_retention_days, 1, 36500},
        IntVar{"CALLGATE_FAILED_JOB_RETENTION_DAYS", &cfg.failed_job_retention_days, 1, 36500},
        IntVar{"CALLBACK_SLA_MINUTES", &cfg.callback_sla_minutes, 1, 7 * 24 * 60},
        IntVar{"TENANCY_CACHE_REFRESH_MS", &cfg.tenancy_cache_refresh_ms, 0, 60'000},
        IntVar{"CALCOM_CONNECT_TIMEOUT_MS", &cfg.calcom_connect_timeout_ms, 50, 30'000},
        IntVar{"CALCOM_SLOTS_TIMEOUT_MS", &cfg.calcom_slots_timeout_ms, 50, 60'000},
        IntVar{"CALCOM_BOOKINGS_TIMEOUT_MS", &cfg.calcom_bookings_timeout_ms, 50, 120'000},
        IntVar{"CALCOM_BUDGET_PER_MINUTE", &cfg.calcom_budget_per_minute, 1, 100'000},
        IntVar{"CALCOM_BUDGET_BURST", &cfg.calcom_budget_burst, 1, 100'000}}) {
    if (auto v = Get(env, iv.name); !v.empty()) {
      auto n = ParseInt(iv.name, v, iv.lo, iv.hi);
      if (!n) return tl::unexpected(n.error());
      *iv.target = *n;
    }
  }
  cfg.max_body_bytes = static_cast<std::size_t>(max_body);
  if (cfg.calcom_budget_burst > cfg.calcom_budget_per_minute) {
    return Bad("CALCOM_BUDGET_BURST", "must not exceed CALCOM_BUDGET_PER_MINUTE");
  }

  cfg.retell_api_key = Secret(Get(env, "RETELL_API_KEY"));
  if (cfg.app_env != AppEnv::kLocal && cfg.retell_api_key.empty()) {
    return Bad("RETELL_API_KEY", "required when APP_ENV is not local");
  }
  cfg.calcom_api_key = Secret(Get(env, "CALCOM_API_KEY"));
  if (auto v = Get(env, "CALCOM_BASE_URL"); !v.empty()) {
    if (!StartsWith(v, "https://") && !StartsWith(v, "http://")) {
      return Bad("CALCOM_BASE_URL", "expected an http(s) URL");
    }
    while (!v.empty() && v.back() == '/') v.pop_back();
    cfg.calcom_base_url = v;
  }
  cfg.calcom_webhook_secret = Secret(Get(env, "CALCOM_WEBHOOK_SECRET"));

  cfg.vapi_secret = Secret(Get(env, "VAPI_SECRET"));
  cfg.vapi_assistant_id = Trim(Get(env, "VAPI_ASSISTANT_ID"));
  if (auto v = Trim(Get(env, "VAPI_HMAC_SIGNATURE_HEADER")); !v.empty()) {
    cfg.vapi_hmac.signature_header = v;
  }
  if (auto v = Trim(Get(env, "VAPI_HMAC_TIMESTAMP_HEADER")); !v.empty()) {
    cfg.vapi_hmac.timestamp_header = v;
  }
  if (auto v = Lower(Trim(Get(env, "VAPI_HMAC_ALGORITHM"))); !v.empty()) {
    auto algorithm = vapi::ParseHmacAlgorithm(v);
    if (!algorithm) return Bad("VAPI_HMAC_ALGORITHM", "expected sha256, sha512 or sha1");
    cfg.vapi_hmac.algorithm = *algorithm;
  }
  if (auto v = Get(env, "VAPI_HMAC_PAYLOAD_FORMAT"); !v.empty()) {
    if (auto valid = vapi::ValidatePayloadFormat(v); !valid) {
      return Bad("VAPI_HMAC_PAYLOAD_FORMAT", valid.error().message);
    }
    cfg.vapi_hmac.payload_format = v;
  }
  cfg.vapi_hmac.signature_prefix = Get(env, "VAPI_HMAC_SIGNATURE_PREFIX");
  if (auto v = Lower(Trim(Get(env, "VAPI_HMAC_SIGNATURE_ENCODING"))); !v.empty()) {
    auto encoding = vapi::ParseSignatureEncoding(v);
    if (!encoding) return Bad("VAPI_HMAC_SIGNATURE_ENCODING", "expected hex or base64");
    cfg.vapi_hmac.encoding = *encoding;
  }

  auto proxies = NetworkList(env, "TRUSTED_PROXIES");
  if (!proxies) return tl::unexpected(proxies.error());
  cfg.trusted_proxies = std::move(*proxies);
  auto retell_allowlist = NetworkList(env, "RETELL_IP_ALLOWLIST");
  if (!retell_allowlist) return tl::unexpected(retell_allowlist.error());
  cfg.retell_ip_allowlist = std::move(*retell_allowlist);
  {
    std::stringstream items(Get(env, "CALLGATE_MCP_ALLOWED_ORIGINS"));
    for (std::string item; std::getline(items, item, ',');) {
      item = Trim(item);
      if (item.empty()) continue;
      while (item.back() == '/') item.pop_back();
      const auto scheme = item.find("://");
      if ((!StartsWith(item, "https://") && !StartsWith(item, "http://")) ||
          item.size() == scheme + 3 || item.find('/', scheme + 3) != std::string::npos) {
        return Bad("CALLGATE_MCP_ALLOWED_ORIGINS",
                   "expected origins such as https://app.example.com, got '" + item + "'");
      }
      cfg.mcp_allowed_origins.push_back(item);
    }
  }

  for (auto [var, target] :
       {std::pair{"SLACK_WEBHOOK_URL", &cfg.slack_webhook_url},
        std::pair{"SLACK_WEBHOOK_URL_CRITICAL", &cfg.slack_webhook_url_critical}}) {
    const std::string v = Get(env, var);
    if (!v.empty() && !StartsWith(v, "https://") && !StartsWith(v, "http://")) {
      return Bad(var, "expected an http(s) URL");
    }
    *target = Secret(v);
  }

  auto diag = ParseBool("DIAGNOSTICS_ENABLED", Get(env, "DIAGNOSTICS_ENABLED"));
  if (!diag) return tl::unexpected(diag.error());
  cfg.diagnostics_enabled = *diag;
  if (auto v = Get(env, "CALLBACK_SLA_BUSINESS_HOURS"); !v.empty()) {
    auto business = ParseBool("CALLBACK_SLA_BUSINESS_HOURS", v);
    if (!business) return tl::unexpected(business.error());
    cfg.callback_sla_business_hours = *business;
  }

  if (auto v = Get(env, "CALLGATE_PHONE_REGION"); !v.empty()) {
    if (v.size() != 2 || !std::isupper(static_cast<unsigned char>(v[0])) ||
        !std::isupper(static_cast<unsigned char>(v[1]))) {
      return Bad("CALLGATE_PHONE_REGION", "expected a two-letter region code such as DE");
    }
    cfg.phone_region = v;
  }
  if (auto v = Lower(Get(env, "CALLGATE_LOG_LEVEL")); !v.empty()) {
    if (v != "debug" && v != "info" && v != "warn" && v != "warning" && v != "error") {
      return Bad("CALLGATE_LOG_LEVEL", "expected debug, info, warn or error");
    }
    cfg.log_level = v;
  }
  if (auto v = Lower(Get(env, "CALLGATE_LOG_FORMAT")); !v.empty()) {
    if (v != "json" && v != "text") return Bad("CALLGATE_LOG_FORMAT", "expected json or text");
    cfg.log_format = v;
  }
  cfg.migrations_dir = Get(env, "CALLGATE_MIGRATIONS_DIR");

  const crypto::KeySource key_source{Get(env, "CALLGATE_MASTER_KEY_FILE"),
                                     Get(env, "CALLGATE_MASTER_KEY")};
  if (key_source.Configured()) {
    auto keyring = crypto::LoadKeyring(key_source);
    if (!keyring) return tl::unexpected(keyring.error());
    cfg.keyring = std::move(*keyring);
    // Outside production, what was written under the development key before a key was
    // configured stays readable (and `keys rotate` moves it to the real key).
    if (cfg.app_env != AppEnv::kProduction) {
      cfg.keyring =
          cfg.keyring->WithOlderKey(*crypto::MasterKey::FromBase64(crypto::kDevelopmentMasterKey));
    }
  }
  if (cfg.app_env == AppEnv::kProduction) {
    if (auto usable = ResolveKeyring(cfg); !usable) return tl::unexpected(usable.error());
  }
  return cfg;
}

Result<std::shared_ptr<const crypto::Keyring>> ResolveKeyring(const Config& config) {
  const bool production = config.app_env == AppEnv::kProduction;
  if (config.keyring) {
    if (production &&
        config.keyring->current_key_id() == crypto::DevelopmentKeyring()->current_key_id()) {
      return Bad("CALLGATE_MASTER_KEY_FILE",
                 "the public development key cannot encrypt in production: create a key with "
                 "`callgate keys generate <file>`");
    }
    return config.keyring;
  }
  if (production) {
    return Bad("CALLGATE_MASTER_KEY_FILE",
               "required when APP_ENV is production (data is stored encrypted): create a key "
               "with `callgate keys generate <file>` and point this variable at it");
  }
  static std::once_flag warned;
  std::call_once(warned, [] {
    observability::LogWarn(
        "master_key_missing",
        {{"key_id", crypto::DevelopmentKeyring()->current_key_id()},
         {"detail",
          "no CALLGATE_MASTER_KEY_FILE: encrypting with the public development key; never "
          "use this outside development"}});
  });
  return crypto::DevelopmentKeyring();
}

}  // namespace callgate::app
