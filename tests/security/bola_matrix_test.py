#!/usr/bin/env python3
"""The BOLA matrix: every route of the route table (`callgate routes`) and every agent function,
each tried by four actors against company A's objects, with the expected status — and, for
every actor but the owner, proof that nothing of the victim leaked or changed.

Columns (what "actor" means depends on the kind of route):

  column         agent functions (/api/retell/…)        admin API                webhooks
  own            the caller, on their own call           A's admin (platform      the right key or
                                                         admin for platform-only  secret for the URL
                                                         routes)
  other_company  company B's key / objects               B's admin                B's key or secret
  other_caller   another caller of the same company      A's viewer               another valid key
                 (Max naming Erika's things)                                      (wrong for the URL)
  withheld       a withheld caller ("anonymous")         no token                 no signature

For the MCP endpoint (/mcp): own = A's agent token; other_company = B's agent token naming A's
session or A's call (X-Call-Id); other_caller = A's admin token (admin roles do not open /mcp);
withheld = no token. A separate case sends an agent token to every admin route (403 each).

The test fails when the route table has a route without a row here, when a row names a route
that no longer exists, or when an agent function has no row: a new route or function cannot be
added without deciding who may use it.

usage: bola_matrix_test.py <callgate binary> sqlite|postgresql
"""
import json
import os
import subprocess
import sys

import harness as h
from harness import (ALPHA_NUMBER, ALPHA_NUMBER_2, ALPHA_SLUG, BERTA_EMAIL, BERTA_NAME,
                     BERTA_PHONE, BETA_CALCOM_SECRET, BETA_NUMBER, BETA_RETELL_KEY, BETA_SLUG,
                     BETA_VAPI_SECRET, ERIKA_EMAIL, ERIKA_NAME, ERIKA_PHONE, GAMMA_SLUG,
                     GLOBAL_CALCOM_SECRET, MAX_PHONE, PLATFORM_RETELL_KEY, PLATFORM_VAPI_SECRET)

ACTORS = ("other_company", "other_caller", "withheld", "own")  # own last: it may change things
REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
DAYS = h.weekdays_ahead(10)
OK = (200,)
CREATED = (200, 201)


class NA:
    """A cell that does not apply, with the reason."""

    def __init__(self, reason):
        self.reason = reason


class Cell:
    """One request and its expectation. `send(s, fx)` returns a harness.Response; `victim`
    names whose data must neither leak nor change ("A", "B" or None for the owner's own cells);
    `leak` lists extra texts that must not appear in the answer."""

    def __init__(self, send, expect, victim=None, leak=()):
        self.send = send
        self.expect = tuple(expect)
        self.victim = victim
        self.leak = tuple(leak)


# What must not appear in an answer to someone who is not the victim.
VICTIM_TEXTS = {"A": (ERIKA_NAME, ERIKA_EMAIL, "Praxis Alpha"),
                "B": (BERTA_NAME, BERTA_EMAIL, "Salon Beta", "Haarschnitt"),
                "C": ("Praxis Gamma",),
                "Erika": (ERIKA_NAME, ERIKA_EMAIL),
                "Berta": (BERTA_NAME, BERTA_EMAIL)}


# ---- fixtures --------------------------------------------------------------------------------

def make_fixtures(s):
    fx = {}
    fx["erika_call"] = s.start_call(ERIKA_PHONE, ALPHA_NUMBER, tag="erika")
    fx["erika_appt"] = s.book(fx["erika_call"], ERIKA_PHONE, ALPHA_NUMBER, "Erstberatung",
                              DAYS[0], 9, ERIKA_NAME)
    fx["erika_appt_cancel"] = s.book(fx["erika_call"], ERIKA_PHONE, ALPHA_NUMBER, "Erstberatung",
                                     DAYS[0], 11, ERIKA_NAME)
    fx["erika_appt_move"] = s.book(fx["erika_call"], ERIKA_PHONE, ALPHA_NUMBER, "Erstberatung",
                                   DAYS[0], 13, ERIKA_NAME)
    fx["erika_call_hostile"] = s.start_call(ERIKA_PHONE, ALPHA_NUMBER, tag="erika2")
    fx["max_call"] = s.start_call(MAX_PHONE, ALPHA_NUMBER, tag="max")
    fx["anon_call"] = s.start_call_or_new("anonymous", ALPHA_NUMBER, tag="anon")
    fx["berta_call"] = s.start_call(BERTA_PHONE, BETA_NUMBER, slug=BETA_SLUG, tag="berta")
    fx["berta_appt"] = s.book(fx["berta_call"], BERTA_PHONE, BETA_NUMBER, "Haarschnitt", DAYS[0],
                              10, BERTA_NAME, slug=BETA_SLUG)
    fx["berta_appt_cancel"] = s.book(fx["berta_call"], BERTA_PHONE, BETA_NUMBER, "Haarschnitt",
                                     DAYS[0], 14, BERTA_NAME, slug=BETA_SLUG)
    fx["berta_appt_move"] = s.book(fx["berta_call"], BERTA_PHONE, BETA_NUMBER, "Haarschnitt",
                                   DAYS[0], 16, BERTA_NAME, slug=BETA_SLUG)
    fx["beta_other_call"] = s.start_call(h.random_caller(), BETA_NUMBER, slug=BETA_SLUG, tag="b2")
    fx["beta_anon_call"] = h.new_call_id("banon")
    # A callback request of company A (Erika's), for the callback queue's routes.
    fx["erika_callback_call"] = s.start_call(ERIKA_PHONE, ALPHA_NUMBER, tag="erikacb")
    r = s.function("request-callback", {"topic": "Rückfrage zur Rechnung"},
                   fx["erika_callback_call"], ERIKA_PHONE, ALPHA_NUMBER, client="203.0.113.98")
    rows = s.db.rows("SELECT id FROM callback_requests WHERE call_id = (SELECT id FROM calls "
                     f"WHERE retell_call_id = '{fx['erika_callback_call']}') ORDER BY id DESC")
    if r.status != 200 or not rows:
        raise RuntimeError(f"request-callback answered {r} but stored no callback request")
    fx["erika_callback"] = rows[0][0]
    return fx


