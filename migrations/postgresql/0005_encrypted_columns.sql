-- Encryption at rest (docs/privacy.md): these columns now hold sealed values
-- ("enc:v1:<key id>:<base64>", crypto/keyring.hpp), which are not JSON. Existing JSON stays
-- readable as legacy clear text until `callgate keys rotate` seals it.
-- Keep migrations/sqlite/0005_encrypted_columns.sql in step.
ALTER TABLE calls ALTER COLUMN transcript_object TYPE TEXT USING transcript_object::text;
ALTER TABLE calls ALTER COLUMN analysis TYPE TEXT USING analysis::text;
ALTER TABLE webhook_events ALTER COLUMN payload TYPE TEXT USING payload::text;
