#!/usr/bin/env bash
# deploy/prometheus/callgate-rules.yml (label deploy): `promtool check rules` and the rule unit
# tests of callgate-rules.test.yml (`promtool test rules`).
# Usage: prometheus_test.sh <source dir>. Exit 77 without promtool (Debian package prometheus),
# or fail when CI is set.
set -euo pipefail
cd "$1/deploy/prometheus"
if ! command -v promtool >/dev/null 2>&1; then
  if [ -n "${CI:-}" ]; then echo "FAIL: promtool is required on CI (scripts/setup installs prometheus)"; exit 1; fi
  echo "SKIP: promtool not installed (Debian package prometheus)"; exit 77
fi
promtool check rules callgate-rules.yml
promtool test rules callgate-rules.test.yml
