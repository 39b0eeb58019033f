#!/usr/bin/env python3
"""Fault: Redis stops while the cluster serves.

Function calls (list-services, check-availability, book-appointment) and webhooks are still
answered 2xx: rate limits, the slot cache and the breaker store fall back to local ones. With the
Redis queue driver, jobs wait in the database outbox meanwhile; when Redis is back (with what its
append-only file kept, as production runs it) the relay delivers them and the analysis runs.

usage: redis_down_test.py <callgate binary>
"""
import sys
import time

import cluster
from cluster import check, eventually, log, sql_list

CALLS = 30


def test(c):
    days = cluster.weekdays_ahead(6)
    caller = cluster.random_caller()

    # Healthy first: one of everything, and the jobs it caused are done.
    status, body, _ = c.function("check-availability", {"service": "Erstberatung", "date": days[0]},
                                 "redis-warmup", caller)
    check(status == 200 and body.get("success"), f"warm-up check-availability: {status} {body}")
    status, body = c.webhook("call_ended", "redis-warmup", caller)
    check(status == 200, f"warm-up webhook: {status} {body}")
    eventually(lambda: c.sql_value("SELECT COUNT(*) FROM calls WHERE retell_call_id = "
                                   "'redis-warmup' AND base_cost_cents IS NOT NULL") == "1",
               30, what="analysis of the warm-up call")

    # Written to Redis like a relayed job: its append-only file must keep it through the kill.
    check(c.redis("SET", "callgate:fault-test:kept", "1") == "OK", "SET on Redis")
    time.sleep(1.5)  # appendfsync everysec
    log("SIGKILL redis")
    c.kill("redis")
    began = time.monotonic()
    answers = []
    for i in range(CALLS):
        call_id = f"redis-down-{i:03d}"
        who = cluster.random_caller()
        status, body, took = c.function("list-services", {}, call_id, who)
        answers.append(("list-services", status, took))
        check(status == 200 and body.get("success"), f"list-services without Redis: {status} {body}")
        if i < 10:
            status, body, took = c.function(
                "check-availability", {"service": "Erstberatung", "date": days[1 + i % 5]},
                call_id, who)
            answers.append(("check-availability", status, took))
            check(status == 200 and body.get("success"),
                  f"check-availability without Redis: {status} {body}")
        status, body = c.webhook("call_ended", call_id, who)
        answers.append(("webhook", status, 0))
        check(status == 200 and body.get("outcome") == "recorded",
              f"webhook without Redis: {status} {body}")
    status, booked, took = c.function(
        "book-appointment", {"service": "Erstberatung", "date": days[2], "time": "11 Uhr",
                             "name": "Erika Redislos"}, "redis-down-booking", caller)
    check(status == 200 and booked.get("success") and booked.get("status") == "booked",
          f"book-appointment without Redis: {status} {booked}")
    slowest = max(a[2] for a in answers)
    log(f"{len(answers) + 1} requests without Redis in {time.monotonic() - began:.1f} s, "
        f"all 2xx, slowest function call {slowest:.2f} s")
    check(slowest < 3.0, f"a function call took {slowest:.2f} s without Redis")

    # The analysis jobs are safe in the outbox (the Redis driver cannot deliver them now).
    ended = [f"redis-down-{i:03d}" for i in range(CALLS)]
    outbox = int(c.sql_value("SELECT COUNT(*) FROM job_outbox"))
    log(f"{outbox} jobs waiting in the outbox")
    if c.env["CLUSTER_QUEUE_DRIVER"] == "redis":
        check(outbox >= CALLS, f"expected ≥ {CALLS} jobs in the outbox, found {outbox}")

    log("restarting redis")
    c.restart("redis")
    check(c.redis("GET", "callgate:fault-test:kept") == "1",
          "Redis came back without what it held before the kill (no append-only file)")

    def unanalysed():
        return int(c.sql_value("SELECT COUNT(*) FROM calls WHERE retell_call_id IN " +
                               sql_list(ended) + " AND base_cost_cents IS NULL"))

    eventually(lambda: unanalysed() == 0, 60, what="analysis of the calls made without Redis")
    eventually(lambda: c.sql_value("SELECT COUNT(*) FROM job_outbox") == "0", 30,
               what="an empty outbox")
    # Redis is used again: the rate limiter and slot cache write their keys there.
    status, body, _ = c.function("check-availability", {"service": "Erstberatung", "date": days[5]},
                                 "redis-back", caller)
    check(status == 200 and body.get("success"), f"check-availability after Redis: {status} {body}")
    log(f"{CALLS} calls analysed after Redis came back; outbox empty")


if __name__ == "__main__":
    sys.exit(cluster.main(test, sys.argv[1], "redis_down", deadline_s=150))
