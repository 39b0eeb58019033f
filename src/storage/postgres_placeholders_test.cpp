#include "storage/postgres_placeholders.hpp"

#include <gtest/gtest.h>

namespace callgate::storage {
namespace {

TEST(NumberPlaceholders, NumbersNamesInOrderOfAppearanceAndTheSameNameTwiceIsTwoParameters) {
  EXPECT_EQ(NumberPlaceholders("SELECT id FROM calls WHERE company_id = :c AND id = :id"),
            "SELECT id FROM calls WHERE company_id = $1 AND id = $2");
  EXPECT_EQ(NumberPlaceholders("UPDATE t SET a = :v WHERE a <> :v"),
            "UPDATE t SET a = $1 WHERE a <> $2");
  EXPECT_EQ(NumberPlaceholders("VALUES (:a,:b_2,:C3)"), "VALUES ($1,$2,$3)");
}

TEST(NumberPlaceholders, APlaceholderAtTheEndOfTheTextIsNumbered) {
  EXPECT_EQ(NumberPlaceholders("LIMIT :n"), "LIMIT $1");
  EXPECT_EQ(NumberPlaceholders("OFFSET :a LIMIT :n"), "OFFSET $1 LIMIT $2");
}

TEST(NumberPlaceholders, CastsAndAssignmentsStayAsTheyAre) {
  EXPECT_EQ(NumberPlaceholders("SELECT x::text, 1::bigint"), "SELECT x::text, 1::bigint");
  EXPECT_EQ(NumberPlaceholders("SELECT :id::bigint, :m::jsonb"), "SELECT $1::bigint, $2::jsonb");
  EXPECT_EQ(NumberPlaceholders("DO $$ BEGIN v := 1; END $$"), "DO $$ BEGIN v := 1; END $$");
}

TEST(NumberPlaceholders, NothingChangesInsideQuotedTextOrIdentifiers) {
  EXPECT_EQ(NumberPlaceholders("SELECT '10:30', \"a:b\" FROM t WHERE x = :x"),
            "SELECT '10:30', \"a:b\" FROM t WHERE x = $1");
  EXPECT_EQ(NumberPlaceholders("SELECT 'it''s :not' || :yes"), "SELECT 'it''s :not' || $1");
}

TEST(NumberPlaceholders, TextWithoutPlaceholdersIsUnchanged) {
  EXPECT_EQ(NumberPlaceholders(""), "");
  EXPECT_EQ(NumberPlaceholders("BEGIN"), "BEGIN");
  EXPECT_EQ(NumberPlaceholders("SELECT 1"), "SELECT 1");
}

}  // namespace
}  // namespace callgate::storage
