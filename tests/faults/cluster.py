"""Shared helpers of the fault tests (standard library only).

A fault test starts its own cluster (scripts/cluster: nginx, two `callgate serve`, one
`callgate worker`, PostgreSQL behind PgBouncer, Redis, the Cal.com stand-in) in a fresh
directory under /tmp, talks to it over loopback only, and always stops it again:

    with Cluster(callgate_binary, "kill_instance") as c:
        status, body = c.webhook("call_ended", call_id="...", from_number="...")

`Cluster.__exit__` stops every process (also when the test fails or its deadline passes), and
the cluster's watchdog stops it if the test process itself is killed.
"""

import concurrent.futures
import glob
import hashlib
import hmac
import http.client
import json
import os
import random
import shutil
import signal
import string
import subprocess
import sys
import tempfile
import time
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "common"))
import test_days  # noqa: E402  (tests/common)

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
CLUSTER_SCRIPT = os.path.join(REPO, "scripts", "cluster")

# The demo tenant (tools::DemoTenantJson): "Praxis Dr. Weber", numbers of its two branches.
MITTE = "+493083793369"
CHARLOTTENBURG = "+493031801234"
DEMO_CALCOM_KEY = "cal_test_demo"


class Deadline(Exception):
    """The test ran out of its time budget."""


def log(*parts):
    print(time.strftime("%H:%M:%S"), *parts, flush=True)


def set_deadline(seconds):
    """Raises Deadline in the main thread after `seconds` (SIGALRM), so `finally` blocks still
    stop the cluster before CTest's own timeout would kill the test."""

    def expired(signum, frame):
        raise Deadline(f"test deadline of {seconds} s passed")

    signal.signal(signal.SIGALRM, expired)
    signal.alarm(seconds)

    # CTest (and a Ctrl-C) stop tests with SIGTERM/SIGINT: turn them into exceptions too.
    def terminated(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, terminated)


def sign(body: bytes, key: str, timestamp_ms=None) -> str:
    """X-Retell-Signature: v=<unix ms>,d=<hex HMAC-SHA256(key, raw body || ascii(v))>."""
    v = str(int(time.time() * 1000) if timestamp_ms is None else timestamp_ms)
    digest = hmac.new(key.encode(), body + v.encode(), hashlib.sha256).hexdigest()
    return f"v={v},d={digest}"


