#include "storage/postgres_text_array.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <optional>
#include <vector>

#include "storage/testing/test_database.hpp"

namespace callgate::storage {
namespace {

Params Awkward() {
  return Params()
      .Add(std::numeric_limits<std::int64_t>::min())
      .Add(0.1)
      .Add(std::optional<std::string>())
      .Add("NULL")  // the word, not a NULL
      .Add("")
      .Add(R"(say "hi" \ back\\slash, {braces}, commas)")
      .Add("Grüße\naus Köln\t'quoted'")
      .Add(" padded ");
}

TEST(TextArrayLiteral, QuotesEveryValueEscapesQuotesAndBackslashesAndLeavesNullBare) {
  EXPECT_EQ(TextArrayLiteral(Params()), "{}");
  EXPECT_EQ(TextArrayLiteral(Awkward()),
            R"({"-9223372036854775808","0.10000000000000001",NULL,"NULL","",)"
            R"("say \"hi\" \\ back\\\\slash, {braces}, commas","Grüße)"
            "\naus Köln\t'quoted'\",\" padded \"}");
  std::string joined = "{";
  AppendArrayElements(Params().Add(1), joined);
  joined += ',';
  AppendArrayElements(Params().Add("a"), joined);
  EXPECT_EQ(joined + "}", R"({"1","a"})");
}

class TextArrayOnPostgres : public testing::DatabaseTest {};

TEST_P(TextArrayOnPostgres, TheServerReadsBackExactlyTheValuesGiven) {
  const Params given = Awkward();
  std::vector<std::optional<std::string>> read;
  auto done = db().Run([&](Session& s) -> Status {
    s.Rows("SELECT v FROM unnest(CAST(:a AS TEXT[])) WITH ORDINALITY AS t(v, n) ORDER BY n", "v",
           Params().Add(TextArrayLiteral(given)),
           [&](const Row& row) { read.push_back(row.OptionalString("v")); });
    return Ok();
  });
  ASSERT_TRUE(done.has_value()) << done.error().message;
  const std::vector<std::optional<std::string>> expected{
      "-9223372036854775808",
      "0.10000000000000001",
      std::nullopt,
      "NULL",
      "",
      R"(say "hi" \ back\\slash, {braces}, commas)",
      "Grüße\naus Köln\t'quoted'",
      " padded "};
  EXPECT_EQ(read, expected);
}

INSTANTIATE_TEST_SUITE_P(Backends, TextArrayOnPostgres,
                         ::testing::Values(std::string("postgresql"), std::string("pgbouncer")),
                         testing::BackendName);

}  // namespace
}  // namespace callgate::storage
