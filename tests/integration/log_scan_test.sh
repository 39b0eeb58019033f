#!/usr/bin/env bash
# No caller data in the log output of the integration suite (docs/privacy.md): runs the SQLite
# half of the given GoogleTest binaries (the integration and admin API suites) and searches
# everything they printed — the servers' logs included — for the test callers' phone numbers in
# every written form, their e-mail addresses and transcript sentences. Masks such as
# +49151****678 are fine.
#   usage: log_scan_test.sh <test binary>...
set -u
out=$(mktemp)
trap 'rm -f "$out"' EXIT
for binary in "$@"; do
  if ! "$binary" --gtest_filter='*sqlite*' >>"$out" 2>&1; then
    tail -n 60 "$out"
    # The assertions that failed, which the tail above rarely reaches.
    grep -A 12 -e ': Failure$' -e '^\[  FAILED  \]' "$out" | grep -v '"level":' | head -n 120
    echo "FAIL: $binary failed; its log output was not scanned"
    exit 1
  fi
done
if ! grep -q '"event":"http_request"' "$out"; then
  echo "FAIL: no log output was captured"
  exit 1
fi
status=0
while IFS= read -r needle; do
  [ -n "$needle" ] || continue
  if grep -F -q -- "$needle" "$out"; then
    echo "FAIL: the log output contains \"$needle\":"
    grep -F -- "$needle" "$out" | head -n 5
    status=1
  fi
done <<'NEEDLES'
+4915112345678
4915112345678
015112345678
0151 12345678
+49 151 12345678
+4915133334444
015133334444
+4915199990000
+4917612345678
017612345678
otto@example.org
paula@example.org
lieselotte.privat@example.org
Jürgen Weiß hier
Allergie gegen Penicillin
NEEDLES
lines=$(wc -l <"$out")
[ "$status" -eq 0 ] && echo "ok: $lines lines of test output hold no caller number, e-mail or transcript"
exit "$status"