# ---- agent functions -------------------------------------------------------------------------

def own_args(function, company, fx):
    """Arguments of a harmless, successful request by the owner of the call."""
    service = "Erstberatung" if company == "A" else "Haarschnitt"
    day = h.german(DAYS[1])
    return {
        "check-availability": {"service": service, "date": day},
        "get-alternatives": {"service": service, "date": day, "time": "10:00"},
        "collect-customer-info": {"name": ERIKA_NAME if company == "A" else BERTA_NAME},
        "collect-appointment-data": {"service": service, "date": day, "time": "15:00"},
        "book-appointment": {"service": service, "date": day,
                             "time": "16:00" if company == "A" else "09:00",
                             "name": ERIKA_NAME if company == "A" else BERTA_NAME},
        "cancel-appointment": {"appointment_id": int(
            fx["erika_appt_cancel" if company == "A" else "berta_appt_cancel"]["id"])},
        "reschedule-appointment": {"appointment_id": int(
            fx["erika_appt_move" if company == "A" else "berta_appt_move"]["id"]),
            "new_date": h.german(DAYS[2]), "new_time": "12:00", "confirm": True},
        "request-callback": {"topic": "Frage zur Rechnung", "when": "morgen vormittag"},
    }.get(function, {})


def hostile_args(function, victim, fx, s, name="Mallory"):
    """Arguments naming the victim's customer, service and appointment. `name` is the caller's
    own name (Erika's hostile call keeps hers, so that her own record keeps its name)."""
    if victim == "A":
        appt, phone, service_id = fx["erika_appt"], ERIKA_PHONE, s.ids["service:Erstberatung"]
    else:
        appt, phone, service_id = fx["berta_appt"], BERTA_PHONE, s.ids["service:Haarschnitt"]
    day = h.german(DAYS[3])
    return {
        "check-availability": {"service_id": service_id, "date": day},
        "get-alternatives": {"service_id": service_id, "date": day, "time": "10:00"},
        "collect-customer-info": {"name": name, "phone": phone},
        "collect-appointment-data": {"service_id": service_id, "date": day, "time": "15:00",
                                     "name": name, "phone": phone, "confirm": True},
        "book-appointment": {"service_id": service_id, "date": day, "time": "16:00",
                             "name": name, "phone": phone},
        "cancel-appointment": {"appointment_id": int(appt["id"])},
        "reschedule-appointment": {"appointment_id": int(appt["id"]),
                                   "new_date": h.german(DAYS[4]), "new_time": "12:00",
                                   "confirm": True},
        # A callback to the victim's number: noted for the caller's own company, never echoing
        # the victim or touching their data.
        "request-callback": {"phone": phone, "name": name, "topic": "Rückruf"},
    }.get(function, {})


# Expected statuses when a caller names objects that are not theirs: refusals are 403/404;
# a business "no" (200 without the data) is accepted too. What matters is checked separately:
# nothing of the victim in the answer, nothing of the victim changed.
NOT_YOURS = (200, 403, 404)
TAKES_APPOINTMENT = ("cancel-appointment", "reschedule-appointment")


