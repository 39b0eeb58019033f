-- A company with its own Cal.com account signs its Cal.com webhooks with its own secret; they
-- arrive at /webhooks/calcom/c/<slug> and may touch only that company's appointments
-- (docs/security.md). NULL = the company's bookings come through the platform webhook.
-- Keep migrations/{sqlite,postgresql}/0004_company_calcom_webhook_secret.sql in step.
ALTER TABLE companies ADD COLUMN calcom_webhook_secret TEXT;
