#!/usr/bin/env bash
# The Debian package (label package): packs the callgate binary of an existing build tree with
# CPack (no second build), then checks the .deb's name, fields and contents, the conffile, the
# maintainer scripts (run against stub commands that record what they would do), the systemd
# units (systemd-analyze verify + security score), lintian, and starts the unpacked binary
# against SQLite until /health answers.
# Usage: package_test.sh <build dir> <source dir>
# Exit 77 (skipped) when dpkg-deb or cpack is missing, or fails when CI is set. systemd-analyze
# and lintian are required when CI is set; without CI a missing one skips only its part.
set -euo pipefail
build=$(cd "$1" && pwd)
src=$(cd "$2" && pwd)
tmp=$(mktemp -d /tmp/callgate-package.XXXXXX)
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }
skip_or_fail() {  # tool missing: skip the whole test, or fail on CI
  if [ -n "${CI:-}" ]; then fail "$1 is required on CI (scripts/setup installs it)"; fi
  echo "SKIP: $1 not installed"; exit 77
}
need_part() {  # a part's tool missing: skip that part, or fail on CI
  if command -v "$1" >/dev/null 2>&1; then return 0; fi
  if [ -n "${CI:-}" ]; then fail "$1 is required on CI (scripts/setup installs it)"; fi
  echo "skipped: $1 not installed"; return 1
}
command -v dpkg-deb >/dev/null || skip_or_fail dpkg-deb
command -v dpkg-shlibdeps >/dev/null || skip_or_fail dpkg-shlibdeps
cpack=$(dirname "$(command -v cmake)")/cpack
[ -x "$cpack" ] || skip_or_fail cpack

version=$(sed -n 's/^set(CPACK_PACKAGE_VERSION "\(.*\)")$/\1/p' "$build/CPackConfig.cmake")
[ -n "$version" ] || fail "no CPACK_PACKAGE_VERSION in $build/CPackConfig.cmake"

echo "== cpack (from $build)"
"$cpack" --config "$build/CPackConfig.cmake" -G DEB -B "$tmp/out" > "$tmp/cpack.log" 2>&1 ||
  { cat "$tmp/cpack.log"; fail "cpack failed"; }
deb="$tmp/out/callgate_${version}_amd64.deb"
[ -f "$deb" ] || { ls "$tmp/out"; fail "expected $(basename "$deb")"; }

echo "== control fields"
field() { dpkg-deb -f "$deb" "$1"; }
[ "$(field Package)" = callgate ] || fail "Package: $(field Package)"
[ "$(field Version)" = "$version" ] || fail "Version: $(field Version)"
[ "$(field Architecture)" = amd64 ] || fail "Architecture: $(field Architecture)"
depends=$(field Depends)
echo "Depends: $depends"
for dep in adduser libc6 libsqlite3-0 libpq5 libcurl4 libssl3; do
  grep -Eq "(^|, )$dep( |,|$)" <<<"$depends" || fail "Depends lacks $dep (shlibdeps): $depends"
done

echo "== contents"
dpkg-deb -c "$deb" > "$tmp/contents"
expect_entry() {  # expect_entry <mode> <path>
  grep -Eq "^$1 root/root +[0-9]+ [0-9-]+ [0-9:]+ \./$2$" "$tmp/contents" ||
    { cat "$tmp/contents"; fail "no $2 with mode $1 root/root"; }
}
expect_entry -rwxr-xr-x usr/bin/callgate
expect_entry -rw-r--r-- lib/systemd/system/callgate.service
expect_entry -rw-r--r-- lib/systemd/system/callgate-worker.service
expect_entry -rw-r----- etc/callgate/callgate.env
expect_entry -rw-r--r-- usr/share/doc/callgate/copyright
expect_entry -rw-r--r-- usr/share/doc/callgate/changelog.gz
expect_entry -rw-r--r-- usr/share/man/man1/callgate.1.gz
expect_entry -rw-r--r-- usr/share/lintian/overrides/callgate
if grep -Eq '\./(var/lib/callgate|usr/lib/systemd)' "$tmp/contents"; then
  fail "unexpected path in the package (data folder is made by postinst, units go to /lib)"
fi

echo "== conffiles and maintainer scripts"
mkdir "$tmp/control"
dpkg-deb -e "$deb" "$tmp/control"
[ "$(cat "$tmp/control/conffiles")" = /etc/callgate/callgate.env ] ||
  fail "conffiles: $(cat "$tmp/control/conffiles")"
for script in postinst prerm postrm; do
  [ -x "$tmp/control/$script" ] || fail "$script missing or not executable"
  sh -n "$tmp/control/$script" || fail "$script: syntax error"
done
# Run the scripts with stubs first on PATH: each stub records its arguments; getent finds no user.
mkdir "$tmp/stubs"
for cmd in adduser getent chown chmod mkdir rm rmdir deb-systemd-helper deb-systemd-invoke systemctl \
  dpkg-statoverride; do
  printf '#!/bin/sh\necho "%s $*" >> "%s/calls"\n' "$cmd" "$tmp" > "$tmp/stubs/$cmd"
  # No such user yet, no local permission overrides.
  case "$cmd" in getent | dpkg-statoverride) printf 'exit 1\n' >> "$tmp/stubs/$cmd" ;; esac
  chmod +x "$tmp/stubs/$cmd"