def function_row(function, company_url):
    """The four cells of one function on /api/retell/{function} (company_url False) or on
    /api/retell/c/{slug}/{function} (True, company B's own key)."""

    def call(fx_key, from_number, to_number, args_of, slug=None):
        def send(s, fx):
            call_id = fx[fx_key] if fx_key in fx else fx_key
            return s.function(function, args_of(s, fx), call_id, from_number, to_number,
                              slug=slug)
        return send

    strict = (403, 404) if function in TAKES_APPOINTMENT else NOT_YOURS
    if not company_url:
        return {
            "own": Cell(call("erika_call", ERIKA_PHONE, ALPHA_NUMBER,
                             lambda s, fx: own_args(function, "A", fx)), OK),
            # A's caller naming company B's service, customer and appointment.
            "other_company": Cell(call("erika_call_hostile", ERIKA_PHONE, ALPHA_NUMBER,
                                       lambda s, fx: hostile_args(function, "B", fx, s,
                                                                  ERIKA_NAME)),
                                  (403, 404) if function in TAKES_APPOINTMENT else NOT_YOURS,
                                  victim="B"),
            # Max (company A) naming Erika's number and appointment.
            "other_caller": Cell(call("max_call", MAX_PHONE, ALPHA_NUMBER,
                                      lambda s, fx: hostile_args(function, "A", fx, s)), strict,
                                 victim="Erika"),
            # A withheld caller may get the callback path (200) instead of a refusal.
            "withheld": Cell(call("anon_call", "anonymous", ALPHA_NUMBER,
                                  lambda s, fx: hostile_args(function, "A", fx, s)), NOT_YOURS,
                             victim="Erika"),
        }
    return {
        "own": Cell(call("berta_call", BERTA_PHONE, BETA_NUMBER,
                         lambda s, fx: own_args(function, "B", fx), slug=BETA_SLUG), OK),
        # B's key on B's URL with company A's call (F1): 404, nothing created or changed.
        "other_company": Cell(call("erika_call", ERIKA_PHONE, ALPHA_NUMBER,
                                   lambda s, fx: hostile_args(function, "A", fx, s),
                                   slug=BETA_SLUG), (404,), victim="A"),
        "other_caller": Cell(call("beta_other_call", h.random_caller(), BETA_NUMBER,
                                  lambda s, fx: hostile_args(function, "B", fx, s),
                                  slug=BETA_SLUG), strict, victim="Berta"),
        "withheld": Cell(call("beta_anon_call", "anonymous", BETA_NUMBER,
                              lambda s, fx: hostile_args(function, "B", fx, s), slug=BETA_SLUG),
                         NOT_YOURS, victim="Berta"),
    }


# ---- admin routes ----------------------------------------------------------------------------

def admin_cell(method, path_of, body_of=None, token="alpha_admin", expect=OK, victim=None,
               query=""):
    def send(s, fx):
        body = body_of(s, fx) if body_of else None
        tok = s.tokens[token] if token else None
        return s.admin(method, path_of(s, fx) + query, tok, body)
    return Cell(send, expect, victim=victim)


def admin_row(method, path_of, body_of=None, write=False, platform_only=False, any_company=False,
              own_expect=None, victim="A"):
    """Own (A's admin, or the platform admin for platform-only routes), B's admin, A's viewer
    and no token, all on company A's objects."""
    own_expect = own_expect or ((200, 201, 204) if write else OK)
    row = {
        "own": admin_cell(method, path_of, body_of, "platform" if platform_only else "alpha_admin",
                          own_expect),
        "withheld": admin_cell(method, path_of, body_of, None, (401,), victim=victim),
    }
    if platform_only:
        row["other_company"] = admin_cell(method, path_of, body_of, "beta_admin", (403,),
                                          victim=victim)
        row["other_caller"] = admin_cell(method, path_of, body_of, "alpha_admin", (403,),
                                         victim=victim)
    elif any_company:
        # Routes without a company in the path answer for the caller's own company only.
        row["other_company"] = admin_cell(method, path_of, body_of, "beta_admin", OK, victim=victim)
        row["other_caller"] = admin_cell(method, path_of, body_of, "alpha_viewer", OK)
    else:
        row["other_company"] = admin_cell(method, path_of, body_of, "beta_admin", (404,),
                                          victim=victim)
        row["other_caller"] = admin_cell(method, path_of, body_of, "alpha_viewer",
                                         (403,) if write else OK, victim=victim if write else None)
    return row


def company_path(suffix=""):
    return lambda s, fx: f"/api/admin/companies/{s.ids[ALPHA_SLUG]}{suffix(s) if callable(suffix) else suffix}"


def unique(prefix):
    return prefix + h.new_call_id("x")[-6:]


def public_row(path):
    cell = Cell(lambda s, fx: s.get(path), OK)
    return {"own": cell, "other_company": cell, "other_caller": cell, "withheld": cell}


# ---- webhooks --------------------------------------------------------------------------------

def lifecycle_cell(slug, key, to_number, expect, victim=None, unsigned=False):
    def send(s, fx):
        body = {"event": "call_started",
                "call": dict(h.call_object(h.new_call_id("mx"), h.random_caller(), to_number),
                             start_timestamp=0)}
        path = f"/webhooks/retell/c/{slug}" if slug else "/webhooks/retell"
        if unsigned:
            return s.request("POST", path, json.dumps(body), {"Content-Type": "application/json"})
        return s.retell(path, body, key)
    return Cell(send, expect, victim=victim)


def inbound_cell(slug, key, from_number, to_number, expect, victim=None, unsigned=False):
    def send(s, fx):
        body = {"event": "call_inbound",
                "call_inbound": {"agent_id": "agent_security", "from_number": from_number,
                                 "to_number": to_number}}
        path = f"/webhooks/retell/inbound/c/{slug}" if slug else "/webhooks/retell/inbound"
        if unsigned:
            return s.request("POST", path, json.dumps(body), {"Content-Type": "application/json"})
        return s.retell(path, body, key)
    return Cell(send, expect, victim=victim)


