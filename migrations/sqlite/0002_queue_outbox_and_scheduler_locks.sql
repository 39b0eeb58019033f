-- Queue support (docs/queue.md). Keep migrations/postgresql/0002_* in step.
--
-- job_outbox: jobs enqueued through the Redis driver, written in the caller's transaction and
-- copied to Redis by a relay once committed; the row id becomes the job id.
CREATE TABLE job_outbox (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  queue TEXT NOT NULL,
  type TEXT NOT NULL,
  payload TEXT NOT NULL,
  available_at BIGINT NOT NULL,
  request_id TEXT,
  created_at BIGINT NOT NULL
);

-- scheduler_locks: one row per periodic task; the instance that moves locked_until to the end
-- of the current period fires the task for that period.
CREATE TABLE scheduler_locks (
  name TEXT PRIMARY KEY,
  owner TEXT NOT NULL,
  locked_until BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);


-- Workers take the oldest due job of a queue: ORDER BY available_at, id LIMIT 1 walks this index
-- in order (a reserved job's available_at moves to its lease end, out of the due range).
DROP INDEX jobs_queue_available_idx;
CREATE INDEX jobs_queue_available_idx ON jobs (queue, available_at, id);
