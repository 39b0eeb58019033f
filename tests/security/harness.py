"""Shared helpers of the black-box security tests (Python 3 standard library only).

A security test starts, on 127.0.0.1 only, its own Cal.com stand-in (`callgate fake-calcom`) and
one `callgate serve` in APP_ENV=production over a fresh database (SQLite file, or a new
PostgreSQL database on CALLGATE_TEST_POSTGRES_ADMIN_URL from scripts/services), seeded with a
tenant file of three companies:

  A "Praxis Alpha" (alpha)  — signs with the platform Retell key, Cal.com key cal_alpha, event
                              types 1001/1002, customers Erika (with e-mail) and Max.
  B "Salon Beta"   (beta)   — its OWN Retell key and its own Cal.com key and webhook secret,
                              event type 1003, customer Berta.
  C "Praxis Gamma" (gamma)  — deactivated during a test to check that its admins lose access.

It then attacks the server over HTTP exactly like an outsider, a tenant or a caller could, and
reads the database directly (sqlite3 module / psql) to prove that nothing changed.

Every request of the tests carries `X-Forwarded-For: <address>` from a trusted proxy
(TRUSTED_PROXIES=127.0.0.1/32), so each attack phase is its own client address for the per-address
limits; the failed-authentication and connection-cap attacks use the plain 127.0.0.1 peer.
"""

import base64
import concurrent.futures
import hashlib
import hmac
import http.client
import json
import os
import random
import re
import shutil
import signal
import socket
import sqlite3
import string
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "common"))
import test_days  # noqa: E402  (tests/common)

SKIP = 77  # CTest SKIP_RETURN_CODE

PLATFORM_RETELL_KEY = "key_platform_security_0123456789"
BETA_RETELL_KEY = "key_beta_own_9876543210"
GLOBAL_CALCOM_SECRET = "whsec_global_platform"
BETA_CALCOM_SECRET = "whsec_beta_own"
PLATFORM_VAPI_SECRET = "vapi_platform_security_secret"
BETA_VAPI_SECRET = "vapi_beta_own_secret"

ALPHA_SLUG, BETA_SLUG, GAMMA_SLUG = "alpha", "beta", "gamma"
ALPHA_NUMBER = "+493083793369"
ALPHA_NUMBER_2 = "+493031801234"
BETA_NUMBER = "+494040123456"
GAMMA_NUMBER = "+498912345678"
ERIKA_PHONE, ERIKA_NAME, ERIKA_EMAIL = "+4915112345678", "Erika Mustermann", "erika.m@example.org"
MAX_PHONE, MAX_NAME, MAX_EMAIL = "+4915122223333", "Max Beispiel", "max.b@example.org"
BERTA_PHONE, BERTA_NAME, BERTA_EMAIL = "+4915133334444", "Berta Beta", "berta.b@example.org"

HOURS = {d: ["08:00", "18:00"] for d in ("mon", "tue", "wed", "thu", "fri")}


def tenant_file(with_calcom_secret=True):
    beta = {
        "name": "Salon Beta", "slug": BETA_SLUG, "timezone": "Europe/Berlin",
        "calcom_api_key": "cal_beta", "retell_api_key": BETA_RETELL_KEY,
        "vapi_secret": BETA_VAPI_SECRET,
        "branches": [{"name": "Hamburg", "address": "Jungfernstieg 1, 20354 Hamburg",
                      "business_hours": HOURS, "phone_numbers": [BETA_NUMBER]}],
        "services": [{"name": "Haarschnitt", "duration_minutes": 60, "price_cents": 4000,
                      "calcom_event_type_id": 1003, "is_default": True}],
        "customers": [{"name": BERTA_NAME, "phone": BERTA_PHONE, "email": BERTA_EMAIL}],
    }
    if with_calcom_secret:
        beta["calcom_webhook_secret"] = BETA_CALCOM_SECRET
    return {"companies": [
        {
            "name": "Praxis Alpha", "slug": ALPHA_SLUG, "timezone": "Europe/Berlin",
            "calcom_api_key": "cal_alpha", "price_per_minute_cents": 15,
            "branches": [
                {"name": "Mitte", "address": "Torstraße 1, 10119 Berlin", "business_hours": HOURS,
                 "phone_numbers": [ALPHA_NUMBER]},
                {"name": "Charlottenburg", "address": "Kantstraße 20, 10623 Berlin",
                 "business_hours": HOURS, "phone_numbers": [ALPHA_NUMBER_2]}],
            "services": [
                {"name": "Erstberatung", "synonyms": ["Beratung"], "duration_minutes": 30,
                 "price_cents": 6000, "calcom_event_type_id": 1001, "is_default": True},
                {"name": "Kontrolltermin", "synonyms": ["Kontrolle"], "duration_minutes": 15,
                 "price_cents": 3000, "calcom_event_type_id": 1002}],
            "customers": [{"name": ERIKA_NAME, "phone": ERIKA_PHONE, "email": ERIKA_EMAIL},
                          {"name": MAX_NAME, "phone": MAX_PHONE, "email": MAX_EMAIL}],
        },
        beta,
        {
            "name": "Praxis Gamma", "slug": GAMMA_SLUG, "timezone": "Europe/Berlin",
            "calcom_api_key": "cal_gamma",
            "branches": [{"name": "München", "address": "Marienplatz 1, 80331 München",
                          "business_hours": HOURS, "phone_numbers": [GAMMA_NUMBER]}],
            "services": [{"name": "Sprechstunde", "duration_minutes": 30, "price_cents": 0}],
        },
    ]}