def calcom_cell(slug, secret, uid_of, expect, victim=None):
    def send(s, fx):
        event = {"triggerEvent": "BOOKING_CANCELLED", "createdAt": h.new_call_id("t"),
                 "payload": {"uid": uid_of(fx), "status": "CANCELLED"}}
        if secret is None:
            path = f"/webhooks/calcom/c/{slug}" if slug else "/webhooks/calcom"
            return s.request("POST", path, json.dumps(event), {"Content-Type": "application/json"})
        return s.calcom_webhook(event, secret, slug=slug)
    return Cell(send, expect, victim=victim)


def vapi_cell(slug, secret, to_number, expect, victim=None, caller=None, tool=None):
    """A Vapi server message on /webhooks/vapi[/c/{slug}]: a status-update of a new call, or with
    `tool` a tool call of a new call from `caller` whose arguments name Erika."""
    def send(s, fx):
        call = {"id": h.new_call_id("vx"), "type": "inboundPhoneCall",
                "customer": {"number": caller or h.random_caller()}}
        message = {"type": "status-update", "status": "in-progress", "call": call,
                   "phoneNumber": {"number": to_number}}
        if tool:
            message = {"type": "tool-calls", "call": call, "phoneNumber": {"number": to_number},
                       "toolCallList": [{"id": "tc_1", "type": "function", "function": {
                           "name": tool, "arguments": json.dumps({"phone": ERIKA_PHONE})}}]}
        return s.vapi(message, secret, slug=slug)
    return Cell(send, expect, victim=victim)


# ---- MCP ---------------------------------------------------------------------------------------

MCP_INIT = {"jsonrpc": "2.0", "id": 0, "method": "initialize",
            "params": {"protocolVersion": "2025-11-25", "capabilities": {},
                       "clientInfo": {"name": "bola", "version": "1"}}}


def mcp_post(s, token, message, session=None, headers=None):
    hdrs = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream"}
    if token:
        hdrs["Authorization"] = f"Bearer {token}"
    if session:
        hdrs["Mcp-Session-Id"] = session
        hdrs["MCP-Protocol-Version"] = "2025-11-25"
    hdrs.update(headers or {})
    return s.request("POST", "/mcp", json.dumps(message), hdrs)


def mcp_session(s, token):
    r = mcp_post(s, token, MCP_INIT)
    if r.status != 200:
        raise RuntimeError(f"MCP initialize answered {r}")
    return r.headers.get("Mcp-Session-Id") or r.headers.get("mcp-session-id")


def mcp_cell(token, expect, victim=None, foreign_call=False):
    """initialize with `token`; with foreign_call, B's agent then asks for the caller's own data
    of A's call (X-Call-Id) and for A's service."""
    def send(s, fx):
        if not foreign_call:
            return mcp_post(s, s.tokens[token] if token else None, MCP_INIT)
        tok = s.tokens[token]
        session = mcp_session(s, tok)
        r = None
        for name, args in (("query_customer_appointments", {}),
                           ("check_availability", {"service": "Erstberatung",
                                                   "date": h.german(DAYS[1])})):
            r = mcp_post(s, tok, {"jsonrpc": "2.0", "id": 1, "method": "tools/call",
                                  "params": {"name": name, "arguments": args}},
                         session, {"X-Call-Id": fx["erika_call"]})
            if r.status != 200:
                return r
        return r
    return Cell(send, expect, victim=victim)


def mcp_delete_cell(owner, token, expect, victim=None):
    """DELETE of a session that `owner` opened, sent with `token`."""
    def send(s, fx):
        session = mcp_session(s, s.tokens[owner])
        hdrs = {"Mcp-Session-Id": session}
        if token:
            hdrs["Authorization"] = f"Bearer {s.tokens[token]}"
        return s.request("DELETE", "/mcp", None, hdrs)
    return Cell(send, expect, victim=victim)


def agent_tokens_case(s, check):
    """An agent token opens nothing of the admin API: 403 on every admin route."""
    routes = [r for r in route_table(s)
              if r.split()[1].startswith(("/api/admin", "/api/availability", "/metrics"))]
    check(routes, "no admin routes in the route table")
    for route in routes:
        method, pattern = route.split()
        path = pattern
        for param in ("{company_id}", "{branch_id}", "{service_id}", "{phone_number_id}",
                      "{customer_id}", "{callback_id}", "{id}"):
            path = path.replace(param, str(s.ids[ALPHA_SLUG]))
        body = "{}" if method in ("POST", "PUT", "PATCH") else None
        r = s.request(method, path, body, {"Authorization": f"Bearer {s.tokens['alpha_agent']}",
                                           "Content-Type": "application/json"})
        check(r.status == 403, f"{route} with an agent token: answered {r}, want 403")
    h.log(f"agent token refused on {len(routes)} admin routes")


