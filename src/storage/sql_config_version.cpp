#include "storage/session.hpp"
#include "storage/sql_tenancy_repositories.hpp"

namespace callgate::storage {

Result<std::int64_t> SqlConfigVersion::Current() {
  return database_.Run([&](Session& s) -> Result<std::int64_t> {
    std::optional<std::int64_t> version;
    s.Query("version", "FROM config_version WHERE id = 1", {},
            [&](const Row& row) { version = row.Int64("version"); });
    if (!version) return Fail(ErrorCode::kInternal, "config_version has no row (migration 0014)");
    return *version;
  });
}

}  // namespace callgate::storage
