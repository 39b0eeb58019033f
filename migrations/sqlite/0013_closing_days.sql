-- Closing days ("Betriebsferien"): a JSON list of {"from": "2026-12-24", "to": "2027-01-01",
-- "name": "Betriebsferien"} (ISO dates, both inclusive, local to the branch). A company's hold
-- at all its branches, a branch's only there. Such days are never offered and a wish on one is
-- refused with its name, like a public holiday. Keep migrations/postgresql/0013_closing_days.sql
-- in step.
ALTER TABLE companies ADD COLUMN closing_days TEXT NOT NULL DEFAULT '[]';
ALTER TABLE branches ADD COLUMN closing_days TEXT NOT NULL DEFAULT '[]';
