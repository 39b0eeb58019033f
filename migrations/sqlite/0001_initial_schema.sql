-- The full schema of SPEC.md §1. Conventions (docs/adr/0002-storage-conventions.md):
-- timestamps BIGINT ms since the Unix epoch (UTC); booleans INTEGER 0/1; money BIGINT cents;
-- JSON as TEXT (JSONB in PostgreSQL); every tenant row carries company_id, and references between
-- tenant rows include company_id so they can never point into another tenant.
-- Keep migrations/postgresql/0001_initial_schema.sql in step: same tables, same columns.

CREATE TABLE companies (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT NOT NULL,
  slug TEXT NOT NULL,
  timezone TEXT NOT NULL DEFAULT 'Europe/Berlin',
  language TEXT NOT NULL DEFAULT 'de',
  is_active INTEGER NOT NULL DEFAULT 1 CHECK (is_active IN (0, 1)),
  calcom_api_key TEXT,
  retell_api_key TEXT,
  parent_company_id BIGINT REFERENCES companies (id),
  reseller_markup_percent REAL NOT NULL DEFAULT 0,
  price_per_minute_cents BIGINT NOT NULL DEFAULT 0,
  included_minutes BIGINT NOT NULL DEFAULT 0,
  cancellation_notice_hours INTEGER NOT NULL DEFAULT 24,
  cancellation_monthly_limit INTEGER,
  cancellation_fee_tiers TEXT NOT NULL DEFAULT '[]',
  reschedule_notice_hours INTEGER NOT NULL DEFAULT 24,
  reschedule_monthly_limit INTEGER,
  reschedule_fee_tiers TEXT NOT NULL DEFAULT '[]',
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  CONSTRAINT companies_slug_unique UNIQUE (slug)
);
CREATE INDEX companies_parent_idx ON companies (parent_company_id);

CREATE TABLE branches (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  company_id BIGINT NOT NULL REFERENCES companies (id),
  name TEXT NOT NULL,
  address TEXT NOT NULL DEFAULT '',
  phone_e164 TEXT,
  timezone TEXT NOT NULL DEFAULT 'Europe/Berlin',
  business_hours TEXT NOT NULL DEFAULT '{}',
  is_active INTEGER NOT NULL DEFAULT 1 CHECK (is_active IN (0, 1)),
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  CONSTRAINT branches_company_id_id_unique UNIQUE (company_id, id),
  CONSTRAINT branches_company_name_unique UNIQUE (company_id, name)
);

CREATE TABLE services (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  company_id BIGINT NOT NULL REFERENCES companies (id),
  branch_id BIGINT,
  name TEXT NOT NULL,
  synonyms TEXT NOT NULL DEFAULT '[]',
  duration_minutes INTEGER NOT NULL CHECK (duration_minutes > 0),
  price_cents BIGINT NOT NULL DEFAULT 0,
  calcom_event_type_id BIGINT,
  minimum_notice_minutes INTEGER NOT NULL DEFAULT 0 CHECK (minimum_notice_minutes >= 0),
  is_default INTEGER NOT NULL DEFAULT 0 CHECK (is_default IN (0, 1)),
  is_active INTEGER NOT NULL DEFAULT 1 CHECK (is_active IN (0, 1)),
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  CONSTRAINT services_company_id_id_unique UNIQUE (company_id, id),
  CONSTRAINT services_branch_fk FOREIGN KEY (company_id, branch_id)
    REFERENCES branches (company_id, id)
);
CREATE INDEX services_company_branch_idx ON services (company_id, branch_id);
CREATE INDEX services_calcom_event_type_idx ON services (calcom_event_type_id);

CREATE TABLE phone_numbers (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  company_id BIGINT NOT NULL REFERENCES companies (id),
  branch_id BIGINT,
  number_e164 TEXT NOT NULL,
  retell_agent_id TEXT,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  CONSTRAINT phone_numbers_number_unique UNIQUE (number_e164),
  CONSTRAINT phone_numbers_company_id_id_unique UNIQUE (company_id, id),
  CONSTRAINT phone_numbers_branch_fk FOREIGN KEY (company_id, branch_id)
    REFERENCES branches (company_id, id)
);
CREATE INDEX phone_numbers_company_idx ON phone_numbers (company_id);
CREATE INDEX phone_numbers_agent_idx ON phone_numbers (retell_agent_id);