def route_matrix():
    cp = company_path
    A = ALPHA_SLUG
    m = {}
    for path in ("/health", "/ready", "/dashboard"):
        m[f"GET {path}"] = public_row(path)
    m["POST /webhooks/retell"] = {
        "own": lifecycle_cell(None, PLATFORM_RETELL_KEY, ALPHA_NUMBER, (200, 201, 202, 204)),
        "other_company": lifecycle_cell(None, BETA_RETELL_KEY, ALPHA_NUMBER, (401,), "A"),
        "other_caller": NA("a lifecycle webhook has no caller identity to abuse"),
        "withheld": lifecycle_cell(None, None, ALPHA_NUMBER, (401,), "A", unsigned=True)}
    m["POST /webhooks/retell/c/{slug}"] = {
        "own": lifecycle_cell(BETA_SLUG, BETA_RETELL_KEY, BETA_NUMBER, (200, 201, 202, 204)),
        "other_company": lifecycle_cell(BETA_SLUG, BETA_RETELL_KEY, ALPHA_NUMBER, (404,), "A"),
        "other_caller": lifecycle_cell(BETA_SLUG, PLATFORM_RETELL_KEY, BETA_NUMBER, (401,), "B"),
        "withheld": lifecycle_cell(BETA_SLUG, None, BETA_NUMBER, (401,), "B", unsigned=True)}
    m["POST /webhooks/retell/inbound"] = {
        "own": inbound_cell(None, PLATFORM_RETELL_KEY, ERIKA_PHONE, ALPHA_NUMBER, OK),
        "other_company": inbound_cell(None, BETA_RETELL_KEY, ERIKA_PHONE, ALPHA_NUMBER, (401,),
                                      "A"),
        # A caller whose number is not Erika's never hears her name.
        "other_caller": inbound_cell(None, PLATFORM_RETELL_KEY, h.random_caller(), ALPHA_NUMBER,
                                     OK, "Erika"),
        "withheld": inbound_cell(None, PLATFORM_RETELL_KEY, "anonymous", ALPHA_NUMBER, OK,
                                 "Erika")}
    m["POST /webhooks/retell/inbound/c/{slug}"] = {
        "own": inbound_cell(BETA_SLUG, BETA_RETELL_KEY, BERTA_PHONE, BETA_NUMBER, OK),
        "other_company": inbound_cell(BETA_SLUG, BETA_RETELL_KEY, ERIKA_PHONE, ALPHA_NUMBER,
                                      (404,), "A"),
        "other_caller": inbound_cell(BETA_SLUG, BETA_RETELL_KEY, h.random_caller(), BETA_NUMBER,
                                     OK, "Berta"),
        "withheld": inbound_cell(BETA_SLUG, BETA_RETELL_KEY, "anonymous", BETA_NUMBER, OK,
                                 "Berta")}
    m["POST /webhooks/calcom"] = {
        "own": calcom_cell(None, GLOBAL_CALCOM_SECRET, lambda fx: "unknown-uid", OK),
        "other_company": calcom_cell(None, GLOBAL_CALCOM_SECRET,
                                     lambda fx: fx["berta_appt"]["uid"], (200, 404), "B"),
        "other_caller": calcom_cell(None, BETA_CALCOM_SECRET,
                                    lambda fx: fx["erika_appt"]["uid"], (401,), "A"),
        "withheld": calcom_cell(None, None, lambda fx: fx["erika_appt"]["uid"], (401,), "A")}
    m["POST /webhooks/calcom/c/{slug}"] = {
        "own": calcom_cell(BETA_SLUG, BETA_CALCOM_SECRET, lambda fx: "unknown-uid", OK),
        "other_company": calcom_cell(BETA_SLUG, BETA_CALCOM_SECRET,
                                     lambda fx: fx["erika_appt"]["uid"], (200, 404), "A"),
        "other_caller": calcom_cell(BETA_SLUG, GLOBAL_CALCOM_SECRET,
                                    lambda fx: fx["berta_appt"]["uid"], (401,), "B"),
        "withheld": calcom_cell(BETA_SLUG, None, lambda fx: fx["berta_appt"]["uid"], (401,), "B")}
    # Vapi: the platform secret on the platform URL; a company with its own secret only on its
    # URL, and there only for its own numbers.
    m["POST /webhooks/vapi"] = {
        "own": vapi_cell(None, PLATFORM_VAPI_SECRET, ALPHA_NUMBER, OK),
        "other_company": vapi_cell(None, BETA_VAPI_SECRET, ALPHA_NUMBER, (401,), "A"),
        # Max's call naming Erika's number in the tool's arguments hears nothing of hers.
        "other_caller": vapi_cell(None, PLATFORM_VAPI_SECRET, ALPHA_NUMBER, OK, "Erika",
                                  caller=MAX_PHONE, tool="query_customer_appointments"),
        "withheld": vapi_cell(None, None, ALPHA_NUMBER, (401,), "A")}
    m["POST /webhooks/vapi/c/{slug}"] = {
        "own": vapi_cell(BETA_SLUG, BETA_VAPI_SECRET, BETA_NUMBER, OK),
        "other_company": vapi_cell(BETA_SLUG, BETA_VAPI_SECRET, ALPHA_NUMBER, (404,), "A",
                                   tool="check_availability"),
        "other_caller": vapi_cell(BETA_SLUG, PLATFORM_VAPI_SECRET, BETA_NUMBER, (401,), "B"),
        "withheld": vapi_cell(BETA_SLUG, None, BETA_NUMBER, (401,), "B")}
    # MCP (docs/agents.md "MCP"): the agent token decides the company.
    m["POST /mcp"] = {
        "own": mcp_cell("alpha_agent", OK),
        "other_company": mcp_cell("beta_agent", OK, victim="A", foreign_call=True),
        "other_caller": mcp_cell("alpha_admin", (403,), victim="A"),
        "withheld": mcp_cell(None, (401,), victim="A")}
    m["DELETE /mcp"] = {
        "own": mcp_delete_cell("alpha_agent", "alpha_agent", (200, 204)),
        "other_company": mcp_delete_cell("alpha_agent", "beta_agent", (404,), victim="A"),
        "other_caller": mcp_delete_cell("alpha_agent", "alpha_admin", (403,), victim="A"),
        "withheld": mcp_delete_cell("alpha_agent", None, (401,), victim="A")}
    # Functions: expanded per function in run().
    m["POST /api/retell/{function}"] = "functions"
    m["POST /api/retell/c/{slug}/{function}"] = "functions"

    # Admin API on company A's objects, in an order where the owner's writes undo themselves
    # (deactivate before activate) and nothing later depends on what they changed.
    m["GET /api/admin/me"] = admin_row("GET", lambda s, fx: "/api/admin/me", any_company=True)
    m["GET /api/admin/companies"] = admin_row("GET", lambda s, fx: "/api/admin/companies",
                                              any_company=True)
    m["POST /api/admin/companies"] = admin_row(
        "POST", lambda s, fx: "/api/admin/companies",
        lambda s, fx: {"name": "Neu GmbH", "slug": unique("neu-")}, write=True,
        platform_only=True)
    m["GET /api/admin/companies/{company_id}"] = admin_row("GET", cp())
    m["PATCH /api/admin/companies/{company_id}"] = admin_row(
        "PATCH", cp(), lambda s, fx: {"name": "Praxis Alpha"}, write=True)
    m["DELETE /api/admin/companies/{company_id}"] = admin_row(
        "DELETE", lambda s, fx: f"/api/admin/companies/{s.ids[GAMMA_SLUG]}", write=True,
        platform_only=True, victim="C")
    m["POST /api/admin/companies/{company_id}/activate"] = admin_row(
        "POST", lambda s, fx: f"/api/admin/companies/{s.ids[GAMMA_SLUG]}/activate", write=True,
        platform_only=True, victim="C")
    m["PUT /api/admin/companies/{company_id}/secrets"] = admin_row(
        "PUT", cp("/secrets"), lambda s, fx: {"calcom_api_key": "cal_alpha"}, write=True,
        platform_only=True)
    m["GET /api/admin/companies/{company_id}/branches"] = admin_row("GET", cp("/branches"))
    m["POST /api/admin/companies/{company_id}/branches"] = admin_row(
        "POST", cp("/branches"), lambda s, fx: {"name": unique("Filiale ")}, write=True)
    branch = lambda s: f"/branches/{s.ids['branch:Charlottenburg']}"  # noqa: E731
    m["GET /api/admin/companies/{company_id}/branches/{branch_id}"] = admin_row("GET", cp(branch))
    m["PATCH /api/admin/companies/{company_id}/branches/{branch_id}"] = admin_row(
        "PATCH", cp(branch), lambda s, fx: {"name": "Charlottenburg"}, write=True)
    m["DELETE /api/admin/companies/{company_id}/branches/{branch_id}"] = admin_row(
        "DELETE", cp(branch), write=True)
    m["POST /api/admin/companies/{company_id}/branches/{branch_id}/activate"] = admin_row(
        "POST", cp(lambda s: branch(s) + "/activate"), write=True)
    m["GET /api/admin/companies/{company_id}/services"] = admin_row("GET", cp("/services"))
    m["POST /api/admin/companies/{company_id}/services"] = admin_row(
        "POST", cp("/services"), lambda s, fx: {"name": unique("Leistung "),
                                                "duration_minutes": 30}, write=True)
    service = lambda s: f"/services/{s.ids['service:Kontrolltermin']}"  # noqa: E731
    m["GET /api/admin/companies/{company_id}/services/{service_id}"] = admin_row(
        "GET", cp(service))
    m["PATCH /api/admin/companies/{company_id}/services/{service_id}"] = admin_row(
        "PATCH", cp(service), lambda s, fx: {"duration_minutes": 15}, write=True)
    m["DELETE /api/admin/companies/{company_id}/services/{service_id}"] = admin_row(
        "DELETE", cp(service), write=True)
    m["POST /api/admin/companies/{company_id}/services/{service_id}/activate"] = admin_row(
        "POST", cp(lambda s: service(s) + "/activate"), write=True)
    m["GET /api/admin/companies/{company_id}/phone-numbers"] = admin_row("GET", cp("/phone-numbers"))
    m["POST /api/admin/companies/{company_id}/phone-numbers"] = admin_row(
        "POST", cp("/phone-numbers"), lambda s, fx: {"number_e164": "+49 30 55566677"},
        write=True, platform_only=True)
    number = lambda s: f"/phone-numbers/{s.ids['number:' + ALPHA_NUMBER_2]}"  # noqa: E731
    m["GET /api/admin/companies/{company_id}/phone-numbers/{phone_number_id}"] = admin_row(
        "GET", cp(number))
    m["PATCH /api/admin/companies/{company_id}/phone-numbers/{phone_number_id}"] = admin_row(
        "PATCH", cp(number), lambda s, fx: {"branch_id": s.ids["branch:Charlottenburg"]},
        write=True)
    m["DELETE /api/admin/companies/{company_id}/phone-numbers/{phone_number_id}"] = admin_row(
        "DELETE", cp(number), write=True, platform_only=True)
    m["GET /api/admin/companies/{company_id}/customers"] = admin_row("GET", cp("/customers"))
    m["POST /api/admin/companies/{company_id}/customers"] = admin_row(
        "POST", cp("/customers"), lambda s, fx: {"name": "Neu", "phone_e164": h.random_caller()},
        write=True)
    customer = lambda s: f"/customers/{s.ids['customer:' + ERIKA_PHONE]}"  # noqa: E731
    m["GET /api/admin/companies/{company_id}/customers/{customer_id}"] = admin_row(
        "GET", cp(customer))
    m["PATCH /api/admin/companies/{company_id}/customers/{customer_id}"] = admin_row(
        "PATCH", cp(customer), lambda s, fx: {"notes": "Stammkundin"}, write=True)
    m["GET /api/admin/companies/{company_id}/calls"] = admin_row("GET", cp("/calls"))
    m["GET /api/admin/companies/{company_id}/appointments"] = admin_row("GET", cp("/appointments"))
    # The callback queue: viewers read it; B's admin gets 404 for A's queue and A's request.
    m["GET /api/admin/companies/{company_id}/callbacks"] = admin_row(
        "GET", cp("/callbacks?status=all"))
    m["PATCH /api/admin/companies/{company_id}/callbacks/{callback_id}"] = admin_row(
        "PATCH", lambda s, fx: f"/api/admin/companies/{s.ids[ALPHA_SLUG]}/callbacks/"
                               f"{fx['erika_callback']}",
        lambda s, fx: {"status": "in_progress"}, write=True)
    quick = lambda s, fx: f"/api/availability/quick?company_id={s.ids[ALPHA_SLUG]}"  # noqa: E731
    m["GET /api/availability/quick"] = {
        "own": admin_cell("GET", quick, token="alpha_admin", expect=OK),
        "other_company": admin_cell("GET", quick, token="beta_admin", expect=(403, 404),
                                    victim="A"),
        "other_caller": admin_cell("GET", quick, token="alpha_viewer", expect=OK),
        "withheld": admin_cell("GET", quick, token=None, expect=(401,), victim="A")}
    # Data protection: access and erasure requests (of a number nobody has) and the audit log.
    m["POST /api/admin/companies/{company_id}/privacy/export"] = admin_row(
        "POST", cp("/privacy/export"), lambda s, fx: {"phone": h.random_caller()}, write=True)
    m["POST /api/admin/companies/{company_id}/privacy/erase"] = admin_row(
        "POST", cp("/privacy/erase"), lambda s, fx: {"phone": h.random_caller()}, write=True)
    m["GET /api/admin/audit-events"] = admin_row(
        "GET", lambda s, fx: "/api/admin/audit-events", any_company=True)
    m["GET /metrics"] = admin_row("GET", lambda s, fx: "/metrics", platform_only=True)
    m["GET /api/admin/dashboard/overview"] = admin_row(
        "GET", lambda s, fx: "/api/admin/dashboard/overview", any_company=True)
    for path in ("/api/admin/dashboard/system", "/api/admin/dashboard/failed-jobs",
                 "/api/admin/diagnostic-info", "/api/admin/ready"):
        m[f"GET {path}"] = admin_row("GET", lambda s, fx, p=path: p, platform_only=True)
    m["POST /api/admin/dashboard/failed-jobs/{id}/retry"] = admin_row(
        "POST", lambda s, fx: "/api/admin/dashboard/failed-jobs/999999/retry", write=True,
        platform_only=True, own_expect=(404,))
    return m


