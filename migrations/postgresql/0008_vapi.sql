-- Vapi as a second voice platform (docs/agents.md): each call records the platform that
-- reported it, and a company with its own Vapi account authenticates its server messages at
-- /webhooks/vapi/c/<slug> with its own secret (stored sealed like the other company secrets;
-- NULL = the platform secret VAPI_SECRET).
-- Keep migrations/sqlite/0008_vapi.sql in step.
ALTER TABLE calls ADD COLUMN platform TEXT NOT NULL DEFAULT 'retell';
ALTER TABLE companies ADD COLUMN vapi_secret TEXT;
