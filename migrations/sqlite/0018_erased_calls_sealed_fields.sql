-- A call whose caller had their data erased (privacy::PersonalData::Erase, GDPR Art. 17) is
-- marked with the time of the erasure. Its platform's later deliveries (a redelivery inside the
-- platform's retry window, a late call_analyzed) are acknowledged but keep nothing: neither the
-- raw body nor the call's content is stored again, and no analysis is queued, which would make
-- the caller a customer again (CallUpsertSql in sql_call_repository.cpp leaves such a call alone).
ALTER TABLE calls ADD COLUMN erased_at BIGINT;
-- A call's recording URL and metadata are stored sealed from now on, like its transcript
-- (storage/sealed_columns.hpp); SQLite's TEXT columns need no change. Values stored before stay
-- readable as clear text until `callgate keys rotate` seals them.
