#!/usr/bin/env python3
"""Every callgate_* metric that deploy/prometheus/callgate-rules.yml and
deploy/grafana/callgate.json use is exported by a running callgate (label deploy).

Starts the Cal.com stand-in and `callgate serve` on loopback (port 0, SQLite in a temporary
folder), plays a whole call with `callgate simulate-call` so the Retell routes, Cal.com and
bookings have been used, then scrapes /metrics with a platform admin token.
Usage: metrics_test.py <callgate binary> <source dir>
"""
import json
import os
import re
import secrets
import subprocess
import sys
import tempfile
import urllib.request

binary, source = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
NAME = re.compile(r"\bcallgate_[a-z0-9_]+")


def used_metrics():
    used = {}
    with open(os.path.join(source, "deploy/prometheus/callgate-rules.yml")) as f:
        for name in NAME.findall(f.read()):
            used.setdefault(name, "callgate-rules.yml")
    with open(os.path.join(source, "deploy/grafana/callgate.json")) as f:
        dashboard = json.load(f)
    for panel in dashboard["panels"]:
        for target in panel.get("targets", []):
            for name in NAME.findall(target["expr"]):
                used.setdefault(name, "callgate.json: " + panel["title"])
    return used


def start(args, env, line_prefix):
    """Starts a server process and returns (process, first stdout line with line_prefix)."""
    proc = subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            text=True)
    for line in proc.stdout:
        if line.startswith(line_prefix):
            return proc, line
    raise SystemExit("FAIL: %s exited before printing %r" % (args[1], line_prefix))


def main():
    used = used_metrics()
    if len(used) < 10:
        raise SystemExit("FAIL: found only %d metric names in the rules and dashboard" % len(used))
    procs = []
    with tempfile.TemporaryDirectory(prefix="callgate-metrics.") as tmp:
        try:
            env = {"PATH": "/usr/bin:/bin", "CALLGATE_LOG_FORMAT": "text",
                   "ASAN_OPTIONS": os.environ.get("ASAN_OPTIONS", "detect_leaks=0")}
            fake, line = start([binary, "fake-calcom", "--port", "0"], env, "fake Cal.com serving on ")
            procs.append(fake)
            calcom_url = line.split()[4]
            retell_key = secrets.token_hex(16)
            env.update({"CALLGATE_DATABASE_URL": "sqlite://%s/callgate.db" % tmp,
                        "CALLGATE_LISTEN": "127.0.0.1:0", "CALCOM_BASE_URL": calcom_url,
                        "RETELL_API_KEY": retell_key})

            def run(*args):
                out = subprocess.run([binary, *args], env=env, cwd=tmp, capture_output=True,
                                     text=True)
                if out.returncode != 0:
                    raise SystemExit("FAIL: callgate %s: %s%s" % (args[0], out.stdout, out.stderr))
                return out.stdout

            run("migrate")
            run("seed", "--demo")
            run("admin", "create-user", "--email", "prometheus@example.com", "--role",
                "platform_admin")
            token = run("admin", "create-token", "--email", "prometheus@example.com",
                        "--name", "prometheus").strip().splitlines()[-1]
            server, line = start([binary, "serve"], env, "callgate serving on ")
            procs.append(server)
            url = line.split()[3]
            run("simulate-call", "--url", url, "--key", retell_key)
            request = urllib.request.Request(url + "/metrics",
                                             headers={"Authorization": "Bearer " + token})
            with urllib.request.urlopen(request, timeout=30) as response:
                exposition = response.read().decode()
        finally:
            for proc in procs:
                proc.terminate()
                proc.wait(timeout=30)
    exported = {line.split("{")[0].split(" ")[0] for line in exposition.splitlines()
                if line and not line.startswith("#")}
    missing = sorted(name for name in used if name not in exported)
    for name in missing:
        print("FAIL: %s (used in %s) is not exported" % (name, used[name]))
    if missing:
        print("exported:", " ".join(sorted(exported)))
        return 1
    print("all %d metrics of the rules and the dashboard are exported" % len(used))
    return 0


if __name__ == "__main__":
    sys.exit(main())
