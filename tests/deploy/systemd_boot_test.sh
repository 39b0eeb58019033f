#!/usr/bin/env bash
# The Debian package on a booted Debian 12 (label package): packs the callgate binary of an
# existing build tree with CPack (as package_test.sh does), then on a minimal Debian 12 root file
# system (debootstrap, cached) booted with systemd as PID 1 in a container (systemd-nspawn -b, its
# own network namespace: only its loopback):
#   dpkg -i        postinst makes the user, /var/lib/callgate and the conffile's owner, enables and
#                  starts callgate.service, which migrates SQLite and answers /health;
#   hardening      callgate.service and callgate-worker.service run as callgate with no
#                  capabilities, NoNewPrivs, a seccomp filter, their limits; in the service's own
#                  mount namespace only /var/lib/callgate is writable, /root and other processes
#                  are hidden, /tmp is private; a killed service is restarted;
#   doctor         passes out of the box, then with a production configuration as docs/deploy.md
#                  sets it up (master key, tenant seeded against the Cal.com stand-in);
#   upgrade        a higher version over it: services restarted, edited conffile and data kept;
#   dpkg -r/purge  remove stops the services and keeps configuration and data; purge deletes them.
# Usage: systemd_boot_test.sh <build dir>
# Needs root, debootstrap, systemd-nspawn (systemd-container) and, the first time, Debian's
# mirror (CALLGATE_DEBIAN_MIRROR). The root file system is kept in CALLGATE_TEST_CACHE
# (/var/cache/callgate-test), one per set of packages (a release and a sanitizer build differ),
# for a week after its last use. Exit 77 (skipped) when something is missing, or fails when CI
# is set.
set -euo pipefail
build=$(cd "$1" && pwd)
cache=${CALLGATE_TEST_CACHE:-/var/cache/callgate-test}
mirror=${CALLGATE_DEBIAN_MIRROR:-http://deb.debian.org/debian}
security_mirror=${CALLGATE_DEBIAN_SECURITY_MIRROR:-$mirror-security}
start_time=$SECONDS

fail() { echo "FAIL: $*" >&2; exit 1; }
skip_or_fail() {
  if [ -n "${CI:-}" ]; then fail "$1 (required on CI; scripts/setup installs the tools)"; fi
  echo "SKIP: $1"; exit 77
}
step() { echo "== $* ($((SECONDS - start_time)) s)"; }

[ "$(id -u)" = 0 ] || skip_or_fail "needs root (debootstrap, systemd-nspawn)"
for tool in debootstrap systemd-nspawn nsenter setpriv flock dpkg-deb dpkg-shlibdeps; do
  command -v "$tool" >/dev/null 2>&1 || skip_or_fail "$tool not installed"
done
cpack=$(dirname "$(command -v cmake)")/cpack
[ -x "$cpack" ] || skip_or_fail "cpack not installed"

mkdir -p "$cache"
tmp=$(mktemp -d /tmp/callgate-boot.XXXXXX)
machine=""
nspawn_pid=""
leader=""
stop_machine() {
  if [ -n "$nspawn_pid" ] && kill -0 "$nspawn_pid" 2>/dev/null; then
    kill -TERM "$nspawn_pid" 2>/dev/null || true  # systemd-nspawn shuts the container down
    for _ in $(seq 1 150); do kill -0 "$nspawn_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$nspawn_pid" 2>/dev/null || true
    wait "$nspawn_pid" 2>/dev/null || true
  fi
  # The container's PID 1: killing it ends every process of the container.
  if [ -n "$leader" ] && kill -0 "$leader" 2>/dev/null; then kill -KILL "$leader" 2>/dev/null || true; fi
  nspawn_pid=""
  leader=""
}
cleanup() {
  stop_machine
  if [ -n "$machine" ]; then rm -rf "$machine"; fi
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

version=$(sed -n 's/^set(CPACK_PACKAGE_VERSION "\(.*\)")$/\1/p' "$build/CPackConfig.cmake")
[ -n "$version" ] || fail "no CPACK_PACKAGE_VERSION in $build/CPackConfig.cmake"
step "cpack (from $build)"
timeout 300 "$cpack" --config "$build/CPackConfig.cmake" -G DEB -B "$tmp/out" > "$tmp/cpack.log" 2>&1 ||
  { cat "$tmp/cpack.log"; fail "cpack failed"; }
deb="$tmp/out/callgate_${version}_amd64.deb"
[ -f "$deb" ] || { ls "$tmp/out"; fail "expected $(basename "$deb")"; }
# A higher version of the same package, for the upgrade.
mkdir "$tmp/next"
dpkg-deb -R "$deb" "$tmp/next/tree"
sed -i "s/^Version: .*/Version: ${version}+next1/" "$tmp/next/tree/DEBIAN/control"
next_deb="$tmp/next/callgate_${version}+next1_amd64.deb"
dpkg-deb -b "$tmp/next/tree" "$next_deb" > /dev/null

# The root file system: Debian 12 minbase, systemd as init, and the package's dependencies
# (so `dpkg -i` finds them, as after `apt install`), built once per package set.
depends=$(dpkg-deb -f "$deb" Depends | tr ',' '\n' | sed 's/|.*//; s/(.*)//; s/[[:space:]]//g' |
  grep -v '^$' | sort -u | tr '\n' ' ')
base_packages="systemd systemd-sysv dbus curl sudo"
key=$(printf 'bookworm minbase %s %s; %s; rootfs-v1' "$mirror" "$base_packages" "$depends" |
  sha256sum | cut -c1-16)
rootfs="$cache/rootfs-$key"
exec 9> "$cache/lock"
flock -w 900 9 || fail "could not lock $cache/lock"
# Leftovers of runs that were killed.
find "$cache" -maxdepth 1 -name 'machine.*' -mmin +60 -exec rm -rf {} + 2>/dev/null || true
if [ ! -f "$rootfs/.complete" ]; then
  step "debootstrap bookworm into $rootfs (once; then apt-get install $depends)"
  rm -rf "$rootfs" "$rootfs.new"
  if ! timeout 600 debootstrap --variant=minbase --include="${base_packages// /,}" bookworm \
    "$rootfs.new" "$mirror" > "$tmp/debootstrap.log" 2>&1; then
    tail -20 "$tmp/debootstrap.log"
    rm -rf "$rootfs.new"
    skip_or_fail "debootstrap from $mirror failed"
  fi
  # The package's dependencies as `apt install ./callgate.deb` would bring them (apt resolves the
  # virtual ones, such as libspdlog1.10-fmt9), with the point and security updates.
  printf 'deb %s bookworm main\ndeb %s bookworm-updates main\ndeb %s bookworm-security main\n' \
    "$mirror" "$mirror" "$security_mirror" > "$rootfs.new/etc/apt/sources.list"
  # shellcheck disable=SC2086
  if ! timeout 600 systemd-nspawn --quiet -D "$rootfs.new" --register=no --keep-unit \
    env DEBIAN_FRONTEND=noninteractive sh -c \
    "apt-get update -qq && apt-get install -y -qq --no-install-recommends $depends && apt-get clean" \
    > "$tmp/apt.log" 2>&1; then
    tail -20 "$tmp/apt.log"
    rm -rf "$rootfs.new"
    skip_or_fail "apt-get install in the root file system failed"
  fi
  mv "$rootfs.new" "$rootfs"
fi
touch "$rootfs/.complete"  # last used
# Root file systems of package sets unused for a week (older builds) go.
find "$cache" -mindepth 2 -maxdepth 2 -path "$cache/rootfs-*/.complete" -mtime +7 -printf '%h\0' |
  xargs -0 -r rm -rf
machine=$(mktemp -d "$cache/machine.XXXXXX")
step "copy the root file system"
cp -a --reflink=auto "$rootfs/." "$machine/"
flock -u 9
cp "$deb" "$next_deb" "$machine/root/"
name="callgate-test-$$"
echo "$name" > "$machine/etc/hostname"  # debootstrap copied the host's
printf '127.0.0.1 localhost\n127.0.1.1 %s\n::1 localhost ip6-localhost ip6-loopback\n' "$name" \
  > "$machine/etc/hosts"
# A sanitizer build (make test packs the dev tree: ASan/UBSan) would hang at every exit under the
# units' system call filter: LeakSanitizer's ptrace is not in @system-service. Such a package is
# tested with leak detection off, by a drop-in as an operator would write; a release build as is.
if dpkg-deb -f "$deb" Depends | grep -q libasan; then
  echo "sanitizer build: drop-ins set ASAN_OPTIONS=detect_leaks=0 for both units"
  for unit in callgate.service callgate-worker.service; do
    mkdir -p "$machine/etc/systemd/system/$unit.d"
    printf '[Service]\nEnvironment=ASAN_OPTIONS=detect_leaks=0\n' \
      > "$machine/etc/systemd/system/$unit.d/sanitizer.conf"
  done
fi
echo "not for services" > "$machine/root/marker"

step "boot (systemd-nspawn -b, private network)"
systemd-nspawn --quiet -D "$machine" -M "$name" --register=no --keep-unit --private-network \
  -b --console=passive > "$tmp/nspawn.log" 2>&1 &
nspawn_pid=$!
for _ in $(seq 1 100); do
  leader=$(pgrep -x -P "$nspawn_pid" systemd 2>/dev/null | head -1 || true)
  [ -n "$leader" ] && break
  kill -0 "$nspawn_pid" 2>/dev/null || { cat "$tmp/nspawn.log"; skip_or_fail "systemd-nspawn exited"; }
  sleep 0.1
done
[ -n "$leader" ] || { cat "$tmp/nspawn.log"; fail "no container process"; }
# The container outlives a SIGKILLed systemd-nspawn (a ctest timeout): a watchdog in its own
# session ends the container's PID 1 and removes its files as soon as this script is gone.
# shellcheck disable=SC2016
setsid bash -c 'while kill -0 "$1" 2>/dev/null; do sleep 1; done
  if [ "$(cat "/proc/$2/comm" 2>/dev/null)" = systemd ]; then kill -KILL "$2"; sleep 1; fi
  rm -rf "$3" "$4"' watchdog "$$" "$leader" "$machine" "$tmp" < /dev/null > /dev/null 2>&1 &
# Runs a command inside the booted machine (every namespace of its PID 1), with a clean
# environment.
in_machine() {
  nsenter -t "$leader" -a env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    LANG=C.UTF-8 HOME=/root "$@"
}
# Until the boot is over (no --wait: it needs D-Bus, which starts late).
deadline=$((SECONDS + 90))
while :; do
  state=$(in_machine systemctl is-system-running 2>&1 || true)
  case "$state" in running | degraded | maintenance | stopping) break ;; esac
  [ "$SECONDS" -lt "$deadline" ] || break
  sleep 0.2
done
if [ "$state" != running ]; then
  cat "$tmp/nspawn.log"
  in_machine systemctl --failed --no-pager 2>&1 || true
  [ "$state" = degraded ] || skip_or_fail "systemd in the container did not boot: '$state'"
  fail "the container booted degraded"
fi
echo "systemd: $(in_machine systemctl --version | head -1), state $state, PID 1 $(in_machine cat /proc/1/comm)"

# Polls a command inside the machine until it succeeds: wait_for <seconds> <what> <command...>
wait_for() {
  local deadline=$((SECONDS + $1)) what=$2
  shift 2
  until in_machine "$@" > /dev/null 2>&1; do
    [ "$SECONDS" -lt "$deadline" ] || { echo "timed out waiting for $what" >&2; return 1; }
    sleep 0.2
  done
}
journal() { in_machine journalctl --no-pager -n 40 -u "$1" 2>&1 || true; }
health() { in_machine curl -fsS --max-time 5 http://127.0.0.1:8080/health; }
wait_healthy() {
  wait_for 60 /health curl -fsS --max-time 5 http://127.0.0.1:8080/health ||
    { journal callgate.service; fail "/health does not answer ($1)"; }
}
main_pid() { in_machine systemctl show -p MainPID --value "$1"; }
expect_active() {
  wait_for 60 "$1 active" systemctl is-active --quiet "$1" ||
    { in_machine systemctl status --no-pager "$1" || true; journal "$1"; fail "$1 is not active ($2)"; }
}

step "dpkg -i $(basename "$deb")"
timeout 180 nsenter -t "$leader" -a env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive \
  dpkg -i "/root/$(basename "$deb")" > "$tmp/dpkg.log" 2>&1 || { cat "$tmp/dpkg.log"; fail "dpkg -i failed"; }
cat "$tmp/dpkg.log"
[ "$(in_machine systemctl is-enabled callgate.service)" = enabled ] || fail "callgate.service not enabled"
[ "$(in_machine systemctl is-enabled callgate-worker.service || true)" = disabled ] ||
  fail "callgate-worker.service should be installed, not enabled"
expect_active callgate.service "started by the postinst"
wait_healthy "after dpkg -i"
echo "/health: $(health)"

step "user, folders, conffile"
passwd=$(in_machine getent passwd callgate) || fail "no user callgate"
echo "passwd: $passwd"
IFS=: read -r _ _ uid gid _ home shell <<<"$passwd"
[ "$uid" -lt 1000 ] || fail "callgate is not a system user (uid $uid)"
if [ "$home" != /var/lib/callgate ] || [ "$shell" != /usr/sbin/nologin ]; then
  fail "home or shell: $passwd"
fi
expect_stat() {  # expect_stat <path> <owner:group mode>
  local got
  got=$(in_machine stat -c '%U:%G %a' "$1") || fail "$1 missing"
  [ "$got" = "$2" ] || fail "$1 is $got, expected $2"
}
expect_stat /var/lib/callgate "callgate:callgate 700"
expect_stat /etc/callgate/callgate.env "root:callgate 640"
expect_stat /var/lib/callgate/callgate.db "callgate:callgate 600"  # made by ExecStartPre migrate

step "callgate-worker.service"
in_machine systemctl start callgate-worker.service
expect_active callgate-worker.service "systemctl start"

step "hardening in effect"
in_machine sh -c 'echo "not for services" > /tmp/marker'
for unit in callgate.service callgate-worker.service; do
  pid=$(main_pid "$unit")
  [ "$pid" -gt 0 ] || fail "$unit has no main process"
  status=$(in_machine cat "/proc/$pid/status")
  # A field of the status, its values separated by single spaces.
  field() { awk -v f="$1:" '$1 == f { $1 = ""; sub(/^ /, ""); print }' <<<"$status"; }
  [ "$(field Uid)" = "$uid $uid $uid $uid" ] || fail "$unit runs as Uid $(field Uid), not callgate ($uid)"
  [ "$(field Gid)" = "$gid $gid $gid $gid" ] || fail "$unit runs as Gid $(field Gid)"
  [ "$(field NoNewPrivs)" = 1 ] || fail "$unit: NoNewPrivs $(field NoNewPrivs)"
  for cap in CapInh CapPrm CapEff CapBnd CapAmb; do
    [ "$(field "$cap")" = 0000000000000000 ] || fail "$unit: $cap $(field "$cap")"
  done
  [ "$(field Seccomp)" = 2 ] || fail "$unit: no seccomp filter (Seccomp $(field Seccomp))"
  in_machine grep -q "/system.slice/$unit" "/proc/$pid/cgroup" || fail "$unit: not in its cgroup"
  # The limits as systemd holds them for the unit. Their enforcement is the kernel's: on a host
  # with cgroup v1 controllers (this sandbox) nspawn does not delegate them to the container.
  [ "$(in_machine systemctl show -p MemoryMax --value "$unit")" = 1073741824 ] || fail "$unit: MemoryMax"
  [ "$(in_machine systemctl show -p TasksMax --value "$unit")" = 256 ] || fail "$unit: TasksMax"
  # The service's view of the file system: its mount namespace, as its user.
  as_service() {
    in_machine nsenter -t "$pid" -m setpriv --reuid="$uid" --regid="$gid" --clear-groups \
      --inh-caps=-all --bounding-set=-all "$@"
  }
  as_service sh -c 'touch /var/lib/callgate/.probe && rm /var/lib/callgate/.probe' ||
    fail "$unit cannot write /var/lib/callgate"
  for dir in /etc/callgate /usr/bin /var/log /var/cache /srv /opt; do
    if out=$(as_service touch "$dir/.probe" 2>&1); then fail "$unit can write $dir"; fi
    grep -q "Read-only file system" <<<"$out" || fail "$unit writing $dir: $out (expected read-only)"
  done
  if as_service test -e /root/marker; then fail "$unit sees /root (ProtectHome)"; fi
  if in_machine nsenter -t "$pid" -m test -e /root/marker; then fail "$unit: /root not empty"; fi
  if in_machine nsenter -t "$pid" -m test -e /tmp/marker; then fail "$unit shares /tmp"; fi
  in_machine test -e /tmp/marker || fail "marker missing in the machine's /tmp"
  if as_service test -e /proc/1/status; then fail "$unit sees other processes (ProtectProc)"; fi
  as_service test -r /etc/callgate/callgate.env || fail "$unit cannot read its configuration"
  echo "$unit: pid $pid, uid $uid, NoNewPrivs 1, no capabilities, seccomp, read-only outside /var/lib/callgate"
done

step "Restart=on-failure"
old_pid=$(main_pid callgate.service)
in_machine systemctl kill --signal=KILL callgate.service
wait_for 30 restart sh -c "pid=\$(systemctl show -p MainPID --value callgate.service); [ \"\$pid\" != $old_pid ] && [ \"\$pid\" != 0 ]" ||
  { journal callgate.service; fail "callgate.service was not restarted after SIGKILL"; }
expect_active callgate.service "after SIGKILL"
wait_healthy "after the restart"
echo "restarted: pid $old_pid -> $(main_pid callgate.service)"

# docs/deploy.md's helper: a callgate command as the service user with the service's configuration.
cg() {
  in_machine sudo -u callgate sh -c 'set -a; . /etc/callgate/callgate.env; set +a; cd /var/lib/callgate; exec callgate "$@"' callgate "$@"
}

step "callgate doctor, out of the box"
cg doctor > "$tmp/doctor.txt" 2>&1 || { cat "$tmp/doctor.txt"; fail "doctor fails on the installed defaults"; }
cat "$tmp/doctor.txt"

step "production configuration (docs/deploy.md), tenant against the Cal.com stand-in"
in_machine systemd-run --quiet --unit=fake-calcom -p DynamicUser=yes \
  /usr/bin/callgate fake-calcom --address 127.0.0.1 --port 8090
wait_for 30 "Cal.com stand-in" curl -sS --max-time 2 -o /dev/null http://127.0.0.1:8090/ ||
  { journal fake-calcom.service; fail "the Cal.com stand-in did not start"; }
in_machine sudo -u callgate sh -c 'umask 077; head -c 32 /dev/urandom | base64 > /var/lib/callgate/master.key'
in_machine sed -i \
  -e 's|^APP_ENV=.*|APP_ENV=production|' \
  -e 's|^TRUSTED_PROXIES=.*|TRUSTED_PROXIES=127.0.0.1/32|' \
  -e 's|^CALLGATE_MAX_CONNECTIONS_PER_IP=.*|CALLGATE_MAX_CONNECTIONS_PER_IP=0|' \
  -e 's|^RETELL_API_KEY=.*|RETELL_API_KEY=key_boot_test|' \
  -e 's|^CALCOM_WEBHOOK_SECRET=.*|CALCOM_WEBHOOK_SECRET=whsec_boot_test|' \
  -e 's|^CALCOM_BASE_URL=.*|CALCOM_BASE_URL=http://127.0.0.1:8090/v2|' \
  -e 's|^CALLGATE_MASTER_KEY_FILE=.*|CALLGATE_MASTER_KEY_FILE=/var/lib/callgate/master.key|' \
  /etc/callgate/callgate.env
expect_stat /etc/callgate/callgate.env "root:callgate 640"  # sed -i keeps owner and mode
in_machine sh -c 'umask 022; cat > /tmp/tenants.json' <<'EOF'
{"companies":[
  {"name":"Praxis Boot","slug":"boot","calcom_api_key":"cal_boot_key",
   "branches":[{"name":"Mitte","phone_numbers":["+49 30 1111111"]}],
   "services":[{"name":"Erstberatung","duration_minutes":30,"calcom_event_type_id":1001}]}]}
EOF
cg seed --file /tmp/tenants.json > "$tmp/seed.log" 2>&1 || { cat "$tmp/seed.log"; fail "seed"; }
cat "$tmp/seed.log"
in_machine systemctl restart callgate.service callgate-worker.service
expect_active callgate.service "production configuration"
expect_active callgate-worker.service "production configuration"
wait_healthy "production configuration"
doctor_passes() {
  cg doctor > "$tmp/doctor.txt" 2>&1 || { cat "$tmp/doctor.txt"; fail "doctor fails ($1)"; }
  cat "$tmp/doctor.txt"
  for check in environment database migrations master_key proxy "retell_key\[boot\]" \
    "calcom_key\[boot\]" "event_types\[boot\]" "phone_numbers\[boot\]"; do
    grep -Eq "^ok +$check " "$tmp/doctor.txt" || fail "doctor: $check is not ok ($1)"
  done
  if grep -q "^WARN" "$tmp/doctor.txt"; then fail "doctor warns ($1)"; fi
}
doctor_passes "production configuration"
in_machine systemctl is-active --quiet callgate.service || fail "callgate.service stopped"

step "upgrade to ${version}+next1"
serve_pid=$(main_pid callgate.service)
worker_pid=$(main_pid callgate-worker.service)
timeout 180 nsenter -t "$leader" -a env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive \
  dpkg -i --force-confold "/root/$(basename "$next_deb")" > "$tmp/dpkg.log" 2>&1 ||
  { cat "$tmp/dpkg.log"; fail "dpkg -i (upgrade) failed"; }
# shellcheck disable=SC2016
[ "$(in_machine dpkg-query -W -f='${Version}' callgate)" = "${version}+next1" ] || fail "not upgraded"
expect_active callgate.service "after the upgrade"
expect_active callgate-worker.service "after the upgrade"
[ "$(main_pid callgate.service)" != "$serve_pid" ] || fail "the upgrade did not restart callgate.service"
[ "$(main_pid callgate-worker.service)" != "$worker_pid" ] ||
  fail "the upgrade did not restart callgate-worker.service"
in_machine grep -qx APP_ENV=production /etc/callgate/callgate.env || fail "the upgrade replaced the edited conffile"
in_machine test ! -e /etc/callgate/callgate.env.dpkg-dist || fail "unexpected callgate.env.dpkg-dist"
wait_healthy "after the upgrade"
doctor_passes "after the upgrade"

step "dpkg -r (remove)"
timeout 120 nsenter -t "$leader" -a env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin dpkg -r callgate \
  > "$tmp/dpkg.log" 2>&1 || { cat "$tmp/dpkg.log"; fail "dpkg -r failed"; }
for unit in callgate.service callgate-worker.service; do
  if in_machine systemctl is-active --quiet "$unit"; then fail "$unit still runs after dpkg -r"; fi
done
if health > /dev/null 2>&1; then fail "/health still answers after dpkg -r"; fi
in_machine test ! -e /usr/bin/callgate || fail "/usr/bin/callgate left after dpkg -r"
in_machine grep -qx APP_ENV=production /etc/callgate/callgate.env || fail "dpkg -r removed the conffile"
for file in callgate.db master.key; do
  in_machine test -f "/var/lib/callgate/$file" || fail "dpkg -r removed /var/lib/callgate/$file"
done

step "dpkg --purge"
timeout 120 nsenter -t "$leader" -a env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin dpkg --purge callgate \
  > "$tmp/dpkg.log" 2>&1 || { cat "$tmp/dpkg.log"; fail "dpkg --purge failed"; }
in_machine test ! -e /etc/callgate || fail "/etc/callgate left after purge"
in_machine test ! -e /var/lib/callgate || fail "/var/lib/callgate left after purge"
in_machine getent passwd callgate > /dev/null || fail "purge removed the user (it should stay)"
# shellcheck disable=SC2016
[ -z "$(in_machine dpkg-query -W -f='${Status}' callgate 2>/dev/null || true)" ] ||
  fail "callgate still known to dpkg after purge"

step "shut down"
stop_machine
echo "boot test passed: $(basename "$deb") on systemd in $((SECONDS - start_time)) s"
