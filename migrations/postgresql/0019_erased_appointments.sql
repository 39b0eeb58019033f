-- An appointment whose attendee had their data erased (privacy::PersonalData::Erase, GDPR
-- Art. 17) is marked with the time of the erasure, like its calls (0018). Cal.com's later
-- deliveries about the booking (its cancellation after the erase cancelled it there, a
-- reschedule by the practice, their follow-ups) are still applied, so that the calendar stays
-- true, but their raw bodies, which carry the attendee's name, e-mail and answers, are not kept
-- (booking::CalendarSyncService::Apply). A booking rescheduled from such an appointment is
-- marked too.
ALTER TABLE appointments ADD COLUMN erased_at BIGINT;
