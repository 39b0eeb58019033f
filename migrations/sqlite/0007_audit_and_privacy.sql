-- Audit log and per-company privacy settings (docs/privacy.md).
--
-- audit_events: append-only (only the retention purge deletes, after
-- CALLGATE_AUDIT_RETENTION_DAYS): who (actor "user:<id>" or "system"), which company, what
-- (action such as "customers.get", "privacy.erase"), on what (target, e.g. "customer:7" or a
-- masked phone number), the request id and when. No personal data beyond ids and masked numbers.
--
-- companies.store_recordings: when 0 (the default), recording URLs from webhooks are not stored.
-- companies.ai_disclosure: the sentence the agent says first (EU AI Act Art. 50); empty means
-- the default sentence with the company name.
-- Keep migrations/postgresql/0007_audit_and_privacy.sql in step.
CREATE TABLE audit_events (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  company_id BIGINT,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  target TEXT NOT NULL DEFAULT '',
  detail TEXT NOT NULL DEFAULT '',
  request_id TEXT,
  created_at BIGINT NOT NULL
);
CREATE INDEX audit_events_company_idx ON audit_events (company_id, id);
CREATE INDEX audit_events_created_idx ON audit_events (created_at);

ALTER TABLE companies ADD COLUMN store_recordings INTEGER NOT NULL DEFAULT 0
  CHECK (store_recordings IN (0, 1));
ALTER TABLE companies ADD COLUMN ai_disclosure TEXT NOT NULL DEFAULT '';
