#!/usr/bin/env bash
# HTTP throughput of Claimgate as deployed (default configuration: sandbox mode, `info` logging with
# one JSON access line per API request, probes at `debug`) next to nginx serving the same bytes from a
# static file with its access log ON, on loopback. Not part of the tests.
#
# Measured at 64 connections, 3 runs each, median reported: `/healthz` (answered on libmicrohttpd's
# polling thread) and an authenticated API read `GET /v1/databases/{id}` (also on the polling
# thread: API key, the answer reused while nothing is written or an inline SQLite read, access log
# line) against nginx; the same read with reuse off (`CLAIMGATE_READ_CACHE_SECONDS=0`, a second
# instance on 18082: every request reads SQLite) is shown beside it. One run each at 1 and 1,000
# connections for the shape. The ratios come last.
# Usage: bench/http.sh [seconds-per-run]   (needs wrk and nginx: installed if missing; ~2 min at 5 s)
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${1:-5}
source bench/common.sh
ensure_wrk
dpkg-query -W -f='${Status}' nginx-light 2>/dev/null | grep -q "install ok installed" || apt-get install -y -qq nginx-light >/dev/null
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
build_deployed
work=$(mktemp -d)
trap 'kill $cg_pid $cg2_pid 2>/dev/null || true; nginx -c "$work/nginx.conf" -p "$work" -s stop 2>/dev/null || true; rm -rf "$work"' EXIT

# As deployed: nothing but a port and a data directory — and a per-address connection limit above
# the 1,000 connections wrk opens from the one address 127.0.0.1 (the default, 256, would refuse the
# rest, as it should refuse one client taking that many).
CLAIMGATE_PORT=18080 CLAIMGATE_DATABASE_PATH="$work/data/claimgate.sqlite" CLAIMGATE_HTTP_PER_ADDRESS_CONNECTION_LIMIT=0 \
  "$claimgate_bin" serve 2>"$work/claimgate.log" &
cg_pid=$!
CLAIMGATE_PORT=18082 CLAIMGATE_DATABASE_PATH="$work/data2/claimgate.sqlite" CLAIMGATE_HTTP_PER_ADDRESS_CONNECTION_LIMIT=0 \
  CLAIMGATE_READ_CACHE_SECONDS=0 "$claimgate_bin" serve 2>"$work/claimgate2.log" &
cg2_pid=$!

chmod 755 "$work"  # nginx's workers run as an unprivileged user: they must read the file
mkdir -p "$work/www"
printf '{"status":"ok","version":"0.1.0"}' >"$work/www/healthz"
cat >"$work/nginx.conf" <<CONF
worker_processes 2;
pid $work/nginx.pid;
error_log $work/nginx-error.log;
events { worker_connections 4096; }
http {
  access_log $work/nginx-access.log;
  server {
    listen 127.0.0.1:18081;
    location / { root $work/www; default_type application/json; }
  }
}
CONF
nginx -c "$work/nginx.conf" -p "$work"
for port in 18080 18082; do
  for _ in $(seq 100); do curl -sf http://127.0.0.1:$port/healthz >/dev/null && break; sleep 0.1; done
done
key=cg_sandbox_api_key
id=$(curl -sf -X POST http://127.0.0.1:18080/v1/databases -H "Authorization: Bearer $key" -d '{"name":"bench"}' \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
printf 'wrk.headers["Authorization"] = "Bearer %s"\n' "$key" >"$work/read.lua"
read_url="http://127.0.0.1:18080/v1/databases/$id"
id2=$(curl -sf -X POST http://127.0.0.1:18082/v1/databases -H "Authorization: Bearer $key" -d '{"name":"bench"}' \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
uncached_url="http://127.0.0.1:18082/v1/databases/$id2"

median() { printf '%s\n' "$@" | sort -g | sed -n 2p; }
printf '%-22s %6s %12s %10s %10s %8s\n' what conns req/s p50 p99 non2xx
declare -a H R U N
for run in 1 2 3; do
  read -r r a b e < <(wrk_run http://127.0.0.1:18080/healthz 64); H+=("$r")
  printf '%-22s %6s %12s %10s %10s %8s\n' "claimgate /healthz" 64 "$r" "$a" "$b" "${e:-0}"
  read -r r a b e < <(wrk_run "$read_url" 64 "$work/read.lua"); R+=("$r")
  printf '%-22s %6s %12s %10s %10s %8s\n' "claimgate GET db" 64 "$r" "$a" "$b" "${e:-0}"
  read -r r a b e < <(wrk_run "$uncached_url" 64 "$work/read.lua"); U+=("$r")
  printf '%-22s %6s %12s %10s %10s %8s\n' "GET db, reuse off" 64 "$r" "$a" "$b" "${e:-0}"
  read -r r a b e < <(wrk_run http://127.0.0.1:18081/healthz 64); N+=("$r")
  printf '%-22s %6s %12s %10s %10s %8s\n' "nginx (access log on)" 64 "$r" "$a" "$b" "${e:-0}"
done
for c in 1 1000; do
  read -r r a b e < <(wrk_run http://127.0.0.1:18080/healthz $c)
  printf '%-22s %6s %12s %10s %10s %8s\n' "claimgate /healthz" "$c" "$r" "$a" "$b" "${e:-0}"
  read -r r a b e < <(wrk_run "$read_url" "$c" "$work/read.lua")
  printf '%-22s %6s %12s %10s %10s %8s\n' "claimgate GET db" "$c" "$r" "$a" "$b" "${e:-0}"
  read -r r a b e < <(wrk_run http://127.0.0.1:18081/healthz $c)
  printf '%-22s %6s %12s %10s %10s %8s\n' "nginx (access log on)" "$c" "$r" "$a" "$b" "${e:-0}"
done
lines=$(grep -c '"msg":"request"' "$work/claimgate.log" || true)
echo "access log lines written by claimgate: $lines (probes are at debug by default)"
h=$(median "${H[@]}"); r=$(median "${R[@]}"); u=$(median "${U[@]}"); n=$(median "${N[@]}")
awk -v h="$h" -v r="$r" -v u="$u" -v n="$n" 'BEGIN {
  printf "median of 3 at 64 connections: /healthz %.0f, GET db %.0f (reuse off %.0f), nginx %.0f req/s\n", h, r, u, n
  printf "ratio claimgate/nginx /healthz: %.2f (target 0.8)\n", h / n
  printf "ratio claimgate/nginx authenticated read, reuse off (every request reads SQLite): %.2f\n", u / n
  printf "ratio claimgate/nginx authenticated read, as deployed: %.2f (target 0.5)\n", r / n }'
