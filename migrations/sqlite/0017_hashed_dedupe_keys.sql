-- Dedupe keys above 256 bytes, and keys that start with '#', are stored as '#sha256:' and the
-- lower-case hex SHA-256 of the key (storage::StoredDedupeKey). Rows that a version before that
-- stored as given are rewritten the same way, so that a redelivery of such an event is still
-- recognised as one. Left as they are: keys that already have the digest's form, and a key whose
-- digest is stored already (a redelivery recorded since): the unique index allows one of each.
-- callgate_sha256_hex is registered on every connection callgate opens (storage::Session).
UPDATE webhook_events
SET dedupe_key = '#sha256:' || callgate_sha256_hex(dedupe_key)
WHERE (length(CAST(dedupe_key AS BLOB)) > 256 OR substr(dedupe_key, 1, 1) = '#')
  AND NOT (length(dedupe_key) = 72 AND substr(dedupe_key, 1, 8) = '#sha256:'
           AND substr(dedupe_key, 9) NOT GLOB '*[^0-9a-f]*')
  AND NOT EXISTS (SELECT 1 FROM webhook_events AS stored
                  WHERE stored.dedupe_key = '#sha256:' || callgate_sha256_hex(webhook_events.dedupe_key));
