-- The tenant configuration's version: every change to companies, branches, services or
-- phone_numbers raises it, whoever makes it (admin API, CLI, plain SQL). Each instance keeps
-- those tables' answers in memory and drops them when the version moved (tenancy/
-- cached_repositories.hpp, TENANCY_CACHE_REFRESH_MS). A migration that rebuilds one of these
-- tables must create its triggers again. Keep migrations/postgresql/0014_config_version.sql in
-- step.
CREATE TABLE config_version (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  version INTEGER NOT NULL
);
INSERT INTO config_version (id, version) VALUES (1, 1);

CREATE TRIGGER companies_config_insert AFTER INSERT ON companies
BEGIN UPDATE config_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER companies_config_update AFTER UPDATE ON companies
BEGIN UPDATE config_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER companies_config_delete AFTER DELETE ON companies
BEGIN UPDATE config_version SET version = version + 1 WHERE id = 1; END;

CREATE TRIGGER branches_config_insert AFTER INSERT ON branches
BEGIN UPDATE config_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER branches_config_update AFTER UPDATE ON branches
BEGIN UPDATE config_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER branches_config_delete AFTER DELETE ON branches
BEGIN UPDATE config_version SET version = version + 1 WHERE id = 1; END;

CREATE TRIGGER services_config_insert AFTER INSERT ON services
BEGIN UPDATE config_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER services_config_update AFTER UPDATE ON services
BEGIN UPDATE config_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER services_config_delete AFTER DELETE ON services
BEGIN UPDATE config_version SET version = version + 1 WHERE id = 1; END;

CREATE TRIGGER phone_numbers_config_insert AFTER INSERT ON phone_numbers
BEGIN UPDATE config_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER phone_numbers_config_update AFTER UPDATE ON phone_numbers
BEGIN UPDATE config_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER phone_numbers_config_delete AFTER DELETE ON phone_numbers
BEGIN UPDATE config_version SET version = version + 1 WHERE id = 1; END;
