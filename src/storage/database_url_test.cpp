#include "storage/database_url.hpp"

#include <gtest/gtest.h>

namespace callgate::storage {
namespace {

TEST(ParseDatabaseUrl, ParsesRelativeSqlitePath) {
  auto url = ParseDatabaseUrl("sqlite://data/callgate.db");
  ASSERT_TRUE(url.has_value()) << url.error().message;
  EXPECT_EQ(url->dialect, Dialect::kSqlite);
  EXPECT_EQ(url->path, "data/callgate.db");
  EXPECT_FALSE(url->IsInMemory());
  EXPECT_EQ(url->Redacted(), "sqlite://data/callgate.db");
}

TEST(ParseDatabaseUrl, ParsesAbsoluteSqlitePath) {
  auto url = ParseDatabaseUrl("sqlite:///var/lib/callgate/callgate.db");
  ASSERT_TRUE(url.has_value());
  EXPECT_EQ(url->path, "/var/lib/callgate/callgate.db");
}

TEST(ParseDatabaseUrl, ParsesInMemorySqlite) {
  auto url = ParseDatabaseUrl("sqlite://:memory:");
  ASSERT_TRUE(url.has_value());
  EXPECT_TRUE(url->IsInMemory());
}

TEST(ParseDatabaseUrl, PercentDecodesSqlitePath) {
  auto url = ParseDatabaseUrl("sqlite://data/my%20calls.db");
  ASSERT_TRUE(url.has_value());
  EXPECT_EQ(url->path, "data/my calls.db");
  EXPECT_EQ(url->ConnectString().Reveal(), "db=\"data/my calls.db\"");
}

TEST(ParseDatabaseUrl, ParsesFullPostgresUrl) {
  auto url = ParseDatabaseUrl(
      "postgresql://app%2Buser:p%40ss:w0rd@db.example.com:6432/callgate?sslmode=require&"
      "application_name=cg%20api");
  ASSERT_TRUE(url.has_value()) << url.error().message;
  EXPECT_EQ(url->dialect, Dialect::kPostgresql);
  EXPECT_EQ(url->user, "app+user");
  EXPECT_EQ(url->password.Reveal(), "p@ss:w0rd");
  EXPECT_EQ(url->host, "db.example.com");
  EXPECT_EQ(url->port, 6432);
  EXPECT_EQ(url->database, "callgate");
  ASSERT_EQ(url->params.size(), 2u);
  EXPECT_EQ(url->params[0], (std::pair<std::string, std::string>("sslmode", "require")));
  EXPECT_EQ(url->params[1].second, "cg api");
}

TEST(ParseDatabaseUrl, DefaultsPortAndAcceptsPostgresScheme) {
  auto url = ParseDatabaseUrl("postgres://localhost/callgate");
  ASSERT_TRUE(url.has_value());
  EXPECT_EQ(url->port, 5432);
  EXPECT_EQ(url->host, "localhost");
  EXPECT_TRUE(url->user.empty());
  EXPECT_TRUE(url->password.empty());
}

TEST(ParseDatabaseUrl, ParsesIpv6Host) {
  auto url = ParseDatabaseUrl("postgresql://u@[::1]:5433/db");
  ASSERT_TRUE(url.has_value()) << url.error().message;
  EXPECT_EQ(url->host, "::1");
  EXPECT_EQ(url->port, 5433);
  EXPECT_EQ(url->Redacted(), "postgresql://u@[::1]:5433/db");
}

TEST(ParseDatabaseUrl, UnescapedAtInPasswordStillParses) {
  auto url = ParseDatabaseUrl("postgresql://u:p@ss@host/db");
  ASSERT_TRUE(url.has_value());
  EXPECT_EQ(url->password.Reveal(), "p@ss");
  EXPECT_EQ(url->host, "host");
}

TEST(DatabaseUrl, RedactedHidesThePassword) {
  auto url = ParseDatabaseUrl("postgresql://app:topsecret@db:5432/callgate?sslmode=verify-full");
  ASSERT_TRUE(url.has_value());
  const std::string redacted = url->Redacted();
  EXPECT_EQ(redacted, "postgresql://app:***@db:5432/callgate?sslmode=verify-full");
  EXPECT_EQ(redacted.find("topsecret"), std::string::npos);
}

TEST(DatabaseUrl, ConnectStringQuotesEveryValue) {
  auto url = ParseDatabaseUrl("postgresql://app:it%27s%5Cx%20y@db:5432/callgate?sslmode=require");
  ASSERT_TRUE(url.has_value());
  EXPECT_EQ(url->ConnectString().Reveal(),
            "host='db' port='5432' dbname='callgate' user='app' password='it\\'s\\\\x y' "
            "sslmode='require'");
}

TEST(ParseDatabaseUrl, RejectsBadUrlsWithInvalidArgument) {
  for (const char* bad : {
           "",
           "mysql://localhost/db",
           "sqlite://",
           "sqlite:data.db",
           "sqlite://data.db?mode=ro",
           "sqlite://bad%2",
           "sqlite://a%22b.db",
           "postgresql://host",
           "postgresql://host/",
           "postgresql://host:99999/db",
           "postgresql://host:0/db",
           "postgresql://host:abc/db",
           "postgresql://host:/db",
           "postgresql://u:p%zz@h/db",
           "postgresql://h/db?ssl_mode=require",
           "postgresql://h/db?password=x",
           "postgresql://[::1/db",
           "postgresql://h/db/extra",
       }) {
    auto url = ParseDatabaseUrl(bad);
    ASSERT_FALSE(url.has_value()) << "accepted: " << bad;
    EXPECT_EQ(url.error().code, ErrorCode::kInvalidArgument) << bad;
    EXPECT_FALSE(url.error().message.empty());
  }
}

TEST(ParseDatabaseUrl, ErrorsNeverEchoThePassword) {
  for (const char* bad : {"postgresql://u:topsecret@h:bad/db", "postgresql://u:topsecret%zz@h/db",
                          "mysql://u:topsecret@h/db", "postgresql://u:topsecret@h/db?x=1"}) {
    auto url = ParseDatabaseUrl(bad);
    ASSERT_FALSE(url.has_value()) << bad;
    EXPECT_EQ(url.error().message.find("topsecret"), std::string::npos) << url.error().message;
  }
}

}  // namespace
}  // namespace callgate::storage
