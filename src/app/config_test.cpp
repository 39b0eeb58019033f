#include "app/config.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>

namespace callgate::app {
namespace {

TEST(LoadConfig, DefaultsMatchTheSpec) {
  auto cfg = LoadConfig({});
  ASSERT_TRUE(cfg.has_value()) << cfg.error().message;
  EXPECT_EQ(cfg->listen_host, "127.0.0.1");
  EXPECT_EQ(cfg->listen_port, 8080);
  EXPECT_EQ(cfg->database_url, "sqlite://data/callgate.db");
  EXPECT_TRUE(cfg->redis_url.empty());
  EXPECT_EQ(cfg->queue_driver, QueueDriver::kDatabase);
  EXPECT_EQ(cfg->workers, 2);
  EXPECT_EQ(cfg->app_env, AppEnv::kLocal);
  EXPECT_EQ(cfg->calcom_base_url, "https://api.cal.com/v2");
  EXPECT_TRUE(cfg->trusted_proxies.empty());
  EXPECT_TRUE(cfg->retell_ip_allowlist.empty());
  EXPECT_FALSE(cfg->diagnostics_enabled);
  EXPECT_EQ(cfg->phone_region, "DE");
  EXPECT_EQ(cfg->function_limit_per_minute, 120);
  EXPECT_EQ(cfg->database_pool_size, 4);
}

TEST(LoadConfig, ReadsEveryVariable) {
  const crypto::MasterKey key = crypto::MasterKey::Generate();
  auto cfg = LoadConfig({{"APP_ENV", "production"},
                         {"CALLGATE_MASTER_KEY", key.ToBase64()},
                         {"CALLGATE_LISTEN", "[::1]:9090"},
                         {"CALLGATE_DATABASE_URL", "postgresql://u:p@db:5432/cg"},
                         {"CALLGATE_REDIS_URL", "redis://127.0.0.1:6379/0"},
                         {"CALLGATE_QUEUE_DRIVER", "redis"},
                         {"CALLGATE_WORKERS", "0"},
                         {"CALLGATE_FUNCTION_LIMIT_PER_MINUTE", "6000"},
                         {"CALLGATE_DATABASE_POOL_SIZE", "12"},
                         {"RETELL_API_KEY", "key_abc"},
                         {"CALCOM_BASE_URL", "http://127.0.0.1:9000/v2/"},
                         {"TRUSTED_PROXIES", "10.0.0.0/8, ::1"},
                         {"RETELL_IP_ALLOWLIST", "100.20.5.228/32,,2001:db8::/32 "},
                         {"DIAGNOSTICS_ENABLED", "true"}});
  ASSERT_TRUE(cfg.has_value()) << cfg.error().message;
  EXPECT_EQ(cfg->listen_host, "::1");
  EXPECT_EQ(cfg->listen_port, 9090);
  EXPECT_EQ(cfg->queue_driver, QueueDriver::kRedis);
  EXPECT_EQ(cfg->workers, 0);
  EXPECT_EQ(cfg->function_limit_per_minute, 6000);
  EXPECT_EQ(cfg->database_pool_size, 12);
  EXPECT_EQ(cfg->retell_api_key.Reveal(), "key_abc");
  EXPECT_EQ(cfg->calcom_base_url, "http://127.0.0.1:9000/v2");
  ASSERT_EQ(cfg->trusted_proxies.size(), 2u);
  ASSERT_EQ(cfg->retell_ip_allowlist.size(), 2u);
  EXPECT_TRUE(cfg->diagnostics_enabled);
  ASSERT_NE(cfg->keyring, nullptr);
  EXPECT_EQ(cfg->keyring->current_key_id(), key.id());
}

TEST(LoadConfig, ProductionRefusesToStartWithoutAMasterKey) {
  auto cfg = LoadConfig({{"APP_ENV", "production"}, {"RETELL_API_KEY", "k"}});
  ASSERT_FALSE(cfg.has_value());
  EXPECT_EQ(cfg.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(cfg.error().message.find("CALLGATE_MASTER_KEY_FILE: required when APP_ENV is "
                                     "production"),
            std::string::npos)
      << cfg.error().message;
  EXPECT_NE(cfg.error().message.find("callgate keys generate"), std::string::npos);
  // A Config built in code gets the same answer when the database is opened.
  Config production;
  production.app_env = AppEnv::kProduction;
  auto keyring = ResolveKeyring(production);
  ASSERT_FALSE(keyring.has_value());
  EXPECT_NE(keyring.error().message.find("CALLGATE_MASTER_KEY_FILE"), std::string::npos);
  // Nor with the public development key.
  auto dev = LoadConfig({{"APP_ENV", "production"},
                         {"RETELL_API_KEY", "k"},
                         {"CALLGATE_MASTER_KEY", std::string(crypto::kDevelopmentMasterKey)}});
  ASSERT_FALSE(dev.has_value());
  EXPECT_NE(dev.error().message.find("development key"), std::string::npos);
}

TEST(LoadConfig, ReadsTheMasterKeyFile) {
  const std::string path = ::testing::TempDir() + "/callgate-config-master.key";
  std::remove(path.c_str());
  auto id = crypto::WriteNewKeyFile(path);
  ASSERT_TRUE(id.has_value()) << id.error().message;
  auto cfg = LoadConfig({{"CALLGATE_MASTER_KEY_FILE", path}});
  std::remove(path.c_str());
  ASSERT_TRUE(cfg.has_value()) << cfg.error().message;
  ASSERT_NE(cfg->keyring, nullptr);
  EXPECT_EQ(cfg->keyring->current_key_id(), *id);
  auto resolved = ResolveKeyring(*cfg);
  ASSERT_TRUE(resolved.has_value());
  EXPECT_EQ(resolved->get(), cfg->keyring.get());
  auto missing = LoadConfig({{"CALLGATE_MASTER_KEY_FILE", path}});
  ASSERT_FALSE(missing.has_value());
  EXPECT_NE(missing.error().message.find("CALLGATE_MASTER_KEY_FILE"), std::string::npos);
}

TEST(LoadConfig, LocalWithoutAKeyUsesTheDevelopmentKeyNeverClearText) {
  auto cfg = LoadConfig({});
  ASSERT_TRUE(cfg.has_value());
  EXPECT_EQ(cfg->keyring, nullptr);
  auto keyring = ResolveKeyring(*cfg);
  ASSERT_TRUE(keyring.has_value());
  EXPECT_EQ((*keyring)->current_key_id(), crypto::DevelopmentKeyring()->current_key_id());
}

struct BadCase {
  const char* var;
  const char* value;
};

class LoadConfigRejects : public ::testing::TestWithParam<BadCase> {};

TEST_P(LoadConfigRejects, NamesTheVariable) {
  const auto& c = GetParam();
  Environment env{{c.var, c.value}};
  if (std::string(c.var) != "RETELL_API_KEY") env["RETELL_API_KEY"] = "k";
  auto cfg = LoadConfig(env);
  ASSERT_FALSE(cfg.has_value()) << c.var << "=" << c.value;
  EXPECT_EQ(cfg.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(cfg.error().message.find(c.var), std::string::npos) << cfg.error().message;
}

INSTANTIATE_TEST_SUITE_P(
    BadValues, LoadConfigRejects,
    ::testing::Values(
        BadCase{"APP_ENV", "prod"}, BadCase{"CALLGATE_LISTEN", "8080"},
        BadCase{"CALLGATE_LISTEN", "127.0.0.1:99999"}, BadCase{"CALLGATE_LISTEN", "example.org:80"},
        BadCase{"CALLGATE_DATABASE_URL", "mysql://x"}, BadCase{"CALLGATE_REDIS_URL", "http://x"},
        BadCase{"CALLGATE_QUEUE_DRIVER", "kafka"}, BadCase{"CALLGATE_QUEUE_DRIVER", "redis"},
        BadCase{"CALLGATE_WORKERS", "-1"}, BadCase{"CALLGATE_WORKERS", "two"},
        BadCase{"CALLGATE_FUNCTION_LIMIT_PER_MINUTE", "0"},
        BadCase{"CALLGATE_FUNCTION_LIMIT_PER_MINUTE", "lots"},
        BadCase{"CALLGATE_DATABASE_POOL_SIZE", "0"}, BadCase{"CALLGATE_DATABASE_POOL_SIZE", "1000"},
        BadCase{"CALCOM_BASE_URL", "ftp://x"}, BadCase{"TRUSTED_PROXIES", "10.0.0.0/99"},
        BadCase{"RETELL_IP_ALLOWLIST", "retell.ai"}, BadCase{"RETELL_IP_ALLOWLIST", "1.2.3.4/33"},
        BadCase{"SLACK_WEBHOOK_URL", "hooks.slack.com"}, BadCase{"DIAGNOSTICS_ENABLED", "maybe"},
        BadCase{"CALLGATE_PHONE_REGION", "germany"}, BadCase{"CALLGATE_MASTER_KEY", "c2hvcnQ="},
        BadCase{"CALLGATE_MASTER_KEY_FILE", "/nonexistent/master.key"}),
    [](const auto& info) {
      return std::string(info.param.var) + "_" + std::to_string(info.index);
    });

TEST(LoadConfig, RetellKeyRequiredOutsideLocal) {
  auto cfg = LoadConfig({{"APP_ENV", "staging"}});
  ASSERT_FALSE(cfg.has_value());
  EXPECT_NE(cfg.error().message.find("RETELL_API_KEY"), std::string::npos);
  EXPECT_TRUE(LoadConfig({{"APP_ENV", "local"}}).has_value());
}

TEST(LoadConfig, ReadsTheVapiSecretAndHmacCredential) {
  auto defaults = LoadConfig({});
  ASSERT_TRUE(defaults.has_value());
  EXPECT_TRUE(defaults->vapi_secret.empty());
  EXPECT_EQ(defaults->vapi_hmac.signature_header, "x-signature");
  EXPECT_EQ(defaults->vapi_hmac.payload_format, "{timestamp}.{body}");
  auto cfg = LoadConfig({{"VAPI_SECRET", "vs_1"},
                         {"VAPI_ASSISTANT_ID", "asst_9"},
                         {"VAPI_HMAC_SIGNATURE_HEADER", "x-vapi-signature"},
                         {"VAPI_HMAC_TIMESTAMP_HEADER", "x-vapi-timestamp"},
                         {"VAPI_HMAC_ALGORITHM", "SHA512"},
                         {"VAPI_HMAC_PAYLOAD_FORMAT", "{timestamp}:{method}:{body}"},
                         {"VAPI_HMAC_SIGNATURE_PREFIX", "sha512="},
                         {"VAPI_HMAC_SIGNATURE_ENCODING", "base64"}});
  ASSERT_TRUE(cfg.has_value()) << cfg.error().message;
  EXPECT_EQ(cfg->vapi_secret.Reveal(), "vs_1");
  EXPECT_EQ(cfg->vapi_assistant_id, "asst_9");
  EXPECT_EQ(cfg->vapi_hmac.signature_header, "x-vapi-signature");
  EXPECT_EQ(cfg->vapi_hmac.timestamp_header, "x-vapi-timestamp");
  EXPECT_EQ(cfg->vapi_hmac.algorithm, vapi::HmacAlgorithm::kSha512);
  EXPECT_EQ(cfg->vapi_hmac.payload_format, "{timestamp}:{method}:{body}");
  EXPECT_EQ(cfg->vapi_hmac.signature_prefix, "sha512=");
  EXPECT_EQ(cfg->vapi_hmac.encoding, vapi::SignatureEncoding::kBase64);
  for (auto [var, value] :
       std::vector<std::pair<std::string, std::string>>{{"VAPI_HMAC_ALGORITHM", "md5"},
                                                        {"VAPI_HMAC_SIGNATURE_ENCODING", "binary"},
                                                        {"VAPI_HMAC_PAYLOAD_FORMAT", "{body}"}}) {
    auto bad = LoadConfig({{var, value}});
    ASSERT_FALSE(bad.has_value()) << var;
    EXPECT_NE(bad.error().message.find(var), std::string::npos) << bad.error().message;
  }
}

TEST(LoadConfig, McpAllowedOriginsAreOriginsOnly) {
  auto cfg = LoadConfig(
      {{"CALLGATE_MCP_ALLOWED_ORIGINS", " https://app.example.com/ ,, http://127.0.0.1:6274"}});
  ASSERT_TRUE(cfg.has_value()) << cfg.error().message;
  EXPECT_EQ(cfg->mcp_allowed_origins,
            (std::vector<std::string>{"https://app.example.com", "http://127.0.0.1:6274"}));
  EXPECT_TRUE(LoadConfig({})->mcp_allowed_origins.empty());
  for (const char* bad : {"app.example.com", "null", "https://", "https://a.example/path", "*"}) {
    auto refused = LoadConfig({{"CALLGATE_MCP_ALLOWED_ORIGINS", bad}});
    ASSERT_FALSE(refused.has_value()) << bad;
    EXPECT_NE(refused.error().message.find("CALLGATE_MCP_ALLOWED_ORIGINS"), std::string::npos);
  }
}

TEST(ParseDotEnv, HandlesCommentsQuotesAndExport) {
  auto env = ParseDotEnv(
      "# comment\n\nexport APP_ENV=local\nRETELL_API_KEY=\"key with \\\"quotes\\\"\"\n"
      "CALLGATE_LISTEN = 127.0.0.1:9000  # trailing comment\nSINGLE='a#b'\n");
  ASSERT_TRUE(env.has_value()) << env.error().message;
  EXPECT_EQ(env->at("APP_ENV"), "local");
  EXPECT_EQ(env->at("RETELL_API_KEY"), "key with \"quotes\"");
  EXPECT_EQ(env->at("CALLGATE_LISTEN"), "127.0.0.1:9000");
  EXPECT_EQ(env->at("SINGLE"), "a#b");
}

TEST(ParseDotEnv, RejectsMalformedLinesWithLineNumber) {
  auto env = ParseDotEnv("A=1\nthis is not an assignment\n");
  ASSERT_FALSE(env.has_value());
  EXPECT_NE(env.error().message.find("line 2"), std::string::npos);
  EXPECT_FALSE(ParseDotEnv("A=\"unterminated\n").has_value());
  EXPECT_FALSE(ParseDotEnv("BAD-NAME=1\n").has_value());
}

TEST(EnvExample, DocumentsEveryKnownVariable) {
  std::ifstream in(std::string(CALLGATE_SOURCE_DIR) + "/.env.example");
  ASSERT_TRUE(in) << ".env.example missing";
  std::stringstream buf;
  buf << in.rdbuf();
  const std::string text = buf.str();
  for (std::string_view var : KnownVariables()) {
    EXPECT_NE(text.find(std::string(var) + "="), std::string::npos) << var;
  }
  EXPECT_TRUE(ParseDotEnv(text).has_value());
}

TEST(EnvExample, EveryDocumentedVariableIsReadFromTheEnvironment) {
  // ReadEnvironment takes only known variables from the process environment: a documented one
  // missing there would work in .env but be ignored when set for real.
  std::ifstream in(std::string(CALLGATE_SOURCE_DIR) + "/.env.example");
  ASSERT_TRUE(in) << ".env.example missing";
  std::stringstream buf;
  buf << in.rdbuf();
  auto documented = ParseDotEnv(buf.str());
  ASSERT_TRUE(documented.has_value());
  const auto& known = KnownVariables();
  for (const auto& [var, value] : *documented) {
    EXPECT_NE(std::find(known.begin(), known.end(), var), known.end()) << var;
  }
}

TEST(LoadConfig, TheCalcomBudgetIsConfigurableAndTheBurstFitsInIt) {
  auto defaults = LoadConfig({});
  ASSERT_TRUE(defaults.has_value()) << defaults.error().message;
  EXPECT_EQ(defaults->calcom_budget_per_minute, 100);
  EXPECT_EQ(defaults->calcom_budget_burst, 10);
  auto set = LoadConfig({{"CALCOM_BUDGET_PER_MINUTE", "50"}, {"CALCOM_BUDGET_BURST", "5"}});
  ASSERT_TRUE(set.has_value()) << set.error().message;
  EXPECT_EQ(set->calcom_budget_per_minute, 50);
  EXPECT_EQ(set->calcom_budget_burst, 5);
  auto too_big = LoadConfig({{"CALCOM_BUDGET_PER_MINUTE", "50"}, {"CALCOM_BUDGET_BURST", "60"}});
  ASSERT_FALSE(too_big.has_value());
  EXPECT_NE(too_big.error().message.find("CALCOM_BUDGET_BURST"), std::string::npos);
  EXPECT_FALSE(LoadConfig({{"CALCOM_BUDGET_PER_MINUTE", "0"}}).has_value());
}

TEST(ReadEnvironment, CalcomTimeoutsComeFromTheEnvironment) {
  ::setenv("CALCOM_SLOTS_TIMEOUT_MS", "1000", 1);
  auto env = ReadEnvironment("/nonexistent");
  ::unsetenv("CALCOM_SLOTS_TIMEOUT_MS");
  ASSERT_TRUE(env.has_value());
  auto cfg = LoadConfig(*env);
  ASSERT_TRUE(cfg.has_value()) << cfg.error().message;
  EXPECT_EQ(cfg->calcom_slots_timeout_ms, 1000);
}

}  // namespace
}  // namespace callgate::app

namespace callgate::app {
namespace {

TEST(LoadConfig, CallbackSlaDefaultsToTwoBusinessHoursAndIsConfigurable) {
  auto defaults = LoadConfig({});
  ASSERT_TRUE(defaults.has_value()) << defaults.error().message;
  EXPECT_EQ(defaults->callback_sla_minutes, 120);
  EXPECT_TRUE(defaults->callback_sla_business_hours);
  auto set = LoadConfig({{"CALLBACK_SLA_MINUTES", "45"}, {"CALLBACK_SLA_BUSINESS_HOURS", "false"}});
  ASSERT_TRUE(set.has_value()) << set.error().message;
  EXPECT_EQ(set->callback_sla_minutes, 45);
  EXPECT_FALSE(set->callback_sla_business_hours);
  for (const auto& [var, value] :
       {std::pair{"CALLBACK_SLA_MINUTES", "0"}, std::pair{"CALLBACK_SLA_MINUTES", "zwei"},
        std::pair{"CALLBACK_SLA_BUSINESS_HOURS", "vielleicht"}}) {
    auto bad = LoadConfig({{var, value}});
    ASSERT_FALSE(bad.has_value()) << var << "=" << value;
    EXPECT_NE(bad.error().message.find(var), std::string::npos);
  }
}

}  // namespace
}  // namespace callgate::app
