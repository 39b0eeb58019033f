-- PostgreSQL writes a platform event and its call update with one function call
-- (migrations/postgresql/0015_record_call_event.sql). SQLite has no stored functions: the same
-- two statements run from storage::SqlCallEventStore, in one transaction committed together
-- with concurrent ones. Nothing to change here; the file keeps the version numbers in step.
SELECT 1;
