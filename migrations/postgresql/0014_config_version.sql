-- The tenant configuration's version: every change to companies, branches, services or
-- phone_numbers raises it, whoever makes it (admin API, CLI, plain SQL). Each instance keeps
-- those tables' answers in memory and drops them when the version moved (tenancy/
-- cached_repositories.hpp, TENANCY_CACHE_REFRESH_MS). Keep migrations/sqlite/
-- 0014_config_version.sql in step.
CREATE TABLE config_version (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  version BIGINT NOT NULL
);
INSERT INTO config_version (id, version) VALUES (1, 1);

CREATE FUNCTION callgate_config_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE config_version SET version = version + 1 WHERE id = 1;
  RETURN NULL;
END;
$$;

CREATE TRIGGER companies_config_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
  ON companies FOR EACH STATEMENT EXECUTE FUNCTION callgate_config_changed();
CREATE TRIGGER branches_config_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
  ON branches FOR EACH STATEMENT EXECUTE FUNCTION callgate_config_changed();
CREATE TRIGGER services_config_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
  ON services FOR EACH STATEMENT EXECUTE FUNCTION callgate_config_changed();
CREATE TRIGGER phone_numbers_config_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
  ON phone_numbers FOR EACH STATEMENT EXECUTE FUNCTION callgate_config_changed();
