-- The callback queue (docs/admin-api.md "Callbacks") and the callback_overdue alert read open
-- requests in due order, per company and across companies: an index of the open ones by their
-- due time (a request without one counts from its creation).
-- Keep migrations/sqlite/0012_callback_queue.sql in step.
CREATE INDEX callback_requests_open_due_idx
  ON callback_requests ((COALESCE(due_at, created_at)), id) WHERE status = 'open';
