-- Admin API tokens can be revoked (docs/admin-api.md). Keep migrations/sqlite/0003_admin.sql
-- in step.
ALTER TABLE api_tokens ADD COLUMN revoked_at BIGINT;
