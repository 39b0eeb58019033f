-- Retention per company (docs/privacy.md): call content (transcripts, summaries, analysis,
-- recording URLs) is cleared retention_days after the call; customers with no call and no
-- appointment for customer_retention_days are deleted. Call metadata for billing stays.
-- Keep migrations/sqlite/0006_retention.sql in step.
ALTER TABLE companies ADD COLUMN retention_days INTEGER NOT NULL DEFAULT 30
  CHECK (retention_days >= 1);
ALTER TABLE companies ADD COLUMN customer_retention_days INTEGER NOT NULL DEFAULT 365
  CHECK (customer_retention_days >= 1);