CREATE TABLE customers (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  company_id BIGINT NOT NULL REFERENCES companies (id),
  name TEXT NOT NULL DEFAULT '',
  phone_e164 TEXT NOT NULL,
  email TEXT,
  notes TEXT NOT NULL DEFAULT '',
  last_call_at BIGINT,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  CONSTRAINT customers_company_phone_unique UNIQUE (company_id, phone_e164),
  CONSTRAINT customers_company_id_id_unique UNIQUE (company_id, id)
);

CREATE TABLE calls (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  company_id BIGINT NOT NULL REFERENCES companies (id),
  branch_id BIGINT,
  phone_number_id BIGINT,
  customer_id BIGINT,
  retell_call_id TEXT NOT NULL,
  agent_id TEXT,
  direction TEXT NOT NULL DEFAULT 'inbound' CHECK (direction IN ('inbound', 'outbound')),
  from_number TEXT,
  to_number TEXT,
  status TEXT NOT NULL DEFAULT 'registered',
  started_at BIGINT,
  ended_at BIGINT,
  duration_ms BIGINT,
  disconnection_reason TEXT,
  transcript TEXT,
  transcript_object TEXT,
  recording_url TEXT,
  summary TEXT,
  sentiment TEXT,
  call_successful INTEGER CHECK (call_successful IN (0, 1)),
  analysis TEXT,
  metadata TEXT,
  retell_cost_cents BIGINT,
  base_cost_cents BIGINT,
  reseller_cost_cents BIGINT,
  customer_cost_cents BIGINT,
  platform_profit_cents BIGINT,
  reseller_profit_cents BIGINT,
  total_profit_cents BIGINT,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  CONSTRAINT calls_retell_call_id_unique UNIQUE (retell_call_id),
  CONSTRAINT calls_company_id_id_unique UNIQUE (company_id, id),
  CONSTRAINT calls_branch_fk FOREIGN KEY (company_id, branch_id)
    REFERENCES branches (company_id, id),
  CONSTRAINT calls_phone_number_fk FOREIGN KEY (company_id, phone_number_id)
    REFERENCES phone_numbers (company_id, id),
  CONSTRAINT calls_customer_fk FOREIGN KEY (company_id, customer_id)
    REFERENCES customers (company_id, id)
);
CREATE INDEX calls_company_started_idx ON calls (company_id, started_at);
CREATE INDEX calls_company_customer_idx ON calls (company_id, customer_id);

CREATE TABLE appointments (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  company_id BIGINT NOT NULL REFERENCES companies (id),
  branch_id BIGINT,
  service_id BIGINT,
  customer_id BIGINT,
  call_id BIGINT,
  starts_at BIGINT NOT NULL,
  ends_at BIGINT NOT NULL,
  timezone TEXT NOT NULL,
  status TEXT NOT NULL
    CHECK (status IN ('booked', 'cancelled', 'rescheduled', 'pending_sync', 'completed')),
  calcom_booking_uid TEXT,
  source TEXT NOT NULL CHECK (source IN ('phone_agent', 'calcom', 'admin')),
  idempotency_key TEXT,
  rescheduled_from_id BIGINT,
  cancelled_at BIGINT,
  notes TEXT NOT NULL DEFAULT '',
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  CHECK (ends_at > starts_at),
  CONSTRAINT appointments_company_id_id_unique UNIQUE (company_id, id),
  CONSTRAINT appointments_idempotency_unique UNIQUE (company_id, idempotency_key),
  CONSTRAINT appointments_calcom_uid_unique UNIQUE (calcom_booking_uid),
  CONSTRAINT appointments_branch_fk FOREIGN KEY (company_id, branch_id)
    REFERENCES branches (company_id, id),
  CONSTRAINT appointments_service_fk FOREIGN KEY (company_id, service_id)
    REFERENCES services (company_id, id),
  CONSTRAINT appointments_customer_fk FOREIGN KEY (company_id, customer_id)
    REFERENCES customers (company_id, id),
  CONSTRAINT appointments_call_fk FOREIGN KEY (company_id, call_id)
    REFERENCES calls (company_id, id),
  CONSTRAINT appointments_rescheduled_from_fk FOREIGN KEY (company_id, rescheduled_from_id)
    REFERENCES appointments (company_id, id)
);
-- No two live appointments for one slot of one service at one branch: the last line of defence
-- against double-booking when two calls race for the same slot. A missing branch counts as
-- branch 0 so it still collides with itself.
CREATE UNIQUE INDEX appointments_active_slot_unique
  ON appointments (company_id, COALESCE(branch_id, 0), service_id, starts_at)
  WHERE status IN ('booked', 'pending_sync');
