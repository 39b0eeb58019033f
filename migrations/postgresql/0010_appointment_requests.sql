-- Bookings awaiting the practice (docs/calcom.md "Supported event-type settings"): an event type
-- that requires confirmation answers a create with status "pending"; the appointment is then
-- 'requested' (it holds its slot like 'booked') until Cal.com announces the confirmation
-- (→ 'booked') or the rejection (→ 'rejected', the slot is free again). Seated event types: the
-- attendee's seat (calcom_seat_uid, not personal) addresses their cancel and reschedule.
-- Keep migrations/sqlite/0010_appointment_requests.sql in step.
ALTER TABLE appointments DROP CONSTRAINT appointments_status_check;
ALTER TABLE appointments ADD CONSTRAINT appointments_status_check
  CHECK (status IN ('booked', 'cancelled', 'rescheduled', 'pending_sync', 'completed',
                    'requested', 'rejected'));
ALTER TABLE appointments ADD COLUMN calcom_seat_uid TEXT;
-- A requested appointment holds its slot like a booked one.
DROP INDEX appointments_active_slot_unique;
CREATE UNIQUE INDEX appointments_active_slot_unique
  ON appointments (company_id, COALESCE(branch_id, 0), service_id, starts_at)
  WHERE status IN ('booked', 'pending_sync', 'requested');
