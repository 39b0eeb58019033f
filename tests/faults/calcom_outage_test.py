#!/usr/bin/env python3
"""Fault: Cal.com gets slow, rate-limits (429) and fails (503).

The circuit breaker (shared by both instances and the worker through Redis) opens; callers then
get fallback slots at once instead of waiting for Cal.com. A booking made while Cal.com is down
is kept as pending_sync and booked by the worker's calcom_pending_booking job once Cal.com is
back — exactly once (one booking in the Cal.com stand-in).

Timing: the breaker stays open 60 s; the pending job, queued when the slot is held, first runs
60 s later (then after 10 s, 40 s, …). Booking ~22 s after the breaker opened makes that first
run the first one after the open period, so the test needs about 85 s.

usage: calcom_outage_test.py <callgate binary>
"""
import sys
import time

import cluster
from cluster import check, eventually, log

# Tight Cal.com budgets keep the slow phase short (defaults: 2500 / 8000 ms).
ENV = {"CALCOM_SLOTS_TIMEOUT_MS": "1000", "CALCOM_BOOKINGS_TIMEOUT_MS": "2000"}
OPEN_SECONDS = 60  # resilience::CircuitBreakerSettings::open_duration


def test(c):
    days = iter(cluster.weekdays_ahead(20))
    caller = cluster.random_caller()

    def availability(call_id, **kw):
        status, body, took = c.function("check-availability",
                                        {"service": "Erstberatung", "date": next(days)},
                                        call_id, caller, **kw)
        check(status == 200, f"check-availability answered {status}: {body}")
        return body, took

    body, took = availability("calcom-healthy")
    check(body.get("success") and body.get("source") == "live", f"healthy Cal.com: {body}")
    log(f"healthy: live slots in {took:.2f} s")

    # Cal.com degrades: slow (answers after the 1 s slot budget), then 429, then 503. The
    # consecutive failures (5) open the breaker, across both instances.
    phases = [({"latency_ms": 1500}, 2), ({"latency_ms": 0, "next_429": 50}, 1),
              ({"next_429": 0, "forced_status": 503}, 10)]
    t_open = None
    for behavior, attempts in phases:
        c.fake_config(**behavior)
        for _ in range(attempts):
            body, took = availability("calcom-failing")
            log(f"  {behavior}: success={body.get('success')} source={body.get('source')} "
                f"in {took:.2f} s")
            if body.get("source") == "fallback":
                t_open = time.monotonic()
                break
        if t_open:
            break
    check(t_open is not None, "the breaker never opened (no fallback slots)")
    log("breaker open: fallback slots")

    # Open breaker: answers come from fallback slots at once although Cal.com now takes 3 s.
    c.fake_config(latency_ms=3000, forced_status=503)
    before = c.fake_stats()["total"]
    durations = []
    for i in range(6):
        body, took = availability(f"calcom-open-{i}")
        check(body.get("success") and body.get("source") == "fallback",
              f"open breaker should answer fallback slots: {body}")
        check("vorläufig" in body.get("message", ""), f"fallback not marked as such: {body}")
        durations.append(took)
    log(f"fallback answers in {min(durations):.3f}…{max(durations):.3f} s "
        f"(Cal.com latency 3 s)")
    check(max(durations) < 0.75, f"fallback answers too slow: {durations}")
    check(c.fake_stats()["total"] == before, "the open breaker let requests through to Cal.com")

    # A booking while Cal.com is down becomes pending.
    wait = t_open + 22 - time.monotonic()
    if wait > 0:
        time.sleep(wait)
    args = {"service": "Erstberatung", "date": next(days), "time": "11 Uhr",
            "name": "Erika Wartend"}
    status, booked, took = c.function("book-appointment", args, "calcom-booking", caller)
    check(status == 200 and booked.get("success") and booked.get("status") == "pending_sync",
          f"booking during the outage should be pending: {status} {booked}")
    appointment = int(booked["appointment_id"])
    log(f"booking pending (appointment {appointment}) after {took:.2f} s")
    check(c.sql_value(f"SELECT status FROM appointments WHERE id = {appointment}") ==
          "pending_sync", "appointment not stored as pending_sync")
    # Retell retries a tool call that timed out: the same appointment, nothing new.
    status, again, _ = c.function("book-appointment", args, "calcom-booking", caller)
    check(status == 200 and again.get("appointment_id") == appointment and
          again.get("status") == "pending_sync", f"retried booking: {status} {again}")
    check(c.fake_stats()["bookings"] == 0, "nothing may be booked while Cal.com fails")

    # Cal.com recovers; the worker books the appointment after the breaker's open period.
    c.fake_config(reset=True)
    log("Cal.com healthy again; waiting for the pending booking")

    def booked_now():
        row = c.sql(f"SELECT status, calcom_booking_uid FROM appointments WHERE id = {appointment}")
        return row[0] if row and row[0][0] == "booked" else None

    row = eventually(booked_now, 100, 1.0, what="the pending booking to be booked")
    log(f"pending booking completed {time.monotonic() - t_open:.0f} s after the breaker opened")
    # Give a duplicate run (if there were one) the chance to show up.
    time.sleep(2)
    stats = c.fake_stats()
    bookings = [b for b in c.fake_bookings()
                if b.get("metadata", {}).get("callgate_appointment") == str(appointment)]
    check(stats["bookings"] == 1, f"expected exactly one booking at Cal.com, stats: {stats}")
    check(len(bookings) == 1 and bookings[0]["uid"] == row[1],
          f"Cal.com booking does not match the appointment: {bookings} vs {row}")
    check(stats["requests"].get("bookings_create", 0) == 1,
          f"expected one create request: {stats['requests']}")

    # The breaker closes again after successful trial calls: live slots.
    def live():
        body, _ = availability("calcom-recovered")
        return body.get("source") == "live"

    eventually(live, 20, 0.5, what="live slots after recovery")
    check(c.sql_value("SELECT COUNT(*) FROM failed_jobs") == "0", "failed jobs")
    log("breaker closed again: live slots")


if __name__ == "__main__":
    sys.exit(cluster.main(test, sys.argv[1], "calcom_outage", deadline_s=200, env=ENV))