# ---- small helpers -----------------------------------------------------------------------------

def log(*parts):
    print(time.strftime("%H:%M:%S"), *parts, flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def sign_retell(body: bytes, key: str) -> str:
    v = str(int(time.time() * 1000))
    digest = hmac.new(key.encode(), body + v.encode(), hashlib.sha256).hexdigest()
    return f"v={v},d={digest}"


def sign_calcom(body: bytes, secret: str) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def parse_json(text):
    try:
        return json.loads(text)
    except ValueError:
        return None


def weekdays_ahead(count, start_days=3):
    """`count` dates, Monday to Friday and no public holiday (tests/common/test_days.py)."""
    return test_days.bookable_weekdays(count, start_days)


def german(day):
    return f"{day.day}.{day.month}.{day.year}"


def random_caller():
    return "+49152" + "".join(random.choice(string.digits) for _ in range(8))


def new_call_id(tag="call"):
    return f"sec_{tag}_" + "".join(random.choice(string.ascii_lowercase + string.digits)
                                   for _ in range(12))


def call_object(call_id, from_number, to_number):
    return {"call_id": call_id, "call_type": "phone_call", "from_number": from_number,
            "to_number": to_number, "direction": "inbound", "agent_id": "agent_security",
            "call_status": "ongoing"}


class Response:
    def __init__(self, status, text, headers=None):
        self.status = status
        self.text = text
        self.headers = headers or {}
        self.json = parse_json(text)

    def __repr__(self):
        return f"<{self.status} {self.text[:300]!r}>"


class Check:
    """Collects failed expectations of one case instead of stopping at the first."""

    def __init__(self):
        self.failures = []

    def __call__(self, condition, message):
        if not condition:
            self.failures.append(message)
        return condition


def postgres_admin_url():
    """A URL of the test PostgreSQL server that may create databases (scripts/services)."""
    admin = os.environ.get("CALLGATE_TEST_POSTGRES_ADMIN_URL", "")
    if admin:
        return admin
    url = os.environ.get("CALLGATE_TEST_POSTGRES_URL", "")
    if not url:
        return ""
    return urllib.parse.urlunsplit(urllib.parse.urlsplit(url)._replace(path="/postgres"))


# ---- the database ------------------------------------------------------------------------------

class Database:
    """A fresh database for one test run: SQLite file or a new PostgreSQL database."""

    def __init__(self, backend, workdir):
        self.backend = backend
        self.workdir = workdir
        self.pg_name = None
        if backend == "sqlite":
            os.makedirs(os.path.join(workdir, "db"), mode=0o700, exist_ok=True)
            self.path = os.path.join(workdir, "db", "callgate.db")
            self.url = f"sqlite://{self.path}"
        else:
            admin = postgres_admin_url()
            self.pg_name = f"callgate_sec_{os.getpid()}_{random.randint(0, 10**6)}"
            self.admin_url = admin
            self.psql(admin, f"CREATE DATABASE {self.pg_name}")
            parts = urllib.parse.urlsplit(admin)
            self.url = urllib.parse.urlunsplit(parts._replace(path="/" + self.pg_name))

    @staticmethod
    def psql(url, query):
        done = subprocess.run(
            ["psql", "-X", "-q", "-A", "-t", "-F", "\x1f", "-v", "ON_ERROR_STOP=1", "-d", url,
             "-c", query], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=60,
            stdin=subprocess.DEVNULL)
        if done.returncode != 0:
            raise RuntimeError(f"psql failed: {done.stderr.strip()} (query: {query})")
        return [line.split("\x1f") for line in done.stdout.splitlines() if line != ""]

    MARKER = "--callgate-security-end-of-result--"

    def _session(self):
        """One long-lived psql reading queries from stdin (a process per query is too slow for
        the thousands of reads of the BOLA matrix)."""
        if getattr(self, "_psql", None) is None or self._psql.poll() is not None:
            self._psql = subprocess.Popen(
                ["psql", "-X", "-q", "-A", "-t", "-F", "\x1f", "-v", "ON_ERROR_STOP=0",
                 "-d", self.url], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT, text=True, bufsize=1)
        return self._psql

    def rows(self, query):
        """Rows of `query` as lists of strings (NULL as None on SQLite, '' on PostgreSQL)."""
        if self.backend == "sqlite":
            conn = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, timeout=30)
            try:
                return [[None if v is None else str(v) for v in row]
                        for row in conn.execute(query).fetchall()]
            finally:
                conn.close()
        session = self._session()
        session.stdin.write(query.rstrip().rstrip(";") + ";\n\\echo " + self.MARKER + "\n")
        session.stdin.flush()
        out, errors = [], []
        while True:
            line = session.stdout.readline()
            if line == "":
                raise RuntimeError(f"psql ended while reading {query!r}: {errors}")
            line = line.rstrip("\n")
            if line == self.MARKER:
                break
            if line.startswith(("ERROR:", "psql:")):
                errors.append(line)
            elif line != "":
                out.append(line.split("\x1f"))
        if errors:
            raise RuntimeError(f"psql: {' '.join(errors)} (query: {query})")
        return out

    def execute(self, statement):
        """Runs one statement that changes the database (tests that break it on purpose)."""
        if self.backend == "sqlite":
            conn = sqlite3.connect(self.path, timeout=30)
            try:
                conn.execute(statement)
                conn.commit()
            finally:
                conn.close()
        else:
            self.rows(statement)

    def value(self, query):
        rows = self.rows(query)
        return rows[0][0] if rows else None

    def count(self, table, where="1=1"):
        return int(self.value(f"SELECT COUNT(*) FROM {table} WHERE {where}"))

    TENANT_TABLES = ("companies", "branches", "services", "phone_numbers", "customers", "calls",
                     "appointments", "callback_requests", "users", "api_tokens")

    def snapshot(self, tables=TENANT_TABLES):
        """Every row of the tenant tables, for 'nothing changed' comparisons."""
        return {t: sorted(map(repr, self.rows(f"SELECT * FROM {t} ORDER BY id"))) for t in tables}

    def drop(self):
        if getattr(self, "_psql", None) is not None:
            self._psql.stdin.close()
            self._psql.wait(timeout=10)
            self._psql = None
        if self.pg_name:
            try:
                self.psql(self.admin_url, f"DROP DATABASE IF EXISTS {self.pg_name} WITH (FORCE)")
            except Exception as error:  # noqa: BLE001 - cleanup must not hide the result
                log(f"could not drop {self.pg_name}: {error}")


