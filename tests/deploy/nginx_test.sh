#!/usr/bin/env bash
# deploy/nginx/callgate.conf (label deploy): `nginx -t` accepts the site with a self-signed
# certificate made now, inside a throwaway nginx.conf like Debian's.
# Usage: nginx_test.sh <source dir>. Exit 77 without nginx or openssl, or fail when CI is set.
set -euo pipefail
src=$(cd "$1" && pwd)
tmp=$(mktemp -d /tmp/callgate-nginx.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
nginx=$(command -v nginx || echo /usr/sbin/nginx)
for tool in "$nginx" openssl; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    [ -n "${CI:-}" ] && fail "$tool is required on CI (scripts/setup installs it)"
    echo "SKIP: $tool not installed"; exit 77
  fi
done

openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=callgate.example.com \
  -keyout "$tmp/privkey.pem" -out "$tmp/fullchain.pem" 2>/dev/null || fail "openssl req"
site="$tmp/callgate.conf"
sed "s|/etc/letsencrypt/live/callgate.example.com|$tmp|g" "$src/deploy/nginx/callgate.conf" > "$site"
grep -q "$tmp/fullchain.pem" "$site" || fail "the site file no longer names the certificate path"
mkdir -p "$tmp/logs" "$tmp/temp"
cat > "$tmp/nginx.conf" <<CONF
pid $tmp/nginx.pid;
error_log $tmp/logs/error.log;
events {}
http {
  access_log off;
  client_body_temp_path $tmp/temp/body;
  proxy_temp_path $tmp/temp/proxy;
  fastcgi_temp_path $tmp/temp/fastcgi;
  uwsgi_temp_path $tmp/temp/uwsgi;
  scgi_temp_path $tmp/temp/scgi;
  include $site;
}
CONF
"$nginx" -t -q -p "$tmp" -e "$tmp/logs/error.log" -c "$tmp/nginx.conf" 2> "$tmp/out" ||
  { cat "$tmp/out"; fail "nginx -t rejects deploy/nginx/callgate.conf"; }
# -q prints warnings only: none allowed.
[ ! -s "$tmp/out" ] || { cat "$tmp/out"; fail "nginx -t warns"; }
echo "nginx -t accepts deploy/nginx/callgate.conf"
