#!/usr/bin/env bash
# Two builds of Claimgate compared on provisioning, interleaved: on this kind of VM the speed moves
# by a third within an hour, so runs of bench/provision.sh minutes apart cannot separate a change
# of 0.1 ms. Each round measures the emulator alone, then build A, then build B (fresh database,
# 2 s warm-up, 1 connection, synchronous=FULL), against one emulator process.
# Usage: bench/provision-ab.sh BINARY-A [BINARY-B (default: this checkout built as deployed, see common.sh)] [rounds] [seconds]
# (e.g. build the old commit, copy .build-deployed/release/claimgate to /tmp/claimgate-old, come back, and
# run bench/provision-ab.sh /tmp/claimgate-old). Prints per round, then the medians last.
cd "$(dirname "$0")/.."
set -euo pipefail
[[ $# -ge 1 ]] || { sed -n 2,8p "$0"; exit 2; }
a=$1
b=${2:-}
rounds=${3:-3}
duration=${4:-5}
source bench/common.sh
ensure_wrk
[[ -n "$b" ]] || { build_deployed; b=$claimgate_bin; }
work=$(mktemp -d)
pids=()
trap 'kill ${pids[*]} 2>/dev/null || true; rm -rf "$work"' EXIT
"$b" emulator --port 18190 --redirect-uri http://127.0.0.1:18180/oauth/callback >"$work/emulator.log" 2>&1 &
pids+=($!)
for _ in $(seq 50); do curl -s -o /dev/null http://127.0.0.1:18190/ && break; sleep 0.1; done

upstream_create_script "$work/upstream.lua"
post_script "$work/claimgate.lua" bench-key-0123456789abcdef '{"name":"bench","region":"us-east-1"}'

serve_environment FULL "$work/ab.sqlite"

# run_claimgate BINARY → "p50 p99 cpu-µs-per-request" (p99 as measured through Claimgate)
run_claimgate() {
  rm -f "$work"/ab.sqlite*
  env "${serve_env[@]}" CLAIMGATE_PORT=18180 "$1" serve >"$work/claimgate.log" 2>&1 &
  local pid=$!
  for _ in $(seq 100); do curl -sf http://127.0.0.1:18180/readyz >/dev/null && break; sleep 0.1; done
  wrk -t1 -c1 -d2s -s "$work/claimgate.lua" http://127.0.0.1:18180/v1/databases >/dev/null
  local before after out requests
  before=$(awk '{print $14 + $15}' "/proc/$pid/stat")
  out=$(wrk -t1 -c1 -d"${duration}s" --latency -s "$work/claimgate.lua" http://127.0.0.1:18180/v1/databases)
  after=$(awk '{print $14 + $15}' "/proc/$pid/stat")
  kill "$pid"; wait "$pid" 2>/dev/null || true
  if grep -q Non-2xx <<<"$out"; then echo "error: non-2xx answers from $1" >&2; exit 1; fi
  requests=$(awk '/requests in/ {print $1}' <<<"$out")
  echo "$(to_ms "$(awk '$1=="50%" {print $2}' <<<"$out")") $(to_ms "$(awk '$1=="99%" {print $2}' <<<"$out")") $(( (after - before) * 10000 / requests ))"
}

wrk -t1 -c1 -d2s -s "$work/upstream.lua" http://127.0.0.1:18190/v1/projects >/dev/null
printf '%-6s %12s %28s %28s\n' round "emulator p50" "A: added p50, p99, CPU" "B: added p50, p99, CPU"
: >"$work/added"
for round in $(seq "$rounds"); do
  out=$(wrk -t1 -c1 -d"${duration}s" --latency -s "$work/upstream.lua" http://127.0.0.1:18190/v1/projects)
  direct=$(to_ms "$(awk '$1=="50%" {print $2}' <<<"$out")")
  read -r ap50 ap99 acpu < <(run_claimgate "$a")
  read -r bp50 bp99 bcpu < <(run_claimgate "$b")
  awk -v r="$round" -v d="$direct" -v a="$ap50" -v a9="$ap99" -v ac="$acpu" -v b="$bp50" -v b9="$bp99" -v bc="$bcpu" \
    'BEGIN { printf "%-6s %9.2f ms %9.2f ms, %5.2f ms, %4d us %9.2f ms, %5.2f ms, %4d us\n", r, d, a - d, a9, ac, b - d, b9, bc }'
  echo "$direct $ap50 $bp50 $acpu $bcpu" >>"$work/added"
done
median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
am=$(awk '{ print $2 - $1 }' "$work/added" | median)
bm=$(awk '{ print $3 - $1 }' "$work/added" | median)
ac=$(awk '{ print $4 }' "$work/added" | median)
bc=$(awk '{ print $5 }' "$work/added" | median)
awk -v a="$am" -v b="$bm" -v ac="$ac" -v bc="$bc" \
  'BEGIN { printf "median added p50: A %.2f ms, B %.2f ms (B/A %.2f); CPU per provision: A %d us, B %d us\n", a, b, b / a, ac, bc }'
