-- A call whose caller had their data erased (privacy::PersonalData::Erase, GDPR Art. 17) is
-- marked with the time of the erasure. Its platform's later deliveries (a redelivery inside the
-- platform's retry window, a late call_analyzed) are acknowledged but keep nothing: neither the
-- raw body nor the call's content is stored again, and no analysis is queued, which would make
-- the caller a customer again.
ALTER TABLE calls ADD COLUMN erased_at BIGINT;

-- A call's recording URL (a link to the conversation itself) and the platform's metadata (which
-- may carry the caller's name) are stored sealed from now on, like its transcript: the metadata
-- column becomes TEXT, as 0005 did for the transcript object and the analysis. Values stored
-- before stay readable as clear text until `callgate keys rotate` seals them.
ALTER TABLE calls ALTER COLUMN metadata TYPE TEXT USING metadata::text;

-- 0015's one-event function takes the metadata as JSONB and knows no erased calls; the previous
-- release calls 0016's group function (replaced below), so nothing calls this one any more.
DROP FUNCTION IF EXISTS callgate_record_call_event(
  TEXT, TEXT, TEXT, TEXT, TEXT, BIGINT, BIGINT, BIGINT, BIGINT, BIGINT, TEXT, TEXT, TEXT, TEXT,
  TEXT, TEXT, TEXT, BIGINT, BIGINT, BIGINT, TEXT, TEXT, TEXT, TEXT, TEXT, TEXT, INTEGER, TEXT,
  JSONB, BIGINT, TEXT, BIGINT, BIGINT, INTEGER, INTEGER);

-- callgate_record_call_events as in 0016, with the metadata written as the sealed text it is
-- given, and the upsert's WHERE extended by `calls.erased_at IS NULL` (as CallUpsertSql in
-- sql_call_repository.cpp): an erased call is left alone like another company's, and the event
-- row is removed again. It answers 0 for
-- both; callgate tells them apart by reading the call (SqlCallEventStore::WriteTogether), so
-- an instance of the previous release, which reads 0 as "another company's", writes nothing
-- for an erased call either.
CREATE OR REPLACE FUNCTION callgate_record_call_events(p_values TEXT[])
RETURNS TABLE (item INTEGER, call_id BIGINT) LANGUAGE plpgsql AS $$
DECLARE
  n INTEGER := COALESCE(cardinality(p_values), 0);
  b INTEGER;
  v_event BIGINT;
  v_call BIGINT;
  v_company BIGINT;
BEGIN
  IF n % 35 <> 0 THEN
    RAISE EXCEPTION 'callgate_record_call_events: % values are not whole items of 35', n
      USING ERRCODE = '22023';
  END IF;
  FOR i IN 1 .. n / 35 LOOP
    b := (i - 1) * 35;
    v_company := p_values[b + 6]::BIGINT;
    item := i;
    INSERT INTO webhook_events (company_id, source, event, dedupe_key, payload, received_at,
                                status, processed_at, created_at, updated_at)
    VALUES (v_company, p_values[b + 1], p_values[b + 2], p_values[b + 3], p_values[b + 4],
            p_values[b + 32]::BIGINT, p_values[b + 5], p_values[b + 32]::BIGINT,
            p_values[b + 32]::BIGINT, p_values[b + 32]::BIGINT)
    ON CONFLICT (dedupe_key) DO NOTHING
    RETURNING id INTO v_event;
    IF v_event IS NULL THEN
      call_id := NULL;  -- a redelivery
      RETURN NEXT;
      CONTINUE;
    END IF;
    INSERT INTO calls (company_id, branch_id, phone_number_id, customer_id, retell_call_id,
                       agent_id, direction, from_number, to_number, status, started_at,
                       ended_at, duration_ms, disconnection_reason, transcript,
                       transcript_object, recording_url, summary, sentiment, call_successful,
                       analysis, metadata, retell_cost_cents, platform, created_at, updated_at)
    VALUES (v_company, p_values[b + 7]::BIGINT, p_values[b + 8]::BIGINT,
            COALESCE(p_values[b + 9]::BIGINT,
                     (SELECT id FROM customers WHERE company_id = p_values[b + 10]::BIGINT
                                                 AND phone_e164 = p_values[b + 11])),
            p_values[b + 12], p_values[b + 13], p_values[b + 14], p_values[b + 15],
            p_values[b + 16], p_values[b + 17], p_values[b + 18]::BIGINT,
            p_values[b + 19]::BIGINT, p_values[b + 20]::BIGINT, p_values[b + 21],
            p_values[b + 22], p_values[b + 23], p_values[b + 24], p_values[b + 25],
            p_values[b + 26], p_values[b + 27]::INTEGER, p_values[b + 28],
            p_values[b + 29], p_values[b + 30]::BIGINT, p_values[b + 31],
            p_values[b + 32]::BIGINT, p_values[b + 33]::BIGINT)
    ON CONFLICT (retell_call_id) DO UPDATE SET
      branch_id = COALESCE(excluded.branch_id, calls.branch_id),
      phone_number_id = COALESCE(excluded.phone_number_id, calls.phone_number_id),
      customer_id = COALESCE(excluded.customer_id, calls.customer_id),
      agent_id = COALESCE(excluded.agent_id, calls.agent_id),
      from_number = COALESCE(excluded.from_number, calls.from_number),
      to_number = COALESCE(excluded.to_number, calls.to_number),
      started_at = COALESCE(excluded.started_at, calls.started_at),
      ended_at = COALESCE(excluded.ended_at, calls.ended_at),
      duration_ms = COALESCE(excluded.duration_ms, calls.duration_ms),
      disconnection_reason = COALESCE(excluded.disconnection_reason, calls.disconnection_reason),
      transcript_object = COALESCE(excluded.transcript_object, calls.transcript_object),
      recording_url = COALESCE(excluded.recording_url, calls.recording_url),
      summary = COALESCE(excluded.summary, calls.summary),
      sentiment = COALESCE(excluded.sentiment, calls.sentiment),
      call_successful = COALESCE(excluded.call_successful, calls.call_successful),
      analysis = COALESCE(excluded.analysis, calls.analysis),
      metadata = COALESCE(excluded.metadata, calls.metadata),
      retell_cost_cents = COALESCE(excluded.retell_cost_cents, calls.retell_cost_cents),
      direction = calls.direction,
      platform = CASE WHEN p_values[b + 34] = '1' THEN excluded.platform ELSE calls.platform END,
      status = CASE WHEN (CASE excluded.status WHEN 'registered' THEN 0 WHEN 'ongoing' THEN 1
                          ELSE 2 END) >= (CASE calls.status WHEN 'registered' THEN 0
                          WHEN 'ongoing' THEN 1 ELSE 2 END)
               THEN excluded.status ELSE calls.status END,
      transcript = CASE WHEN excluded.transcript IS NULL THEN calls.transcript
                        WHEN p_values[b + 35] = '1' OR (CASE calls.status WHEN 'registered'
                          THEN 0 WHEN 'ongoing' THEN 1 ELSE 2 END) < 2 THEN excluded.transcript
                        ELSE calls.transcript END,
      updated_at = excluded.updated_at
    WHERE calls.company_id = excluded.company_id AND calls.erased_at IS NULL
    RETURNING id INTO v_call;
    IF v_call IS NULL THEN
      -- Another company's call id, or an erased call: the event is not kept either.
      DELETE FROM webhook_events WHERE id = v_event;
      v_call := 0;
    END IF;
    call_id := v_call;
    RETURN NEXT;
  END LOOP;
END;
$$;
