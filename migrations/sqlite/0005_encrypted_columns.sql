-- Encryption at rest (docs/privacy.md): calls.transcript_object, calls.analysis and
-- webhook_events.payload now hold sealed values ("enc:v1:<key id>:<base64>",
-- crypto/keyring.hpp). They are TEXT in SQLite already; PostgreSQL changes them from JSONB, so
-- this file only keeps the two schema histories in step.
-- Keep migrations/postgresql/0005_encrypted_columns.sql in step.
SELECT 1;
