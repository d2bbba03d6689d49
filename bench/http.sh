#!/usr/bin/env bash
# HTTP throughput of Claimgate's /healthz next to nginx serving a static file, on loopback.
# Not part of the tests. Prints req/s, p50 and p99 for 1, 64 and 1,000 connections, and the ratio.
# /healthz is answered on libmicrohttpd's polling thread; the extra /readyz line measures the
# ordinary path every API route takes (suspend, Swift task, SQLite, resume).
# Usage: bench/http.sh [seconds-per-run]   (needs: wrk, nginx — installed if missing)
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${1:-5}
source bench/common.sh
ensure_wrk
dpkg-query -W -f='${Status}' nginx-light 2>/dev/null | grep -q "install ok installed" || apt-get install -y -qq nginx-light >/dev/null
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
swift build -c release --product claimgate >/dev/null
work=$(mktemp -d)
trap 'kill $cg_pid $ng_pid 2>/dev/null || true; nginx -c "$work/nginx.conf" -s stop 2>/dev/null || true; rm -rf "$work"' EXIT

CLAIMGATE_PORT=18080 CLAIMGATE_DATABASE_PATH="$work/bench.sqlite" CLAIMGATE_LOG_LEVEL=warning \
  .build/release/claimgate serve >"$work/claimgate.log" 2>&1 &
cg_pid=$!

mkdir -p "$work/www"
printf '{"status":"ok","version":"0.1.0"}' >"$work/www/healthz"
cat >"$work/nginx.conf" <<CONF
worker_processes 2;
pid $work/nginx.pid;
error_log $work/nginx-error.log;
events { worker_connections 4096; }
http {
  access_log off;
  server {
    listen 127.0.0.1:18081;
    location / { root $work/www; default_type application/json; }
  }
}
CONF
nginx -c "$work/nginx.conf" -p "$work"
ng_pid=$(cat "$work/nginx.pid" 2>/dev/null || echo 0)
for _ in $(seq 50); do curl -sf http://127.0.0.1:18080/healthz >/dev/null && break; sleep 0.1; done

printf '%-12s %6s %12s %10s %10s\n' server conns req/s p50 p99
declare -A cg ng
for c in 1 64 1000; do
  read -r r a b _ < <(wrk_run http://127.0.0.1:18080/healthz $c); cg[$c]=$r
  printf '%-12s %6s %12s %10s %10s\n' claimgate "$c" "$r" "$a" "$b"
  read -r r a b _ < <(wrk_run http://127.0.0.1:18081/healthz $c); ng[$c]=$r
  printf '%-12s %6s %12s %10s %10s\n' nginx "$c" "$r" "$a" "$b"
done
# The task path (suspend → Swift task → actor-confined SQLite → resume) for comparison.
read -r r a b _ < <(wrk_run http://127.0.0.1:18080/readyz 64)
printf '%-12s %6s %12s %10s %10s\n' "cg /readyz" 64 "$r" "$a" "$b"
for c in 1 64 1000; do
  awk -v a="${cg[$c]}" -v b="${ng[$c]}" -v c="$c" 'BEGIN { printf "ratio claimgate/nginx at %s connections: %.2f\n", c, a / b }'
done