# ---- the route table and the function list ------------------------------------------------------

def route_table(s):
    """Every "METHOD pattern" that `callgate routes` prints for this configuration."""
    done = s.run("routes")
    routes = []
    for line in done.stdout.splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[0].isupper() and parts[1].startswith("/"):
            routes.append(f"{parts[0]} {parts[1]}")
    if not routes:
        raise RuntimeError(f"`callgate routes` printed no routes:\n{done.stdout}")
    return routes


def function_names(s):
    """The agent functions: `callgate tools --format retell` when the binary has it, else the
    checked-in Retell tool definitions (docs/retell-tools.json)."""
    done = s.run("tools", "--format", "retell", check=False)
    text = done.stdout if done.returncode == 0 else open(
        os.path.join(REPO, "docs", "retell-tools.json")).read()
    try:
        data = json.loads(text[text.index("{") if "{" in text else 0:])
    except ValueError:
        data = json.load(open(os.path.join(REPO, "docs", "retell-tools.json")))
    tools = data.get("tools", data) if isinstance(data, dict) else data
    names = []
    for tool in tools:
        url = tool.get("url", "")
        names.append(url.rsplit("/", 1)[-1] if url else tool["name"].replace("_", "-"))
    return names


# ---- running it ------------------------------------------------------------------------------

