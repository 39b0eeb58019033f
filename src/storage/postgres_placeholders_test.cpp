#include "storage/postgres_placeholders.hpp"

#include <gtest/gtest.h>

namespace callgate::storage {
namespace {

struct Case {
  const char* sql;
  const char* numbered;
};

TEST(NumberPlaceholders, NumbersNamesInOrderAndLeavesCastsAssignmentsAndQuotedTextAlone) {
  const Case cases[] = {
      // in order of appearance; the same name twice is two parameters
      {"SELECT id FROM calls WHERE company_id = :c AND id = :id",
       "SELECT id FROM calls WHERE company_id = $1 AND id = $2"},
      {"UPDATE t SET a = :v WHERE a <> :v", "UPDATE t SET a = $1 WHERE a <> $2"},
      {"VALUES (:a,:b_2,:C3)", "VALUES ($1,$2,$3)"},
      // a placeholder at the end of the text
      {"LIMIT :n", "LIMIT $1"},
      {"OFFSET :a LIMIT :n", "OFFSET $1 LIMIT $2"},
      // casts, also right after a placeholder, and assignments
      {"SELECT x::text, 1::bigint", "SELECT x::text, 1::bigint"},
      {"SELECT :id::bigint, :m::jsonb", "SELECT $1::bigint, $2::jsonb"},
      {"DO $$ BEGIN v := 1; END $$", "DO $$ BEGIN v := 1; END $$"},
      // nothing inside quoted text or quoted identifiers
      {"SELECT '10:30', \"a:b\" FROM t WHERE x = :x",
       "SELECT '10:30', \"a:b\" FROM t WHERE x = $1"},
      {"SELECT 'it''s :not' || :yes", "SELECT 'it''s :not' || $1"},
      // no placeholders at all
      {"", ""},
      {"BEGIN", "BEGIN"},
  };
  for (const auto& c : cases) EXPECT_EQ(NumberPlaceholders(c.sql), c.numbered) << c.sql;
}

}  // namespace
}  // namespace callgate::storage
