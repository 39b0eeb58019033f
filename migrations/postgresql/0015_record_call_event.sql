-- A platform event and the call update it carries, written by one function call: one round
-- trip, and, unlike a one-shot statement, plans that PostgreSQL keeps per connection (PL/pgSQL
-- caches the plans of its statements). Through PgBouncer in transaction mode callgate sends no
-- named prepared statements, so this is how the webhook's two writes avoid being parsed and
-- planned on every request. Used by storage::SqlCallEventStore (sql_call_repository.cpp); its
-- upsert must stay the same as CallUpsertSql there. Returns the call's id, NULL for a redelivery
-- (the dedupe key was recorded before: nothing written), and fails with insufficient_privilege
-- (42501) when the call id is recorded for another company (nothing written).
-- migrations/sqlite/0015_record_call_event.sql keeps the version numbers in step.
-- The parameters after the event's five are the upsert's, in the order of AddCallParams there.
CREATE FUNCTION callgate_record_call_event(
  p_source TEXT, p_event TEXT, p_dedupe_key TEXT, p_payload TEXT, p_event_status TEXT,
  p_company_id BIGINT, p_branch_id BIGINT, p_phone_number_id BIGINT, p_customer_id BIGINT,
  p_caller_company BIGINT, p_caller TEXT, p_retell_call_id TEXT, p_agent_id TEXT, p_direction TEXT,
  p_from_number TEXT, p_to_number TEXT, p_status TEXT, p_started_at BIGINT, p_ended_at BIGINT,
  p_duration_ms BIGINT, p_disconnection_reason TEXT, p_transcript TEXT,
  p_transcript_object TEXT, p_recording_url TEXT, p_summary TEXT, p_sentiment TEXT,
  p_call_successful INTEGER, p_analysis TEXT, p_metadata JSONB, p_retell_cost_cents BIGINT,
  p_platform TEXT, p_now BIGINT, p_updated_at BIGINT, p_platform_given INTEGER,
  p_final_transcript INTEGER)
RETURNS BIGINT LANGUAGE plpgsql AS $$
DECLARE
  v_event BIGINT;
  v_call BIGINT;
BEGIN
  INSERT INTO webhook_events (company_id, source, event, dedupe_key, payload, received_at,
                              status, processed_at, created_at, updated_at)
  VALUES (p_company_id, p_source, p_event, p_dedupe_key, p_payload, p_now, p_event_status,
          p_now, p_now, p_now)
  ON CONFLICT (dedupe_key) DO NOTHING
  RETURNING id INTO v_event;
  IF v_event IS NULL THEN
    RETURN NULL;  -- a redelivery
  END IF;
  INSERT INTO calls (company_id, branch_id, phone_number_id, customer_id, retell_call_id,
                     agent_id, direction, from_number, to_number, status, started_at, ended_at,
                     duration_ms, disconnection_reason, transcript, transcript_object,
                     recording_url, summary, sentiment, call_successful, analysis, metadata,
                     retell_cost_cents, platform, created_at, updated_at)
  VALUES (p_company_id, p_branch_id, p_phone_number_id,
          COALESCE(p_customer_id, (SELECT id FROM customers
                                   WHERE company_id = p_caller_company AND phone_e164 = p_caller)),
          p_retell_call_id, p_agent_id, p_direction, p_from_number, p_to_number, p_status,
          p_started_at, p_ended_at, p_duration_ms, p_disconnection_reason, p_transcript,
          p_transcript_object, p_recording_url, p_summary, p_sentiment, p_call_successful,
          p_analysis, p_metadata, p_retell_cost_cents, p_platform, p_now, p_updated_at)
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
    platform = CASE WHEN p_platform_given = 1 THEN excluded.platform ELSE calls.platform END,
    status = CASE WHEN (CASE excluded.status WHEN 'registered' THEN 0 WHEN 'ongoing' THEN 1
                        ELSE 2 END) >= (CASE calls.status WHEN 'registered' THEN 0
                        WHEN 'ongoing' THEN 1 ELSE 2 END)
             THEN excluded.status ELSE calls.status END,
    transcript = CASE WHEN excluded.transcript IS NULL THEN calls.transcript
                      WHEN p_final_transcript = 1 OR (CASE calls.status WHEN 'registered'
                        THEN 0 WHEN 'ongoing' THEN 1 ELSE 2 END) < 2 THEN excluded.transcript
                      ELSE calls.transcript END,
    updated_at = excluded.updated_at
  WHERE calls.company_id = excluded.company_id
  RETURNING id INTO v_call;
  IF v_call IS NULL THEN
    -- Another company's call id: the event is not kept either.
    RAISE EXCEPTION 'the call belongs to another company' USING ERRCODE = '42501';
  END IF;
  RETURN v_call;
END;
$$;
