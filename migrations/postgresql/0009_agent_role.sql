-- Users with role 'agent' (docs/agents.md "MCP"): an agent platform's MCP client, bound to one
-- company like company admins and viewers; its tokens open /mcp for that company and nothing
-- of the admin API. Keep migrations/sqlite/0009_agent_role.sql in step.
ALTER TABLE users DROP CONSTRAINT users_role_check;
ALTER TABLE users ADD CONSTRAINT users_role_check
  CHECK (role IN ('platform_admin', 'company_admin', 'viewer', 'agent'));