COMPANY_TABLES = ("branches", "services", "phone_numbers", "customers", "calls", "appointments",
                  "callback_requests", "users")


def victim_rows(s, victim):
    """Every row that belongs to the victim: a company's rows, or one customer's own rows (her
    customer row, her appointments, the calls that count as hers)."""
    if victim in ("A", "B", "C"):
        cid = s.ids[{"A": ALPHA_SLUG, "B": BETA_SLUG, "C": GAMMA_SLUG}[victim]]
        out = {"companies": s.db.rows(f"SELECT * FROM companies WHERE id = {cid}")}
        for table in COMPANY_TABLES:
            out[table] = s.db.rows(f"SELECT * FROM {table} WHERE company_id = {cid} ORDER BY id")
        return out
    customer = s.ids["customer:" + {"Erika": ERIKA_PHONE, "Berta": BERTA_PHONE}[victim]]
    return {
        "customers": s.db.rows(f"SELECT * FROM customers WHERE id = {customer}"),
        "appointments": s.db.rows(f"SELECT * FROM appointments WHERE customer_id = {customer} "
                                  "ORDER BY id"),
        "calls": s.db.rows(f"SELECT id, retell_call_id FROM calls WHERE customer_id = {customer} "
                           "ORDER BY id"),
    }


_cells_run = [0]


