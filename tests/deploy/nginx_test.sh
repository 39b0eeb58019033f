#!/usr/bin/env bash
# deploy/nginx/callgate.conf (label deploy): `nginx -t` accepts the site with a self-signed
# certificate made now, inside a throwaway nginx.conf like Debian's. Then, with the ports moved to
# free loopback ones, nginx serves it in front of a running callgate: HTTPS reaches /health with
# HSTS and the request id nginx made, plain HTTP redirects to HTTPS.
# Usage: nginx_test.sh <source dir> [callgate binary]. Exit 77 without nginx or openssl, or fail
# when CI is set.
set -euo pipefail
src=$(cd "$1" && pwd)
binary=${2:-}
tmp=$(mktemp -d /tmp/callgate-nginx.XXXXXX)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT
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
  log_format request_id '\$request_id';
  access_log $tmp/logs/access.log request_id;
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
[ -n "$binary" ] || exit 0

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_for() {  # wait_for <file> <sed pattern>: prints the first match once the file has it
  for _ in $(seq 1 600); do
    out=$(sed -n "$2" "$1" 2>/dev/null | head -1)
    [ -n "$out" ] && { echo "$out"; return 0; }
    sleep 0.1
  done
  return 1
}
export CALLGATE_DATABASE_URL="sqlite://$tmp/callgate.db" CALLGATE_LISTEN=127.0.0.1:0 \
  CALLGATE_LOG_FORMAT=text TRUSTED_PROXIES=127.0.0.1/32
"$binary" migrate > "$tmp/logs/migrate.log" 2>&1 || { cat "$tmp/logs/migrate.log"; fail "migrate"; }
"$binary" serve > "$tmp/logs/serve.log" 2>&1 &
pids+=($!)
app_port=$(wait_for "$tmp/logs/serve.log" 's|^callgate serving on http://127.0.0.1:\([0-9]*\).*|\1|p') ||
  { cat "$tmp/logs/serve.log"; fail "callgate did not start"; }
http_port=$(free_port)
https_port=$(free_port)
# Loopback ports instead of 80/443/8080; IPv4 only (the test machine may have no IPv6).
sed -e "s|server 127.0.0.1:8080|server 127.0.0.1:$app_port|" \
    -e "s|listen 80;|listen 127.0.0.1:$http_port;|" -e "s|listen 443 ssl http2;|listen 127.0.0.1:$https_port ssl http2;|" \
    -e '/listen \[::\]/d' -e "s|return 301 https://\$host\$request_uri;|return 301 https://\$host:$https_port\$request_uri;|" \
    "$site" > "$tmp/live.conf"
grep -q "listen 127.0.0.1:$https_port ssl" "$tmp/live.conf" || fail "cannot move the site's ports"
sed -i "s|include $site;|include $tmp/live.conf;|" "$tmp/nginx.conf"
"$nginx" -p "$tmp" -e "$tmp/logs/error.log" -c "$tmp/nginx.conf" -g 'daemon off;' &
pids+=($!)
resolve=(--resolve "callgate.example.com:$https_port:127.0.0.1" --resolve "callgate.example.com:$http_port:127.0.0.1")
for _ in $(seq 1 100); do
  curl -sk "${resolve[@]}" -o /dev/null "https://callgate.example.com:$https_port/health" && break
  sleep 0.1
done
headers=$(curl -sk "${resolve[@]}" -D - -o "$tmp/body" "https://callgate.example.com:$https_port/health") ||
  { cat "$tmp/logs/error.log"; fail "no HTTPS answer through nginx"; }
grep -q '^HTTP/2 200' <<<"$headers" || { echo "$headers"; fail "/health through nginx is not HTTP/2 200"; }
grep -qi '^strict-transport-security: max-age=' <<<"$headers" || fail "no HSTS header"
grep -q '"ok"' "$tmp/body" || fail "unexpected /health body: $(cat "$tmp/body")"
redirect=$(curl -s "${resolve[@]}" -o /dev/null -w '%{http_code} %{redirect_url}' "http://callgate.example.com:$http_port/health")
[ "$redirect" = "301 https://callgate.example.com:$https_port/health" ] || fail "plain HTTP: $redirect"
# The id callgate answered with is the one nginx logged (one nginx worker: the earlier request's
# log line is written before the redirect request is served).
request_id=$(sed -n 's/^x-request-id: \([0-9a-f]*\)\r$/\1/Ip' <<<"$headers")
[ -n "$request_id" ] && grep -qx "$request_id" "$tmp/logs/access.log" ||
  { echo "$headers"; cat "$tmp/logs/access.log"; fail "callgate did not keep nginx's request id"; }
echo "nginx with TLS in front of callgate: HTTP/2 200 on /health, HSTS, request id, HTTP redirects"
