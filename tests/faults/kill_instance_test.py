#!/usr/bin/env python3
"""Fault: one `callgate serve` behind nginx is SIGKILLed during a webhook load.

Every webhook answered 2xx must be in the database, and the call analysis it queued
(call_ended / call_analyzed) must run in the worker. The killed instance is started again and
serves again; redeliveries of acknowledged events are answered "duplicate".

usage: kill_instance_test.py <callgate binary>
"""
import sys
import threading
import time

import cluster
from cluster import check, eventually, log, sql_list

CALLS = 120  # each call: call_started, call_ended, call_analyzed → 360 webhooks
THREADS = 6


def test(c):
    calls = [(f"kill-{i:04d}", cluster.random_caller()) for i in range(CALLS)]
    sent = []  # (call_id, event, status, outcome)
    lock = threading.Lock()
    progress = {"n": 0}
    killed = threading.Event()

    def deliver(item):
        call_id, caller = item
        out = []
        for event in ("call_started", "call_ended", "call_analyzed"):
            status, body = c.webhook(event, call_id, caller)
            out.append((call_id, event, status, (body or {}).get("outcome")))
            with lock:
                progress["n"] += 1
        return out

    def killer():
        # Kill serve1 once about a quarter of the load is through, while requests are in flight.
        while progress["n"] < CALLS * 3 // 4:
            time.sleep(0.01)
        log(f"SIGKILL serve1 after {progress['n']} webhooks")
        c.kill("serve1")
        killed.set()

    k = threading.Thread(target=killer, daemon=True)
    k.start()
    began = time.monotonic()
    for result in cluster.run_parallel(deliver, calls, THREADS):
        sent.extend(result)
    k.join(timeout=30)
    check(killed.is_set(), "serve1 was never killed")
    took = time.monotonic() - began
    ok = [s for s in sent if 200 <= s[2] < 300]
    failed = [s for s in sent if not 200 <= s[2] < 300]
    log(f"{len(sent)} webhooks in {took:.1f} s: {len(ok)} 2xx, {len(failed)} other "
        f"{sorted(set(s[2] for s in failed))}")
    # nginx retries a dead upstream on the other instance: losing one instance may cost a few
    # answers at most, never most of them.
    check(len(failed) <= 5, f"too many failed webhooks behind the balancer: {failed[:10]}")
    check(not c.ready(c.env["CLUSTER_SERVE1_URL"]), "serve1 should be dead")

    # 1. Every acknowledged event is stored (webhook_events by dedupe key, the call row).
    keys = [f"retell:{event}:{call_id}" for call_id, event, _, _ in ok]
    stored = {row[0] for row in c.sql(
        f"SELECT dedupe_key FROM webhook_events WHERE dedupe_key IN {sql_list(keys)}")}
    missing = sorted(set(keys) - stored)
    check(not missing, f"{len(missing)} acknowledged webhooks are not stored: {missing[:10]}")
    ok_calls = sorted({call_id for call_id, _, _, _ in ok})
    rows = int(c.sql_value(f"SELECT COUNT(*) FROM calls WHERE retell_call_id IN {sql_list(ok_calls)}"))
    check(rows == len(ok_calls), f"{len(ok_calls)} calls acknowledged, {rows} stored")

    # 2. Their analysis ran: costs computed (only the job does that).
    analysed_calls = sorted({call_id for call_id, event, _, _ in ok
                             if event in ("call_ended", "call_analyzed")})

    def pending_analysis():
        return int(c.sql_value(
            "SELECT COUNT(*) FROM calls WHERE retell_call_id IN " + sql_list(analysed_calls) +
            " AND base_cost_cents IS NULL"))

    eventually(lambda: pending_analysis() == 0, 90, what="call analysis of every acknowledged call")
    log(f"{len(keys)} acknowledged webhooks stored, {len(analysed_calls)} calls analysed")

    # 3. The killed instance comes back and serves; a redelivery is a duplicate.
    c.restart("serve1")
    serve1 = c.env["CLUSTER_SERVE1_URL"]
    call_id, event, _, _ = ok[0]
    caller = dict(calls)[call_id]
    status, body = c.webhook(event, call_id, caller, base=serve1)
    check(status == 200 and body.get("outcome") == "duplicate",
          f"redelivery to the restarted serve1: {status} {body}")
    status, body = c.webhook("call_ended", "kill-after-restart", cluster.random_caller(), base=serve1)
    check(status == 200 and body.get("outcome") == "recorded", f"new call on serve1: {status} {body}")
    eventually(lambda: c.sql_value(
        "SELECT COUNT(*) FROM calls WHERE retell_call_id = 'kill-after-restart' "
        "AND base_cost_cents IS NOT NULL") == "1", 30, what="analysis of the call after the restart")
    failed_jobs = c.sql_value("SELECT COUNT(*) FROM failed_jobs")
    check(failed_jobs == "0", f"{failed_jobs} failed jobs")


if __name__ == "__main__":
    sys.exit(cluster.main(test, sys.argv[1], "kill_instance", deadline_s=150))
