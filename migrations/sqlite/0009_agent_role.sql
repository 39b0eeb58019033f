-- Users with role 'agent' (docs/agents.md "MCP"): an agent platform's MCP client, bound to one
-- company like company admins and viewers; its tokens open /mcp for that company and nothing
-- of the admin API. Keep migrations/postgresql/0009_agent_role.sql in step.
--
-- SQLite cannot change a CHECK constraint, so users is rebuilt with the same columns, rows, ids
-- and id sequence, and api_tokens with it (it refers to users, and foreign keys are on inside
-- the migration's transaction). The new tables refer to each other before they are renamed;
-- renaming rewrites api_tokens' reference to "users".
CREATE TABLE users_0009 (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  company_id BIGINT REFERENCES companies (id),
  email TEXT NOT NULL,
  name TEXT NOT NULL DEFAULT '',
  password_hash TEXT NOT NULL,
  role TEXT NOT NULL CHECK (role IN ('platform_admin', 'company_admin', 'viewer', 'agent')),
  is_active INTEGER NOT NULL DEFAULT 1 CHECK (is_active IN (0, 1)),
  last_login_at BIGINT,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  CONSTRAINT users_email_unique UNIQUE (email),
  -- Platform admins belong to no company; everyone else to exactly one.
  CHECK ((role = 'platform_admin') = (company_id IS NULL))
);
INSERT INTO users_0009 (id, company_id, email, name, password_hash, role, is_active,
                        last_login_at, created_at, updated_at)
  SELECT id, company_id, email, name, password_hash, role, is_active, last_login_at, created_at,
         updated_at
  FROM users;

CREATE TABLE api_tokens_0009 (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  user_id BIGINT NOT NULL REFERENCES users_0009 (id),
  name TEXT NOT NULL DEFAULT '',
  token_hash TEXT NOT NULL,
  abilities TEXT NOT NULL DEFAULT '[]',
  expires_at BIGINT,
  last_used_at BIGINT,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  revoked_at BIGINT,
  CONSTRAINT api_tokens_token_hash_unique UNIQUE (token_hash)
);
INSERT INTO api_tokens_0009 (id, user_id, name, token_hash, abilities, expires_at, last_used_at,
                             created_at, updated_at, revoked_at)
  SELECT id, user_id, name, token_hash, abilities, expires_at, last_used_at, created_at,
         updated_at, revoked_at
  FROM api_tokens;

-- Ids are never reused: the new tables continue the old sequences.
DELETE FROM sqlite_sequence WHERE name IN ('users_0009', 'api_tokens_0009');
INSERT INTO sqlite_sequence (name, seq)
  SELECT 'users_0009', seq FROM sqlite_sequence WHERE name = 'users';
INSERT INTO sqlite_sequence (name, seq)
  SELECT 'api_tokens_0009', seq FROM sqlite_sequence WHERE name = 'api_tokens';

DROP TABLE api_tokens;
DROP TABLE users;
ALTER TABLE users_0009 RENAME TO users;
ALTER TABLE api_tokens_0009 RENAME TO api_tokens;
CREATE INDEX users_company_idx ON users (company_id);
CREATE INDEX api_tokens_user_idx ON api_tokens (user_id);
