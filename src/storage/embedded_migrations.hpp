#pragma once
// Internal to storage: the migration files compiled into the binary. The definitions are
// generated at build time by embed_migrations.cmake from migrations/<dialect>/*.sql.

#include <cstddef>

namespace callgate::storage::internal {

struct EmbeddedMigrationFile {
  const char* dialect;    // folder name: "sqlite" or "postgresql"
  const char* file_name;  // "0001_initial_schema.sql"
  const char* sql;
};

extern const EmbeddedMigrationFile kEmbeddedMigrationFiles[];
extern const std::size_t kEmbeddedMigrationFileCount;

}  // namespace callgate::storage::internal