done
run_script() { : > "$tmp/calls"; PATH="$tmp/stubs:$PATH" sh -e "$tmp/control/$1" "${@:2}"; }
expect_call() { grep -Fxq "$1" "$tmp/calls" || { cat "$tmp/calls"; fail "$2: expected '$1'"; }; }
run_script postinst configure
expect_call "adduser --quiet --system --group --home /var/lib/callgate --no-create-home --shell /usr/sbin/nologin --gecos callgate service callgate" "postinst"
expect_call "chown callgate:callgate /var/lib/callgate" "postinst"
expect_call "chmod 0700 /var/lib/callgate" "postinst"
expect_call "deb-systemd-helper enable callgate.service" "postinst"
grep -q "deb-systemd-helper enable callgate-worker.service" "$tmp/calls" &&
  fail "postinst must not enable callgate-worker.service"
run_script postrm purge
expect_call "rm -rf /var/lib/callgate" "postrm purge"
expect_call "deb-systemd-helper purge callgate.service callgate-worker.service" "postrm purge"
run_script postrm remove
grep -q "^rm " "$tmp/calls" && fail "postrm remove must keep the data"
run_script prerm remove

echo "== configuration"
mkdir "$tmp/root"
dpkg-deb -x "$deb" "$tmp/root"
env_file="$tmp/root/etc/callgate/callgate.env"
grep -qx "CALLGATE_DATABASE_URL=sqlite:///var/lib/callgate/callgate.db" "$env_file" ||
  fail "callgate.env: the database is not in /var/lib/callgate"
for var in $(grep -o '^[A-Z_]*=' "$src/.env.example" | tr -d =); do
  grep -Eq "^$var=" "$env_file" || fail "callgate.env lacks $var of .env.example"
done
# Commented like .env.example: every comment line of it is there too.
while IFS= read -r line; do
  grep -Fxq -- "$line" "$env_file" || fail "callgate.env lacks the comment: $line"
done < <(grep '^#' "$src/.env.example" | tail -n +2)

echo "== systemd units"
if need_part systemd-analyze; then
  # The unpacked tree as --root: the units find /usr/bin/callgate there; the standard targets
  # come from the host.
  cp -an /lib/systemd/system/. "$tmp/root/lib/systemd/system/"
  for unit in callgate.service callgate-worker.service; do
    file="$tmp/root/lib/systemd/system/$unit"
    out=$(systemd-analyze --root="$tmp/root" --man=no verify "$file" 2>&1) ||
      fail "systemd-analyze verify $unit: $out"
    [ -z "$out" ] || fail "systemd-analyze verify $unit warns: $out"
    for setting in "User=callgate" "ExecStartPre=/usr/bin/callgate migrate" \
      "Restart=on-failure" "NoNewPrivileges=yes" "ProtectSystem=strict" "ProtectHome=yes" \
      "PrivateTmp=yes" "ReadWritePaths=/var/lib/callgate" "CapabilityBoundingSet=" \
      "EnvironmentFile=/etc/callgate/callgate.env"; do
      grep -qx "$setting" "$file" || fail "$unit lacks $setting"
    done
    grep -Eq "^MemoryMax=[0-9]+[KMG]$" "$file" || fail "$unit has no MemoryMax"
    grep -Eq "^TasksMax=[0-9]+$" "$file" || fail "$unit has no TasksMax"
    # Exposure score 0-100 (shown as 0.0-10.0): hardened units stay at or below 2.0.
    systemd-analyze security --offline=true --root="$tmp/root" --man=no --threshold=20 \
      "$unit" > "$tmp/security.log" 2>&1 ||
      { tail -3 "$tmp/security.log"; fail "$unit: systemd-analyze security exposure above 2.0"; }
    tail -1 "$tmp/security.log"
  done
  grep -qx "ExecStart=/usr/bin/callgate serve" "$tmp/root/lib/systemd/system/callgate.service" ||
    fail "callgate.service does not run serve"
  grep -qx "ExecStart=/usr/bin/callgate worker" \
    "$tmp/root/lib/systemd/system/callgate-worker.service" || fail "callgate-worker.service does not run worker"
fi

echo "== lintian"
if need_part lintian; then
  # A test build tree may be a sanitizer build: its binary links libasan, which lintian does not
  # mind; hardening tags depend on the build type, so only errors and warnings count.
  lintian --fail-on error,warning --tag-display-limit 0 "$deb" > "$tmp/lintian.log" 2>&1 ||
    { cat "$tmp/lintian.log"; fail "lintian"; }
  cat "$tmp/lintian.log"
fi

echo "== the unpacked binary against SQLite"
(
  set -a
  # shellcheck disable=SC1090
  source "$env_file"
  set +a
  export CALLGATE_DATABASE_URL="sqlite://$tmp/callgate.db" CALLGATE_LISTEN=127.0.0.1:0 \
    CALLGATE_LOG_FORMAT=text
  cd "$tmp"
  "$tmp/root/usr/bin/callgate" migrate > "$tmp/migrate.log" 2>&1 ||
    { cat "$tmp/migrate.log"; exit 1; }
  exec "$tmp/root/usr/bin/callgate" serve > "$tmp/serve.log" 2>&1
) &
server_pid=$!
port=""
for _ in $(seq 1 600); do
  port=$(sed -n 's|^callgate serving on http://127.0.0.1:\([0-9]*\).*|\1|p' "$tmp/serve.log" 2>/dev/null || true)
  [ -n "$port" ] && break
  kill -0 "$server_pid" 2>/dev/null || { cat "$tmp"/*.log; fail "callgate exited"; }
  sleep 0.1
done
[ -n "$port" ] || { cat "$tmp/serve.log"; fail "callgate did not start serving"; }
body=$(curl -fsS "http://127.0.0.1:$port/health") || fail "/health did not answer 2xx"
echo "/health: $body"
echo "package test passed: $(basename "$deb")"
