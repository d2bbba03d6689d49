#!/usr/bin/env bash
# Provisioning throughput and the latency Claimgate adds over Prisma, on loopback.
# Not part of the tests. The Prisma emulator runs as its own process with no added latency; wrk
# first POSTs to the emulator's /v1/projects directly (the upstream alone), then to Claimgate's
# /v1/databases (intent commit → upstream create → ready commit). Added latency = the difference.
# Usage: bench/provision.sh [seconds-per-run] [synchronous FULL|NORMAL]
cd "$(dirname "$0")/.."
duration=${1:-5}
sync=${2:-FULL}
source bench/common.sh
ensure_wrk
start_stack "$sync"

cat >"$work/upstream.lua" <<'LUA'
wrk.method = "POST"
wrk.headers["Authorization"] = "Bearer sandbox-service-token"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"name":"bench","region":"us-east-1"}'
LUA
cat >"$work/claimgate.lua" <<'LUA'
wrk.method = "POST"
wrk.headers["Authorization"] = "Bearer bench-key-0123456789abcdef"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"name":"bench","region":"us-east-1"}'
LUA

run() { # script url connections → "rps p50 p99 non2xx"
  local out threads=2
  (( $3 < 2 )) && threads=1
  out=$(wrk -t"$threads" -c"$3" -d"${duration}s" --latency -s "$1" "$2" 2>&1)
  echo "$(awk '/Requests\/sec/ {print $2}' <<<"$out") $(awk '$1=="50%" {print $2}' <<<"$out") $(awk '$1=="99%" {print $2}' <<<"$out") $(awk '/Non-2xx/ {print $5}' <<<"$out")"
}
to_ms() { awk -v v="$1" 'BEGIN { if (v ~ /us$/) { sub(/us$/, "", v); print v / 1000 } else if (v ~ /ms$/) { sub(/ms$/, "", v); print v } else { sub(/s$/, "", v); print v * 1000 } }'; }

echo "synchronous=$sync, ${duration}s per run"
printf '%-26s %6s %10s %10s %10s %8s\n' target conns req/s p50 p99 non-2xx
for c in ${CONNS:-1 16}; do
  read -r ur up50 up99 un < <(run "$work/upstream.lua" http://127.0.0.1:18190/v1/projects $c)
  printf '%-26s %6s %10s %10s %10s %8s\n' "emulator POST /v1/projects" "$c" "$ur" "$up50" "$up99" "${un:-0}"
  read -r cr cp50 cp99 cn < <(run "$work/claimgate.lua" http://127.0.0.1:18180/v1/databases $c)
  printf '%-26s %6s %10s %10s %10s %8s\n' "claimgate POST /v1/databases" "$c" "$cr" "$cp50" "$cp99" "${cn:-0}"
  awk -v a="$(to_ms "$cp50")" -v b="$(to_ms "$up50")" -v c="$(to_ms "$cp99")" -v d="$(to_ms "$up99")" -v n="$c" \
    'BEGIN { printf "added by claimgate at %s connection(s): p50 %.2f ms, p99 %.2f ms\n", n, a - b, c - d }'
done
