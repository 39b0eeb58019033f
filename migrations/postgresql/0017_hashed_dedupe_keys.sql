-- Dedupe keys above 256 bytes, and keys that start with '#', are stored as '#sha256:' and the
-- lower-case hex SHA-256 of the key (storage::StoredDedupeKey). Rows that a version before that
-- stored as given are rewritten the same way, so that a redelivery of such an event is still
-- recognised as one. Left as they are: keys that already have the digest's form, and a key whose
-- digest is stored already (a redelivery recorded since): the unique index allows one of each.
-- The digest is of the key's UTF-8 bytes, as callgate's code computes it (its databases are
-- UTF-8). Instances already serving wait with their webhooks until this transaction ends, so
-- none stores a digest between this statement's check and its update.
LOCK TABLE webhook_events IN SHARE ROW EXCLUSIVE MODE;
UPDATE webhook_events
SET dedupe_key = '#sha256:' || encode(sha256(convert_to(dedupe_key, 'UTF8')), 'hex')
WHERE (octet_length(dedupe_key) > 256 OR left(dedupe_key, 1) = '#')
  AND dedupe_key !~ '^#sha256:[0-9a-f]{64}$'
  AND NOT EXISTS (SELECT 1 FROM webhook_events AS stored
                  WHERE stored.dedupe_key =
                        '#sha256:' || encode(sha256(convert_to(webhook_events.dedupe_key, 'UTF8')), 'hex'));
