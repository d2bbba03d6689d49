#!/usr/bin/env bash
# Provisioning throughput and the latency Claimgate adds over Prisma, on loopback.
# Not part of the tests. The Prisma emulator runs as its own process with no added latency; wrk
# first POSTs to the emulator's /v1/projects directly (the upstream alone: the call Claimgate makes,
# with a logicalId of its own each time), then to Claimgate's /v1/databases (intent commit →
# upstream create → ready commit). Added latency = the difference.
# Usage: [CONNS="1 16"] [WARMUP=2] bench/provision.sh [seconds-per-run] [synchronous FULL|NORMAL]
cd "$(dirname "$0")/.."
duration=${1:-5}
sync=${2:-FULL}
source bench/common.sh
ensure_wrk
start_stack "$sync"

body='{"name":"bench","region":"us-east-1"}'
# The direct leg sends the call Claimgate sends (a logicalId unique to each request).
upstream_create_script "$work/upstream.lua"
post_script "$work/claimgate.lua" bench-key-0123456789abcdef "$body"

# Steady state, not a cold start: both legs first run unmeasured for WARMUP seconds (default 2), so
# the figures do not include the first seconds of a fresh process and database (caches, the
# connection to the emulator, SQLite's WAL file growing to its working size before it is reused).
warmup=${WARMUP:-2}
if (( warmup > 0 )); then
  wrk -t1 -c1 -d"${warmup}s" -s "$work/upstream.lua" http://127.0.0.1:18190/v1/projects >/dev/null
  wrk -t1 -c1 -d"${warmup}s" -s "$work/claimgate.lua" http://127.0.0.1:18180/v1/databases >/dev/null
fi
echo "synchronous=$sync, ${duration}s per run, after ${warmup}s of warm-up"
printf '%-26s %6s %10s %10s %10s %8s\n' target conns req/s p50 p99 non-2xx
for c in ${CONNS:-1 16}; do
  read -r ur up50 up99 un < <(wrk_run http://127.0.0.1:18190/v1/projects $c "$work/upstream.lua")
  printf '%-26s %6s %10s %10s %10s %8s\n' "emulator POST /v1/projects" "$c" "$ur" "$up50" "$up99" "${un:-0}"
  read -r cr cp50 cp99 cn < <(wrk_run http://127.0.0.1:18180/v1/databases $c "$work/claimgate.lua")
  if [[ -n "${un:-}${cn:-}" ]]; then echo "error: non-2xx answers (${un:-0} / ${cn:-0}): the figures would be meaningless" >&2; exit 1; fi
  printf '%-26s %6s %10s %10s %10s %8s\n' "claimgate POST /v1/databases" "$c" "$cr" "$cp50" "$cp99" "${cn:-0}"
  awk -v a="$(to_ms "$cp50")" -v b="$(to_ms "$up50")" -v c="$(to_ms "$cp99")" -v d="$(to_ms "$up99")" -v n="$c" \
    'BEGIN { printf "added by claimgate at %s connection(s): p50 %.2f ms, p99 %.2f ms\n", n, a - b, c - d }'
done