CREATE INDEX appointments_company_starts_idx ON appointments (company_id, starts_at);
CREATE INDEX appointments_company_customer_idx ON appointments (company_id, customer_id);
CREATE INDEX appointments_pending_sync_idx ON appointments (status) WHERE status = 'pending_sync';

CREATE TABLE callback_requests (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  company_id BIGINT NOT NULL REFERENCES companies (id),
  branch_id BIGINT,
  customer_id BIGINT,
  call_id BIGINT,
  phone TEXT,
  name TEXT NOT NULL DEFAULT '',
  reason TEXT NOT NULL DEFAULT '',
  status TEXT NOT NULL DEFAULT 'open'
    CHECK (status IN ('open', 'in_progress', 'completed', 'cancelled')),
  due_at BIGINT,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  CONSTRAINT callback_requests_company_id_id_unique UNIQUE (company_id, id),
  CONSTRAINT callback_requests_branch_fk FOREIGN KEY (company_id, branch_id)
    REFERENCES branches (company_id, id),
  CONSTRAINT callback_requests_customer_fk FOREIGN KEY (company_id, customer_id)
    REFERENCES customers (company_id, id),
  CONSTRAINT callback_requests_call_fk FOREIGN KEY (company_id, call_id)
    REFERENCES calls (company_id, id)
);
CREATE INDEX callback_requests_company_status_idx
  ON callback_requests (company_id, status, due_at);

CREATE TABLE users (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  company_id BIGINT REFERENCES companies (id),
  email TEXT NOT NULL,
  name TEXT NOT NULL DEFAULT '',
  password_hash TEXT NOT NULL,
  role TEXT NOT NULL CHECK (role IN ('platform_admin', 'company_admin', 'viewer')),
  is_active INTEGER NOT NULL DEFAULT 1 CHECK (is_active IN (0, 1)),
  last_login_at BIGINT,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  CONSTRAINT users_email_unique UNIQUE (email),
  -- Platform admins belong to no company; everyone else to exactly one.
  CHECK ((role = 'platform_admin') = (company_id IS NULL))
);
CREATE INDEX users_company_idx ON users (company_id);

CREATE TABLE api_tokens (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  user_id BIGINT NOT NULL REFERENCES users (id),
  name TEXT NOT NULL DEFAULT '',
  token_hash TEXT NOT NULL,
  abilities TEXT NOT NULL DEFAULT '[]',
  expires_at BIGINT,
  last_used_at BIGINT,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  CONSTRAINT api_tokens_token_hash_unique UNIQUE (token_hash)
);
CREATE INDEX api_tokens_user_idx ON api_tokens (user_id);

CREATE TABLE webhook_events (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  company_id BIGINT REFERENCES companies (id),
  source TEXT NOT NULL,
  event TEXT NOT NULL,
  dedupe_key TEXT NOT NULL,
  payload TEXT NOT NULL,
  received_at BIGINT NOT NULL,
  status TEXT NOT NULL DEFAULT 'received'
    CHECK (status IN ('received', 'processing', 'processed', 'failed', 'ignored')),
  processed_at BIGINT,
  error TEXT,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  CONSTRAINT webhook_events_dedupe_key_unique UNIQUE (dedupe_key)
);
CREATE INDEX webhook_events_status_idx ON webhook_events (status, received_at);
CREATE INDEX webhook_events_company_idx ON webhook_events (company_id, received_at);

CREATE TABLE jobs (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  company_id BIGINT REFERENCES companies (id),
  queue TEXT NOT NULL DEFAULT 'default',
  type TEXT NOT NULL,
  payload TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  max_attempts INTEGER NOT NULL DEFAULT 3,
  available_at BIGINT NOT NULL,
  reserved_until BIGINT,
  reserved_by TEXT,
  last_error TEXT,
  unique_key TEXT,
  request_id TEXT,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  CONSTRAINT jobs_unique_key_unique UNIQUE (unique_key)
);
-- Workers poll "next available job of queue Q".
CREATE INDEX jobs_queue_available_idx ON jobs (queue, available_at);
CREATE INDEX jobs_reserved_until_idx ON jobs (reserved_until);

CREATE TABLE failed_jobs (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  company_id BIGINT REFERENCES companies (id),
  job_id BIGINT,
  queue TEXT NOT NULL,
  type TEXT NOT NULL,
  payload TEXT NOT NULL,
  attempts INTEGER NOT NULL,
  error TEXT NOT NULL,
  request_id TEXT,
  failed_at BIGINT NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE INDEX failed_jobs_failed_at_idx ON failed_jobs (failed_at);
