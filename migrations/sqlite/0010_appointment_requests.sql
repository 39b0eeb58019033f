-- Bookings awaiting the practice (docs/calcom.md "Supported event-type settings"): an event type
-- that requires confirmation answers a create with status "pending"; the appointment is then
-- 'requested' (it holds its slot like 'booked') until Cal.com announces the confirmation
-- (→ 'booked') or the rejection (→ 'rejected', the slot is free again). Seated event types: the
-- attendee's seat (calcom_seat_uid, not personal) addresses their cancel and reschedule.
-- Keep migrations/postgresql/0010_appointment_requests.sql in step.
--
-- SQLite cannot change a CHECK constraint, so appointments is rebuilt with the same columns,
-- rows, ids and id sequence (as 0009 did for users). Nothing else refers to appointments; its
-- own reference (rescheduled_from_id) names the new table and is rewritten by the rename. Rows
-- are copied in id order, so a row's predecessor is always there before it.
CREATE TABLE appointments_0010 (
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
    CHECK (status IN ('booked', 'cancelled', 'rescheduled', 'pending_sync', 'completed',
                      'requested', 'rejected')),
  calcom_booking_uid TEXT,
  source TEXT NOT NULL CHECK (source IN ('phone_agent', 'calcom', 'admin')),
  idempotency_key TEXT,
  rescheduled_from_id BIGINT,
  cancelled_at BIGINT,
  notes TEXT NOT NULL DEFAULT '',
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  calcom_seat_uid TEXT,
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
    REFERENCES appointments_0010 (company_id, id)
);
INSERT INTO appointments_0010 (id, company_id, branch_id, service_id, customer_id, call_id,
                               starts_at, ends_at, timezone, status, calcom_booking_uid, source,
                               idempotency_key, rescheduled_from_id, cancelled_at, notes,
                               created_at, updated_at)
  SELECT id, company_id, branch_id, service_id, customer_id, call_id, starts_at, ends_at,
         timezone, status, calcom_booking_uid, source, idempotency_key, rescheduled_from_id,
         cancelled_at, notes, created_at, updated_at
  FROM appointments ORDER BY id;

-- Ids are never reused: the new table continues the old sequence.
DELETE FROM sqlite_sequence WHERE name = 'appointments_0010';
INSERT INTO sqlite_sequence (name, seq)
  SELECT 'appointments_0010', seq FROM sqlite_sequence WHERE name = 'appointments';

DROP TABLE appointments;
ALTER TABLE appointments_0010 RENAME TO appointments;
-- The indexes of 0001; a requested appointment holds its slot like a booked one.
CREATE UNIQUE INDEX appointments_active_slot_unique
  ON appointments (company_id, COALESCE(branch_id, 0), service_id, starts_at)
  WHERE status IN ('booked', 'pending_sync', 'requested');
CREATE INDEX appointments_company_starts_idx ON appointments (company_id, starts_at);
CREATE INDEX appointments_company_customer_idx ON appointments (company_id, customer_id);
CREATE INDEX appointments_pending_sync_idx ON appointments (status) WHERE status = 'pending_sync';