def diff_snapshots(before, after):
    """Human-readable differences of two snapshots ('' when equal)."""
    out = []
    for table in before:
        b, a = set(before[table]), set(after.get(table, []))
        for row in sorted(b - a):
            out.append(f"{table}: removed/changed {row[:200]}")
        for row in sorted(a - b):
            out.append(f"{table}: added/changed {row[:200]}")
    return "\n".join(out)


# ---- the system under test ---------------------------------------------------------------------

class System:
    """Fake Cal.com + `callgate serve` over a seeded database, all on 127.0.0.1."""

    def __init__(self, callgate, backend, name, extra_env=None):
        self.callgate = os.path.abspath(callgate)
        self.backend = backend
        self.name = name
        self.extra_env = extra_env or {}
        self.dir = tempfile.mkdtemp(prefix=f"callgate-security-{name}-{backend}.", dir="/tmp")
        self.db = None
        self.fake = None
        self.server = None
        self.port = None
        self.fake_url = None
        self.tokens = {}
        self.ids = {}
        self.seeded_calcom_secret = False
        self.server_starts = 0
        # When set, every request claims this client address (X-Forwarded-For) instead of the
        # one its helper names: the BOLA matrix gives each cell its own address so that the
        # per-address failed-authentication limit (tested on its own) never answers for a cell.
        self.forced_client = None

    # lifecycle

    def env(self):
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "APP_ENV": "production",
            "CALLGATE_DATABASE_URL": self.db.url,
            "CALLGATE_LISTEN": f"127.0.0.1:{self.port}",
            "CALLGATE_WORKERS": "1",
            "CALLGATE_HTTP_THREADS": "2",
            "CALLGATE_HANDLER_THREADS": "8",
            "CALLGATE_LOG_FORMAT": "text",
            "CALLGATE_LOG_LEVEL": "warn",
            "CALLGATE_FUNCTION_LIMIT_PER_MINUTE": "100000",
            "CALLGATE_MAX_CONNECTIONS_PER_IP": "20",
            "CALLGATE_MASTER_KEY": base64.b64encode(b"security-suite-master-key-32byte").decode(),
            "RETELL_API_KEY": PLATFORM_RETELL_KEY,
            "CALCOM_API_KEY": "cal_platform",
            "CALCOM_BASE_URL": f"{self.fake_url}/v2",
            "CALCOM_WEBHOOK_SECRET": GLOBAL_CALCOM_SECRET,
            "VAPI_SECRET": PLATFORM_VAPI_SECRET,
            "TRUSTED_PROXIES": "127.0.0.1/32",
            "DIAGNOSTICS_ENABLED": "true",
        }
        for key in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS", "TSAN_OPTIONS"):
            if key in os.environ:
                env[key] = os.environ[key]
        env.update(self.extra_env)
        return env

    def run(self, *args, stdin_text="", check=True, timeout=60):
        done = subprocess.run([self.callgate, *args], env=self.env(), cwd=self.dir,
                              input=stdin_text, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True, timeout=timeout)
        if check and done.returncode != 0:
            raise RuntimeError(f"callgate {' '.join(args)} failed ({done.returncode}):\n"
                               f"{done.stdout}")
        return done

    def start(self):
        os.umask(0o022)
        self.db = Database(self.backend, self.dir)
        self.start_fake()
        self.port = free_port()
        self.run("migrate")
        self.seed()
        self.create_admins()
        self.start_server()
        self.load_ids()
        return self

    def start_fake(self):
        log_file = open(os.path.join(self.dir, "fake-calcom.log"), "w")
        self.fake = subprocess.Popen([self.callgate, "fake-calcom", "--port", "0"],
                                     stdout=subprocess.PIPE, stderr=log_file, text=True,
                                     stdin=subprocess.DEVNULL)
        line = self.fake.stdout.readline().strip()
        match = re.search(r"http://127\.0\.0\.1:\d+", line)
        if not match:
            raise RuntimeError(f"fake-calcom printed {line!r}")
        self.fake_url = match.group(0)

    def seed(self):
        path = os.path.join(self.dir, "tenants.json")
        with open(path, "w") as f:
            json.dump(tenant_file(with_calcom_secret=True), f, ensure_ascii=False)
        done = self.run("seed", "--file", path, check=False)
        if done.returncode == 0:
            self.seeded_calcom_secret = True
            return
        # Before per-company Cal.com webhook secrets exist the field is unknown: seed without it
        # (the F7 case then sets it through the admin API, or fails).
        log(f"seed with calcom_webhook_secret refused ({done.stdout.strip()[-200:]}); "
            "seeding without it")
        with open(path, "w") as f:
            json.dump(tenant_file(with_calcom_secret=False), f, ensure_ascii=False)
        self.run("seed", "--file", path)

    def create_admins(self):
        users = [("platform", "root@callgate.test", "platform_admin", None),
                 ("alpha_admin", "admin@alpha.test", "company_admin", ALPHA_SLUG),
                 ("alpha_viewer", "viewer@alpha.test", "viewer", ALPHA_SLUG),
                 ("beta_admin", "admin@beta.test", "company_admin", BETA_SLUG),
                 ("gamma_admin", "admin@gamma.test", "company_admin", GAMMA_SLUG),
                 # MCP clients (role agent): their tokens open /mcp for their company only.
                 ("alpha_agent", "agent@alpha.test", "agent", ALPHA_SLUG),
                 ("beta_agent", "agent@beta.test", "agent", BETA_SLUG)]

        def create(user):
            key, email, role, company = user
            args = ["admin", "create-user", "--email", email, "--role", role]
            if company:
                args += ["--company", company]
            self.run(*args)
            out = self.run("admin", "create-token", "--email", email, "--days", "2").stdout
            return key, out.strip().splitlines()[-1].strip()

        with concurrent.futures.ThreadPoolExecutor(max_workers=len(users)) as pool:
            self.tokens.update(pool.map(create, users))

    def load_ids(self):
        """Ids of the seeded objects, read through the admin API (the database may hold
        encrypted names and numbers)."""
        token = self.tokens["platform"]

        def items(path):
            r = self.get(path, token=token)
            if r.status != 200 or not isinstance(r.json, dict):
                raise RuntimeError(f"GET {path} answered {r}")
            return r.json.get("items", [])

        for company in items("/api/admin/companies"):
            self.ids[company["slug"]] = int(company["id"])
        for slug in (ALPHA_SLUG, BETA_SLUG, GAMMA_SLUG):
            base = f"/api/admin/companies/{self.ids[slug]}"
            for service in items(base + "/services"):
                self.ids["service:" + service["name"]] = int(service["id"])
            for branch in items(base + "/branches"):
                self.ids["branch:" + branch["name"]] = int(branch["id"])
            for number in items(base + "/phone-numbers"):
                self.ids["number:" + number["number_e164"]] = int(number["id"])
            for customer in items(base + "/customers"):
                self.ids["customer:" + customer["phone_e164"]] = int(customer["id"])

    def start_server(self):
        self.server_starts += 1
        log_path = os.path.join(self.dir, f"serve-{self.server_starts}.log")
        self.server_log = log_path
        self.server = subprocess.Popen([self.callgate, "serve"], env=self.env(), cwd=self.dir,
                                       stdout=open(log_path, "w"), stderr=subprocess.STDOUT,
                                       stdin=subprocess.DEVNULL)
        end = time.monotonic() + 60
        while time.monotonic() < end:
            if self.server.poll() is not None:
                raise RuntimeError(f"callgate serve exited with {self.server.returncode}:\n"
                                   + self.tail(log_path))
            if self.get("/health", timeout=2).status == 200:
                return
            time.sleep(0.1)
        raise RuntimeError("callgate serve did not answer /health within 60 s")

    def alive(self):
        return self.server is not None and self.server.poll() is None and \
            self.get("/health", timeout=5).status == 200

    def ensure_server(self):
        """Restarts `serve` (same database) when an attack took it down; True if it was down."""
        if self.alive():
            return False
        code = self.server.poll() if self.server else None
        log(f"callgate serve is down (exit {code}); restarting it for the next case")
        self.stop_server()
        self.start_server()
        return True

    def stop_server(self):
        if self.server and self.server.poll() is None:
            self.server.send_signal(signal.SIGTERM)
            try:
                self.server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.server.kill()
                self.server.wait()

    def stop(self):
        self.stop_server()
        if self.fake and self.fake.poll() is None:
            self.fake.send_signal(signal.SIGTERM)
            try:
                self.fake.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.fake.kill()
                self.fake.wait()
        if self.db:
            self.db.drop()

    def sanitizer_reports(self):
        found = []
        for name in sorted(os.listdir(self.dir)):
            if not name.endswith(".log"):
                continue
            with open(os.path.join(self.dir, name), errors="replace") as f:
                for line in f:
                    if "ERROR: AddressSanitizer" in line or "runtime error:" in line \
                            or "ERROR: LeakSanitizer" in line:
                        found.append(f"{name}: {line.strip()}")
        return found

    @staticmethod
    def tail(path, lines=30):
        try:
            with open(path, errors="replace") as f:
                return "".join(f.readlines()[-lines:])
        except OSError:
            return ""

    # HTTP

    def request(self, method, path, body=None, headers=None, client="203.0.113.1", timeout=30):
        """One request on a fresh connection; status 0 when the connection failed."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        hdrs = dict(headers or {})
        if self.forced_client:
            client = self.forced_client
        if client:
            hdrs.setdefault("X-Forwarded-For", client)
        try:
            data = body if body is None or isinstance(body, bytes) else body.encode()
            conn.request(method, path, body=data, headers=hdrs)
            r = conn.getresponse()
            return Response(r.status, r.read().decode("utf-8", "replace"), dict(r.getheaders()))
        except (OSError, http.client.HTTPException) as error:
            return Response(0, f"{type(error).__name__}: {error}")
        finally:
            conn.close()

    def get(self, path, token=None, client="203.0.113.1", timeout=30):
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return self.request("GET", path, headers=headers, client=client, timeout=timeout)

    def admin(self, method, path, token, body=None, client="203.0.113.2"):
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        data = None
        if body is not None:
            data = json.dumps(body)
            headers["Content-Type"] = "application/json"
        return self.request(method, path, data, headers, client=client)

    def retell(self, path, body, key=PLATFORM_RETELL_KEY, headers=None, client="203.0.113.3",
               signature=None):
        data = body if isinstance(body, bytes) else (
            body.encode() if isinstance(body, str) else json.dumps(body).encode())
        hdrs = {"Content-Type": "application/json",
                "X-Retell-Signature": signature or sign_retell(data, key)}
        hdrs.update(headers or {})
        return self.request("POST", path, data, hdrs, client=client)

    def function(self, function, args, call_id, from_number, to_number, slug=None, key=None,
                 name=None, client="203.0.113.3"):
        """A standard-mode function call ({"name","call","args"})."""
        body = {"name": name or function.replace("-", "_"),
                "call": call_object(call_id, from_number, to_number), "args": args}
        path = f"/api/retell/c/{slug}/{function}" if slug else f"/api/retell/{function}"
        return self.retell(path, body, key or (BETA_RETELL_KEY if slug == BETA_SLUG
                                               else PLATFORM_RETELL_KEY), client=client)

    def lifecycle(self, event, call_id, from_number, to_number, slug=None, key=None,
                  client="203.0.113.3"):
        now_ms = int(time.time() * 1000)
        call = call_object(call_id, from_number, to_number)
        call["start_timestamp"] = now_ms - 60000
        path = f"/webhooks/retell/c/{slug}" if slug else "/webhooks/retell"
        return self.retell(path, {"event": event, "call": call},
                           key or (BETA_RETELL_KEY if slug == BETA_SLUG else PLATFORM_RETELL_KEY),
                           client=client)

    def vapi(self, message, secret, slug=None, client="203.0.113.5"):
        """A Vapi server message ({"message": ...}) with `X-Vapi-Secret` (None: no credential)."""
        path = f"/webhooks/vapi/c/{slug}" if slug else "/webhooks/vapi"
        headers = {"Content-Type": "application/json"}
        if secret is not None:
            headers["X-Vapi-Secret"] = secret
        return self.request("POST", path, json.dumps({"message": message}), headers,
                            client=client)

    def calcom_webhook(self, payload, secret, slug=None, client="203.0.113.4"):
        data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        path = f"/webhooks/calcom/c/{slug}" if slug else "/webhooks/calcom"
        return self.request("POST", path, data,
                            {"Content-Type": "application/json",
                             "X-Cal-Signature-256": sign_calcom(data, secret)}, client=client)

    # fixtures made through the public interfaces

    def start_call(self, from_number, to_number, slug=None, tag="call"):
        call_id = new_call_id(tag)
        r = self.lifecycle("call_started", call_id, from_number, to_number, slug=slug)
        if r.status not in (200, 201, 202, 204):
            raise RuntimeError(f"call_started for {to_number} answered {r}")
        return call_id

    def start_call_or_new(self, from_number, to_number, tag="call"):
        """A call started by the webhook, or (when the webhook refuses this caller number) a new
        call id that the first function call creates from call.to_number."""
        call_id = new_call_id(tag)
        r = self.lifecycle("call_started", call_id, from_number, to_number)
        if not 200 <= r.status < 300:
            log(f"call_started from {from_number!r} answered {r}; the function call creates it")
        return call_id

    def book(self, call_id, from_number, to_number, service, day, hour, name, slug=None):
        """Books through book-appointment; returns the appointment row (dict) it created."""
        args = {"service": service, "date": german(day), "time": f"{hour}:00", "name": name}
        r = self.function("book-appointment", args, call_id, from_number, to_number, slug=slug,
                          client="203.0.113.99")
        if r.status != 200 or not (r.json or {}).get("success"):
            raise RuntimeError(f"booking {service} on {day} {hour}:00 answered {r}")
        row = self.db.rows("SELECT id, company_id, customer_id, status, calcom_booking_uid "
                           "FROM appointments WHERE call_id = (SELECT id FROM calls WHERE "
                           f"retell_call_id = '{call_id}') ORDER BY id DESC")
        if not row:
            raise RuntimeError(f"booking answered {r} but stored no appointment")
        return dict(zip(("id", "company_id", "customer_id", "status", "uid"), row[0]))


class SuiteDeadline(BaseException):
    """The suite ran out of its time budget (not an OSError like socket timeouts)."""


# ---- running cases -----------------------------------------------------------------------------

def run_suite(callgate, name, cases, deadline_s=240, extra_env=None):
    """Runs `cases` ([(title, fn(system, check))]) on the backend named by argv[2] against one
    system; every case runs even when an earlier one failed (the server is restarted when an
    attack took it down). Exit 0 when all pass, 1 otherwise, 77 when PostgreSQL is wanted but not
    configured (unless CI is set)."""
    backend = sys.argv[2] if len(sys.argv) > 2 else "sqlite"
    if backend == "postgresql" and not postgres_admin_url():
        print("CALLGATE_TEST_POSTGRES_URL is not set (run the tests through "
              "bash scripts/services run ...)", flush=True)
        return 1 if os.environ.get("CI") else SKIP

    def expired(signum, frame):
        raise SuiteDeadline(f"suite deadline of {deadline_s} s passed")

    signal.signal(signal.SIGALRM, expired)
    signal.signal(signal.SIGTERM, lambda s, f: (_ for _ in ()).throw(KeyboardInterrupt()))
    signal.alarm(deadline_s)
    began = time.monotonic()
    system = System(callgate, backend, name, extra_env)
    results = []
    keep = bool(os.environ.get("CALLGATE_KEEP_TEST_DIR"))
    try:
        system.start()
        log(f"{name}/{backend}: system up on 127.0.0.1:{system.port} in "
            f"{time.monotonic() - began:.1f} s")
        for title, fn in cases:
            check = Check()
            t0 = time.monotonic()
            try:
                system.ensure_server()
                fn(system, check)
            except SuiteDeadline:
                raise
            except Exception as error:  # noqa: BLE001 - one broken case must not hide the others
                check.failures.append(f"{type(error).__name__}: {error}")
                if not isinstance(error, AssertionError):
                    traceback.print_exc()
            if system.server and system.server.poll() is not None:
                check.failures.append(f"callgate serve died (exit {system.server.returncode})")
            results.append((title, check.failures))
            state = "ok  " if not check.failures else "FAIL"
            log(f"{state} {title} ({time.monotonic() - t0:.1f} s)")
            for f in check.failures:
                for line in str(f).splitlines():
                    log(f"       {line}")
    except BaseException as error:  # noqa: BLE001
        signal.alarm(0)
        log(f"ABORTED: {type(error).__name__}: {error}")
        traceback.print_exc()
        results.append(("suite", [str(error)]))
    finally:
        signal.alarm(0)
        system.stop()
        reports = system.sanitizer_reports()
        for r in reports:
            log("sanitizer report:", r)
        if reports:
            results.append(("sanitizers", reports))
        failed = [t for t, f in results if f]
        if failed or keep:
            log(f"logs kept in {system.dir}")
            if failed:
                sys.stderr.write(System.tail(getattr(system, "server_log", ""), 40))
        else:
            shutil.rmtree(system.dir, ignore_errors=True)
    failed = [t for t, f in results if f]
    log(f"{len(results) - len(failed)} of {len(results)} cases passed in "
        f"{time.monotonic() - began:.1f} s" + (f"; failed: {', '.join(failed)}" if failed else ""))
    return 1 if failed else 0
