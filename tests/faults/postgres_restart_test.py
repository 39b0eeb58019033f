#!/usr/bin/env python3
"""Fault: PostgreSQL restarts (pg_ctl restart -m fast, then -m immediate) during a webhook load.

Requests during the outage may fail (5xx) but a 2xx must mean stored: every acknowledged webhook
is in the database afterwards and its call analysis runs. callgate (behind PgBouncer in
transaction mode) recovers by itself: after each restart, requests succeed again without
restarting any callgate process.

usage: postgres_restart_test.py <callgate binary>
"""
import sys
import threading
import time

import cluster
from cluster import check, eventually, log, sql_list

THREADS = 4


def test(c):
    results = []  # (call_id, event, status, outcome)
    lock = threading.Lock()
    stop = threading.Event()
    counter = {"n": 0}

    def load(worker):
        while not stop.is_set():
            with lock:
                counter["n"] += 1
                n = counter["n"]
            call_id = f"pg-{worker}-{n:05d}"
            caller = cluster.random_caller()
            for event in ("call_started", "call_ended"):
                status, body = c.webhook(event, call_id, caller)
                with lock:
                    results.append((call_id, event, status, (body or {}).get("outcome")))
            time.sleep(0.02 if 200 <= status < 300 else 0.2)

    def count_ok():
        with lock:
            return sum(1 for r in results if 200 <= r[2] < 300)

    threads = [threading.Thread(target=load, args=(w,), daemon=True) for w in range(THREADS)]
    for t in threads:
        t.start()
    try:
        for mode in ("fast", "immediate"):
            before = count_ok()
            eventually(lambda: count_ok() >= before + 60, 60, 0.1, what="webhooks before the restart")
            log(f"pg_ctl restart -m {mode} ({count_ok()} webhooks acknowledged so far)")
            began = time.monotonic()
            c.restart("postgres", mode)
            log(f"PostgreSQL back after {time.monotonic() - began:.1f} s")
            # Recovery without touching callgate: acknowledged webhooks flow again.
            after = count_ok()
            eventually(lambda: count_ok() >= after + 60, 60, 0.1,
                       what=f"webhooks succeeding again after restart -m {mode}")
            log(f"recovered {time.monotonic() - began:.1f} s after the restart began")
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=60)

    ok = [r for r in results if 200 <= r[2] < 300]
    failed = [r for r in results if not 200 <= r[2] < 300]
    log(f"{len(results)} webhooks: {len(ok)} 2xx, {len(failed)} other "
        f"{sorted(set(r[2] for r in failed))}")
    # Once recovered, the last requests of every thread succeeded.
    with lock:
        tail = results[-4 * THREADS:]
    check(all(200 <= r[2] < 300 for r in tail), f"requests still failing at the end: {tail}")
    for t in threads:
        check(not t.is_alive(), "a load thread did not stop")

    # Every acknowledged webhook is stored …
    keys = [f"retell:{event}:{call_id}" for call_id, event, _, _ in ok]
    stored = {row[0] for row in c.sql(
        f"SELECT dedupe_key FROM webhook_events WHERE dedupe_key IN {sql_list(keys)}")}
    missing = sorted(set(keys) - stored)
    check(not missing, f"{len(missing)} acknowledged webhooks are not stored: {missing[:10]}")
    # … and the analysis of every acknowledged call_ended runs.
    ended = sorted({call_id for call_id, event, _, _ in ok if event == "call_ended"})

    def unanalysed():
        return c.sql("SELECT retell_call_id FROM calls WHERE retell_call_id IN " + sql_list(ended) +
                     " AND base_cost_cents IS NULL")

    try:
        eventually(lambda: not unanalysed(), 90, what="analysis of every acknowledged call")
    except AssertionError:
        log("not analysed:", unanalysed()[:10])
        log("failed jobs:", c.sql("SELECT id, job_id, type, error FROM failed_jobs")[:10])
        raise
    log(f"{len(keys)} acknowledged webhooks stored, {len(ended)} calls analysed")
    # Each instance answers /ready itself (both reconnected, none was restarted).
    for name in ("CLUSTER_SERVE1_URL", "CLUSTER_SERVE2_URL"):
        check(c.ready(c.env[name]), f"{name} is not ready after the restarts")


if __name__ == "__main__":
    sys.exit(cluster.main(test, sys.argv[1], "postgres_restart", deadline_s=200))
