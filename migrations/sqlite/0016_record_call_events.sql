-- PostgreSQL writes concurrent platform events and their call updates with one function call
-- (migrations/postgresql/0016_record_call_events.sql). SQLite has no stored functions: its
-- group commit runs the two statements per event inside one transaction (storage::Database).
-- Nothing to change here; the file keeps the version numbers in step.
SELECT 1;