def request(base_url, method, path, body=None, headers=None, timeout=30.0):
    """One HTTP request on a fresh connection. Returns (status, text); status 0 when the
    connection failed (refused, reset, timed out)."""
    url = urllib.parse.urlsplit(base_url)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=timeout)
    try:
        data = body if body is None or isinstance(body, bytes) else body.encode()
        conn.request(method, path, body=data, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.read().decode("utf-8", "replace")
    except (OSError, http.client.HTTPException) as error:
        return 0, f"{type(error).__name__}: {error}"
    finally:
        conn.close()


def parse_json(text):
    try:
        return json.loads(text)
    except ValueError:
        return None


def random_caller():
    """A German mobile number that is nobody's customer yet."""
    return "+49151" + "".join(random.choice(string.digits) for _ in range(8))


def weekdays_ahead(count, start_days=2):
    """`count` dates (Monday to Friday, no public holiday) from `start_days` days ahead, as
    "d.m.yyyy" (tests/common/test_days.py)."""
    return [f"{d.day}.{d.month}.{d.year}" for d in test_days.bookable_weekdays(count, start_days)]


def webhook_body(event, call_id, from_number, to_number=MITTE):
    now_ms = int(time.time() * 1000)
    call = {
        "call_id": call_id,
        "call_type": "phone_call",
        "agent_id": "agent_faults",
        "direction": "inbound",
        "from_number": from_number,
        "to_number": to_number,
        "call_status": "ongoing" if event == "call_started" else "ended",
        "start_timestamp": now_ms - 120000,
    }
    if event != "call_started":
        call.update({
            "end_timestamp": now_ms,
            "duration_ms": 120000,
            "disconnection_reason": "user_hangup",
            "transcript": "Agent: Praxis Dr. Weber, guten Tag.\nUser: Danke, tschüss.",
            "call_cost": {"combined_cost": 14.2},
        })
    if event == "call_analyzed":
        call["call_analysis"] = {"call_summary": "Kurzer Anruf.", "user_sentiment": "Neutral",
                                 "call_successful": True}
    return json.dumps({"event": event, "call": call}, ensure_ascii=False)


def function_body(function, args, call_id, from_number, to_number=MITTE):
    return json.dumps({
        "name": function,
        "call": {"call_id": call_id, "call_type": "phone_call", "from_number": from_number,
                 "to_number": to_number, "direction": "inbound", "agent_id": "agent_faults",
                 "call_status": "ongoing"},
        "args": args,
    }, ensure_ascii=False)


def run_parallel(fn, items, threads=4):
    """fn(item) for every item on `threads` threads; results in item order."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=threads) as pool:
        return list(pool.map(fn, items))


def sql_quote(text):
    return "'" + text.replace("'", "''") + "'"


def sql_list(texts):
    return "(" + ",".join(sql_quote(t) for t in texts) + ")"


class Cluster:
    """scripts/cluster start/stop around a `with` block, plus helpers to talk to it."""

    def __init__(self, callgate, name, env=None):
        self.callgate = os.path.abspath(callgate)
        self.name = name
        self.extra_env = env or {}
        self.dir = None
        self.env = {}
        self.started = False

    # --- lifecycle ---------------------------------------------------------------------------

    def __enter__(self):
        self.dir = tempfile.mkdtemp(prefix=f"callgate-faults-{self.name}.", dir="/tmp")
        log(f"cluster: starting in {self.dir}")
        began = time.monotonic()
        environment = dict(os.environ)
        environment.update(self.extra_env)
        try:
            self.script("start", "--callgate", self.callgate, "--watch-pid", str(os.getpid()),
                        env=environment, timeout=180)
        except BaseException:
            self.dump_logs()
            self.script("stop", check=False, timeout=120)
            raise
        self.started = True
        self.env = self.read_env()
        log(f"cluster: up in {time.monotonic() - began:.1f} s, balancer {self.url}")
        return self

    def __exit__(self, exc_type, exc, tb):
        signal.alarm(0)  # stopping must not be interrupted by the test's deadline
        failed = exc_type is not None
        try:
            self.script("stop", check=False, timeout=120)
        finally:
            problems = self.sanitizer_reports()
            if failed or problems:
                self.dump_logs()
            if problems:
                for p in problems:
                    log("sanitizer report:", p)
                if not failed:
                    raise AssertionError(f"sanitizer reports in callgate logs: {problems}")
            if not failed and not problems and not os.environ.get("CALLGATE_KEEP_CLUSTER_DIR"):
                shutil.rmtree(self.dir, ignore_errors=True)
            else:
                log(f"cluster: logs kept in {self.dir}/logs")
        return False

    def script(self, *args, env=None, check=True, timeout=120):
        command = ["bash", CLUSTER_SCRIPT, args[0], self.dir, *args[1:]]
        done = subprocess.run(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True, timeout=timeout, stdin=subprocess.DEVNULL)
        if check and done.returncode != 0:
            raise RuntimeError(f"{' '.join(command)} failed ({done.returncode}):\n"
                               f"{done.stdout}{done.stderr}")
        return done

    def read_env(self):
        env = {}
        with open(os.path.join(self.dir, "env")) as f:
            for line in f:
                line = line.strip()
                if line.startswith("export ") and "=" in line:
                    key, value = line[len("export "):].split("=", 1)
                    env[key] = value
        return env

    def kill(self, component):
        """SIGKILL serve1|serve2|worker|fake-calcom|redis|nginx."""
        self.script("kill", component)

    def restart(self, component, *extra):
        self.script("restart", component, *extra, timeout=120)
        self.env = self.read_env()

    def status(self):
        return self.script("status", check=False).stdout

    def sanitizer_reports(self):
        found = []
        logs = os.path.join(self.dir or "", "logs")
        if not os.path.isdir(logs):
            return found
        for name in sorted(os.listdir(logs)):
            with open(os.path.join(logs, name), errors="replace") as f:
                for line in f:
                    if "ERROR: AddressSanitizer" in line or "ERROR: LeakSanitizer" in line \
                            or "runtime error:" in line:
                        found.append(f"{name}: {line.strip()}")
        return found

    def dump_logs(self, lines=40):
        logs = os.path.join(self.dir or "", "logs")
        if not os.path.isdir(logs):
            return
        for name in sorted(os.listdir(logs)):
            path = os.path.join(logs, name)
            with open(path, errors="replace") as f:
                tail = f.readlines()[-lines:]
            print(f"----- {path} (last {len(tail)} lines) -----", file=sys.stderr)
            sys.stderr.writelines(tail)
        sys.stderr.flush()

    # --- addresses ---------------------------------------------------------------------------

    @property
    def url(self):
        return self.env["CLUSTER_URL"]

    @property
    def key(self):
        return self.env["CLUSTER_RETELL_KEY"]

    @property
    def fake_url(self):
        return self.env["CLUSTER_FAKE_CALCOM_URL"]

    # --- Retell traffic ----------------------------------------------------------------------

    def signed_post(self, path, body, base=None, timeout=30.0):
        data = body.encode()
        headers = {"Content-Type": "application/json", "X-Retell-Signature": sign(data, self.key)}
        return request(base or self.url, "POST", path, data, headers, timeout)

    def webhook(self, event, call_id, from_number, to_number=MITTE, base=None):
        """A lifecycle webhook. Returns (status, parsed JSON or None)."""
        status, text = self.signed_post("/webhooks/retell",
                                        webhook_body(event, call_id, from_number, to_number), base)
        return status, parse_json(text)

    def function(self, function, args, call_id, from_number, to_number=MITTE, base=None,
                 timeout=30.0):
        """A custom function call. Returns (status, parsed JSON or None, seconds taken)."""
        began = time.monotonic()
        status, text = self.signed_post(f"/api/retell/{function}",
                                        function_body(function, args, call_id, from_number,
                                                      to_number), base, timeout)
        return status, parse_json(text) if status else text, time.monotonic() - began

    def ready(self, base=None):
        status, _ = request(base or self.url, "GET", "/ready", timeout=5)
        return status == 200

    # --- the Cal.com stand-in ----------------------------------------------------------------

    def fake_config(self, **behavior):
        status, text = request(self.fake_url, "POST", "/_fake/config", json.dumps(behavior),
                               {"Content-Type": "application/json"})
        assert status == 200, f"/_fake/config answered {status}: {text}"
        return json.loads(text)

    def fake_stats(self):
        status, text = request(self.fake_url, "GET", "/_fake/stats")
        assert status == 200, f"/_fake/stats answered {status}: {text}"
        return json.loads(text)

    def fake_bookings(self):
        """Every booking of the demo event types as the Cal.com API lists them."""
        status, text = request(self.fake_url, "GET", "/v2/bookings?take=250",
                               headers={"Authorization": f"Bearer {DEMO_CALCOM_KEY}",
                                        "cal-api-version": "2024-08-13"})
        assert status == 200, f"GET /v2/bookings answered {status}: {text}"
        return json.loads(text)["data"]

    # --- the database (directly on PostgreSQL, not through PgBouncer) ------------------------

    def sql(self, query, timeout=30):
        """Rows of `query` as lists of strings (psql unaligned, tab-separated)."""
        done = subprocess.run(
            ["psql", "-X", "-q", "-A", "-t", "-F", "\t", "-v", "ON_ERROR_STOP=1",
             "-d", self.env["CLUSTER_DIRECT_DATABASE_URL"], "-c", query],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=timeout,
            stdin=subprocess.DEVNULL)
        if done.returncode != 0:
            raise RuntimeError(f"psql failed: {done.stderr.strip()} (query: {query})")
        return [line.split("\t") for line in done.stdout.splitlines() if line != ""]

    def sql_value(self, query):
        rows = self.sql(query)
        return rows[0][0] if rows else None

    def redis(self, *args, timeout=10):
        """The answer of one redis-cli command on the cluster's Redis, stripped."""
        done = subprocess.run(["redis-cli", "-u", self.env["CLUSTER_REDIS_URL"], *args],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              timeout=timeout, stdin=subprocess.DEVNULL)
        if done.returncode != 0:
            raise RuntimeError(f"redis-cli failed: {done.stderr.strip()} (command: {args})")
        return done.stdout.strip()


def eventually(predicate, timeout, interval=0.5, what="condition"):
    """Polls predicate() until it is truthy; returns its value or raises AssertionError."""
    end = time.monotonic() + timeout
    last = None
    while True:
        last = predicate()
        if last:
            return last
        if time.monotonic() >= end:
            raise AssertionError(f"timed out after {timeout} s waiting for {what} (last: {last!r})")
        time.sleep(interval)


def check(condition, message):
    if not condition:
        raise AssertionError(message)


SKIP = 77  # CTest SKIP_RETURN_CODE


def missing_tools():
    """What scripts/cluster needs and this machine lacks (scripts/setup installs it)."""
    missing = [tool for tool in ("nginx", "pgbouncer", "redis-server", "redis-cli", "psql", "curl")
               if shutil.which(tool) is None and not os.path.exists(f"/usr/sbin/{tool}")]
    if not any(os.path.exists(os.path.join(d, "bin", "initdb"))
               for d in glob.glob("/usr/lib/postgresql/*")):
        missing.append("PostgreSQL server (initdb)")
    return missing


def main(test, callgate, name, deadline_s, env=None):
    """Runs test(cluster) inside a fresh cluster with a deadline; exit code 0 on success, 77
    (skipped) when the machine lacks a server program, unless CI is set."""
    missing = missing_tools()
    if missing:
        print(f"fault test needs {', '.join(missing)} (run scripts/setup)", flush=True)
        return 1 if os.environ.get("CI") else SKIP
    set_deadline(deadline_s)
    began = time.monotonic()
    try:
        with Cluster(callgate, name, env) as c:
            test(c)
    except BaseException as error:  # noqa: BLE001 - report everything, then fail
        signal.alarm(0)
        log(f"FAILED after {time.monotonic() - began:.1f} s: {type(error).__name__}: {error}")
        if not isinstance(error, (AssertionError, Deadline)):
            import traceback
            traceback.print_exc()
        return 1
    log(f"PASSED in {time.monotonic() - began:.1f} s")
    return 0