def run_cell(s, fx, label, cell, check):
    if isinstance(cell, NA):
        return
    _cells_run[0] += 1
    n = _cells_run[0]
    s.forced_client = f"198.18.{n // 250}.{n % 250 + 1}"
    try:
        run_cell_from_own_address(s, fx, label, cell, check)
    finally:
        s.forced_client = None


def run_cell_from_own_address(s, fx, label, cell, check):
    victim = cell.victim
    before = victim_rows(s, victim) if victim else None
    r = cell.send(s, fx)
    check(r.status in cell.expect, f"{label}: answered {r}, want {'/'.join(map(str, cell.expect))}")
    if victim:
        for text in VICTIM_TEXTS[victim] + cell.leak:
            check(text not in r.text, f"{label}: the answer reveals {text!r}: {r.text[:300]}")
        after = victim_rows(s, victim)
        for table in before:
            old, new = before[table], after[table]
            if old != new:
                gone = [row for row in old if row not in new]
                added = [row for row in new if row not in old]
                check(False, f"{label}: changed {victim}'s {table}: "
                             f"before {gone[:2]} after {added[:2]}")
    if s.ensure_server():
        check(False, f"{label}: took callgate serve down")


def matrix_case(s, check):
    fx = make_fixtures(s)
    matrix = route_matrix()
    routes = route_table(s)
    functions = function_names(s)
    missing = [r for r in routes if r not in matrix]
    check(not missing, "routes without a row in the BOLA matrix (add one to "
                       "tests/security/bola_matrix_test.py):\n  " + "\n  ".join(missing))
    stale = [r for r in matrix if r not in routes]
    check(not stale, "matrix rows for routes the route table does not have:\n  " +
          "\n  ".join(stale))
    fn_rows = {f: (function_row(f, False), function_row(f, True)) for f in FUNCTION_ROWS}
    fn_missing = [f for f in functions if f not in fn_rows]
    check(not fn_missing, "agent functions without a row in the BOLA matrix: " +
          ", ".join(fn_missing))
    cells = 0
    for route, row in matrix.items():
        if route not in routes:
            continue
        if row == "functions":
            company_url = "/c/" in route
            for function in functions:
                if function not in fn_rows:
                    continue
                frow = fn_rows[function][1 if company_url else 0]
                for actor in ACTORS:
                    run_cell(s, fx, f"{route} [{function}] × {actor}", frow[actor], check)
                    cells += 1
            continue
        for actor in ACTORS:
            run_cell(s, fx, f"{route} × {actor}", row[actor], check)
            cells += 1
    h.log(f"BOLA matrix: {len(routes)} routes, {len(functions)} functions, {cells} cells")


FUNCTION_ROWS = ["list-services", "get-branches", "check-availability", "get-alternatives",
                 "collect-customer-info", "collect-appointment-data", "book-appointment",
                 "cancel-appointment", "reschedule-appointment", "query-customer-appointments",
                 "request-callback"]

if __name__ == "__main__":
    if len(sys.argv) < 2:
        print(__doc__)
        sys.exit(2)
    sys.exit(h.run_suite(sys.argv[1], "bola", [("BOLA matrix", matrix_case),
                                                ("agent tokens and the admin API",
                                                 agent_tokens_case)], deadline_s=240))
