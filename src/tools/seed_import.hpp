#pragma once
// Imports a tenant file into the database: creates what is missing, updates what differs and
// leaves identical rows untouched, all in one transaction. Importing the same file twice
// changes nothing. Rows not named in the file are never deleted.

#include <string>

#include "core/clock.hpp"
#include "core/result.hpp"
#include "storage/database.hpp"
#include "tools/tenant_file.hpp"

namespace callgate::tools {

struct ImportCounts {
  int created = 0;
  int updated = 0;
  int unchanged = 0;
};

struct ImportReport {
  ImportCounts companies, branches, services, phone_numbers, customers;

  // "companies 1 created, 0 updated, 0 unchanged; branches …".
  std::string Summary() const;
  bool ChangedAnything() const;
};

// Matching keys: company by slug; branch by (company, name); service by (company, name,
// branch); phone number by number (a number owned by another company is kAlreadyExists);
// customer by (company, phone). A service listed for some but not all branches becomes one
// service row per listed branch; for no or all branches one company-wide row.
// Fails without writing anything when any row fails.
Result<ImportReport> ImportTenants(const TenantFile& file, storage::Database& database,
                                   const Clock& clock);

// Number of companies in the database (`seed --if-empty`).
Result<int> CountCompanies(storage::Database& database, const Clock& clock);

}  // namespace callgate::tools
