#include "app/application.hpp"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "core/testing/fake_clock.hpp"
#include "http/server.hpp"
#include "http/testing/test_client.hpp"
#include "storage/testing/test_database.hpp"

namespace callgate::app {
namespace {

using http::testing::TestClient;
namespace fs = std::filesystem;

fs::path TempDir() {
  auto dir = fs::temp_directory_path() /
             ("cg-app-" + std::to_string(::getpid()) + "-" + std::to_string(std::rand()));
  fs::create_directories(dir);
  return dir;
}

Config SqliteConfig(const fs::path& dir) {
  Config config;
  config.listen_port = 0;
  config.database_url = "sqlite://" + (dir / "callgate.db").string();
  return config;
}

// Liveness is the one route answered on the I/O thread (it only reads memory), so probes are
// answered while every handler thread is busy; nothing that touches storage is.
TEST(RouteTable, OnlyHealthIsAnsweredOnTheIoThread) {
  callgate::testing::FakeClock clock;
  auto application = Application::Create(Config{}, clock, Application::Mode::kDescribeOnly);
  ASSERT_TRUE(application.has_value()) << application.error().message;
  std::vector<std::string> inline_routes;
  for (const auto& route : (*application)->router().Describe()) {
    if (route.answer_inline) {
      inline_routes.push_back(std::string(http::MethodName(route.method)) + " " + route.pattern);
    }
  }
  EXPECT_EQ(inline_routes, std::vector<std::string>{"GET /health"});
}

TEST(RouteTable, EveryRouteOutsideThePublicListHasAGuard) {
  callgate::testing::FakeClock clock;
  auto application = Application::Create(Config{}, clock, Application::Mode::kDescribeOnly);
  ASSERT_TRUE(application.has_value()) << application.error().message;
  const auto routes = (*application)->router().Describe();
  ASSERT_FALSE(routes.empty());
  for (const auto& route : routes) {
    const std::string key = std::string(http::MethodName(route.method)) + " " + route.pattern;
    const bool listed_public =
        std::find(PublicRoutes().begin(), PublicRoutes().end(), key) != PublicRoutes().end();
    if (!listed_public) {
      // Rate limits and allowlists are guards too, but only authentication protects a route.
      const bool authenticated =
          std::any_of(route.guards.begin(), route.guards.end(), [](const std::string& g) {
            return g == "retell_signature" || g == "admin_token" || g == "calcom_signature" ||
                   g == "vapi_secret" || g == "agent_token";
          });
      EXPECT_TRUE(authenticated) << key << " has no authentication guard and is not public";
    }
  }
  // The public list names only routes that exist.
  for (const auto& key : PublicRoutes()) {
    EXPECT_TRUE(std::any_of(routes.begin(), routes.end(), [&](const auto& r) {
      return std::string(http::MethodName(r.method)) + " " + r.pattern == key;
    })) << key;
  }
}

TEST(Application, EmbeddedModeMigratesAndServesHealthAndReady) {
  const auto dir = TempDir();
  callgate::testing::FakeClock clock;
  auto config = SqliteConfig(dir);
  config.database_pool_size = 7;
  auto application = Application::Create(config, clock);
  ASSERT_TRUE(application.has_value()) << application.error().message;
  EXPECT_EQ((*application)->database().pool_size(), 7u);
  ASSERT_TRUE((*application)->Start().has_value());
  TestClient client((*application)->port());

  auto health = client.Get("/health");
  ASSERT_TRUE(health.has_value()) << health.error().message;
  EXPECT_EQ(health->status, 200);
  EXPECT_EQ(nlohmann::json::parse(health->body)["status"], "ok");

  auto ready = client.Get("/ready");
  ASSERT_TRUE(ready.has_value());
  EXPECT_EQ(ready->status, 200) << ready->body;
  // The public probe says ready or not, nothing about queues or failed jobs.
  EXPECT_EQ(nlohmann::json::parse(ready->body), nlohmann::json({{"status", "ready"}}));
  auto details = client.Get("/api/admin/ready");
  ASSERT_TRUE(details.has_value());
  EXPECT_EQ(details->status, 401);

  auto missing = client.Get("/nope");
  ASSERT_TRUE(missing.has_value());
  EXPECT_EQ(missing->status, 404);
  EXPECT_EQ(nlohmann::json::parse(missing->body)["error"]["code"], "not_found");
  (*application)->Stop();
  fs::remove_all(dir);
}

class ApplicationOnPostgres : public storage::testing::DatabaseTest {
 protected:
  bool MigrateOnSetUp() const override { return false; }
};

TEST_P(ApplicationOnPostgres, RefusesToServeAnUnmigratedSharedDatabase) {
  Config config;
  config.listen_port = 0;
  config.database_url = test_database().UrlText();
  auto application = Application::Create(config, clock_);
  if (GetParam() == "sqlite") {
    // Embedded: migrates itself.
    ASSERT_TRUE(application.has_value()) << application.error().message;
    return;
  }
  ASSERT_FALSE(application.has_value());
  EXPECT_NE(application.error().message.find("callgate migrate"), std::string::npos);
  ASSERT_TRUE(test_database().Migrate(clock_).has_value());
  EXPECT_TRUE(Application::Create(config, clock_).has_value());
}

INSTANTIATE_TEST_SUITE_P(Backends, ApplicationOnPostgres, storage::testing::AllBackends(),
                         storage::testing::BackendName);

// The real binary, as `make run` uses it.
struct CommandResult {
  int exit_code = -1;
  std::string output;
};

CommandResult RunCallgate(const fs::path& dir, const std::string& args) {
  const std::string cmd = "cd '" + dir.string() + "' && env -i PATH=/usr/bin:/bin " +
                          "CALLGATE_LOG_FORMAT=text '" + std::string(CALLGATE_BINARY) + "' " +
                          args + " 2>&1";
  CommandResult result;
  if (FILE* p = ::popen(cmd.c_str(), "r")) {
    std::array<char, 512> buf{};
    while (size_t n = std::fread(buf.data(), 1, buf.size(), p)) result.output.append(buf.data(), n);
    const int status = ::pclose(p);
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
  return result;
}

TEST(CallgateBinary, MigrateSeedAndRoutesFromAFreshDirectory) {
  const auto dir = TempDir();
  auto version = RunCallgate(dir, "version");
  EXPECT_EQ(version.exit_code, 0);
  EXPECT_NE(version.output.find("callgate "), std::string::npos);

  auto migrate = RunCallgate(dir, "migrate");
  EXPECT_EQ(migrate.exit_code, 0) << migrate.output;
  EXPECT_TRUE(fs::exists(dir / "data/callgate.db"));
  auto again = RunCallgate(dir, "migrate");
  EXPECT_NE(again.output.find("schema is current"), std::string::npos) << again.output;

  auto seed = RunCallgate(dir, "seed --demo --if-empty");
  EXPECT_EQ(seed.exit_code, 0) << seed.output;
  EXPECT_NE(seed.output.find("companies 1 created"), std::string::npos) << seed.output;
  auto reseed = RunCallgate(dir, "seed --demo --if-empty");
  EXPECT_NE(reseed.output.find("nothing imported"), std::string::npos) << reseed.output;
  auto reimport = RunCallgate(dir, "seed --demo");
  EXPECT_NE(reimport.output.find("companies 0 created, 0 updated, 1 unchanged"), std::string::npos)
      << reimport.output;

  auto routes = RunCallgate(dir, "routes");
  EXPECT_EQ(routes.exit_code, 0);
  EXPECT_NE(routes.output.find("/health"), std::string::npos) << routes.output;
  fs::remove_all(dir);
}

TEST(CallgateBinary, BadConfigurationIsAClearFatalError) {
  const auto dir = TempDir();
  auto r = RunCallgate(dir, "");
  EXPECT_NE(r.exit_code, 0);
  std::ofstream(dir / ".env") << "CALLGATE_WORKERS=two\n";
  auto bad = RunCallgate(dir, "migrate");
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.output.find("CALLGATE_WORKERS"), std::string::npos) << bad.output;
  std::ofstream(dir / ".env") << "CALLGATE_DATABASE_URL=sqlite://data/x.db\n";
  auto bad_file = RunCallgate(dir, "seed --file missing.json");
  EXPECT_NE(bad_file.exit_code, 0);
  EXPECT_NE(bad_file.output.find("missing.json"), std::string::npos) << bad_file.output;
  fs::remove_all(dir);
}

TEST(CallgateBinary, KeysGenerateRotateAndProductionRefusesToServeWithoutAKey) {
  const auto dir = TempDir();
  fs::create_directories(dir / "data");
  auto generated = RunCallgate(dir, "keys generate data/master.key");
  ASSERT_EQ(generated.exit_code, 0) << generated.output;
  EXPECT_NE(generated.output.find("CALLGATE_MASTER_KEY_FILE=data/master.key"), std::string::npos)
      << generated.output;
  EXPECT_EQ(fs::status(dir / "data/master.key").permissions() & fs::perms::all,
            fs::perms::owner_read | fs::perms::owner_write);
  auto again = RunCallgate(dir, "keys generate data/master.key");
  EXPECT_NE(again.exit_code, 0);
  EXPECT_NE(again.output.find("already exists"), std::string::npos) << again.output;

  std::ofstream(dir / ".env") << "APP_ENV=production\nRETELL_API_KEY=k\n";
  auto refused = RunCallgate(dir, "serve");
  EXPECT_EQ(refused.exit_code, 2);
  EXPECT_NE(refused.output.find("CALLGATE_MASTER_KEY_FILE: required when APP_ENV is production"),
            std::string::npos)
      << refused.output;

  std::ofstream(dir / ".env") << "CALLGATE_MASTER_KEY_FILE=data/master.key\n";
  ASSERT_EQ(RunCallgate(dir, "migrate").exit_code, 0);
  ASSERT_EQ(RunCallgate(dir, "seed --demo").exit_code, 0);
  auto added = RunCallgate(dir, "keys generate --add data/master.key");
  ASSERT_EQ(added.exit_code, 0) << added.output;
  auto rotated = RunCallgate(dir, "keys rotate --batch 2");
  EXPECT_EQ(rotated.exit_code, 0) << rotated.output;
  EXPECT_NE(rotated.output.find("re-encrypting under key"), std::string::npos) << rotated.output;
  EXPECT_NE(rotated.output.find("checked"), std::string::npos) << rotated.output;
  // The old key can go now: the data reads with the new one alone.
  std::ifstream in(dir / "data/master.key");
  std::string current_key;
  std::getline(in, current_key);
  in.close();
  std::ofstream(dir / "data/master.key") << current_key << "\n";
  auto reseed = RunCallgate(dir, "seed --demo");
  EXPECT_EQ(reseed.exit_code, 0) << reseed.output;
  EXPECT_NE(reseed.output.find("1 unchanged"), std::string::npos) << reseed.output;
  fs::remove_all(dir);
}

TEST(CallgateBinary, ServeAnswersHealthAndStopsOnSigterm) {
  const auto dir = TempDir();
  // Find a free port, then let the server bind it.
  http::ServerSettings probe_settings;
  probe_settings.port = 0;
  http::Router no_routes;
  http::Server probe(probe_settings, no_routes);
  ASSERT_TRUE(probe.Start().has_value());
  const auto port = probe.port();
  probe.Stop();

  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::chdir(dir.c_str());
    const std::string listen = "CALLGATE_LISTEN=127.0.0.1:" + std::to_string(port);
    ::setenv("CALLGATE_LISTEN", listen.substr(16).c_str(), 1);
    ::setenv("CALLGATE_LOG_FORMAT", "text", 1);
    ::execl(CALLGATE_BINARY, CALLGATE_BINARY, "serve", static_cast<char*>(nullptr));
    ::_exit(127);
  }
  TestClient client(port, std::chrono::seconds(2));
  bool healthy = false;
  for (int i = 0; i < 200 && !healthy; ++i) {  // bounded: at most ~20 s
    auto r = client.Get("/health");
    healthy = r.has_value() && r->status == 200;
    if (!healthy) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_TRUE(healthy);
  ::kill(pid, SIGTERM);
  int status = 0;
  ::waitpid(pid, &status, 0);
  EXPECT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace callgate::app
