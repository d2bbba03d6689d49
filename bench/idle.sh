#!/usr/bin/env bash
# Memory of idle keep-alive connections, as deployed: opens N connections (default 10,000) that each
# make one request and then stay open, measures Claimgate's resident memory (VmRSS) before and with
# them, and /healthz latency from 16 more connections meanwhile. Not part of the tests.
# The connections come from 64 loopback addresses (127.0.1.1 …), under the per-address limit.
# Usage: bench/idle.sh [connections] [seconds]   (needs wrk: installed if missing)
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-10000}
duration=${2:-5}
source bench/common.sh
ensure_wrk
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
build_deployed
work=$(mktemp -d)
trap 'kill $cg_pid $holder_pid 2>/dev/null || true; rm -rf "$work"' EXIT
# As deployed, but for a connection limit with room for the 16 measuring connections beside the
# idle ones (the default, 10,000, is exactly what the default run holds idle). Extra settings for an
# experiment can be passed in the environment (e.g. CLAIMGATE_HTTP_CONNECTION_MEMORY_LIMIT_BYTES).
CLAIMGATE_PORT=18080 CLAIMGATE_DATABASE_PATH="$work/data/claimgate.sqlite" \
  CLAIMGATE_HTTP_CONNECTION_LIMIT=$((count + 240)) \
  "$claimgate_bin" serve 2>"$work/claimgate.log" &
cg_pid=$!
for _ in $(seq 100); do curl -sf http://127.0.0.1:18080/healthz >/dev/null && break; sleep 0.1; done
rss() { awk '/VmRSS/ {print $2}' "/proc/$cg_pid/status"; }
before=$(rss)
python3 - "$count" "$work/ready" <<'PY' &
import socket, sys, time
count, ready = int(sys.argv[1]), sys.argv[2]
held = []
request = b"GET /healthz HTTP/1.1\r\nHost: bench\r\n\r\n"
for i in range(count):
    s = socket.socket()
    s.bind((f"127.0.1.{1 + i % 64}", 0))
    s.connect(("127.0.0.1", 18080))
    s.sendall(request)
    held.append(s)
for s in held:
    s.settimeout(10)
    data = s.recv(4096)
    assert data.startswith(b"HTTP/1.1 200"), data[:40]
open(ready, "w").write("ok")
time.sleep(60)  # keep them open (idle) while the script measures; the server's idle timeout is 30 s
PY
holder_pid=$!
for _ in $(seq 600); do [[ -f "$work/ready" ]] && break; sleep 0.1; done
[[ -f "$work/ready" ]] || { echo "could not open $count connections" >&2; exit 1; }
with=$(rss)
read -r r a b e < <(wrk_run http://127.0.0.1:18080/healthz 16)
still=$(ls /proc/$cg_pid/fd | wc -l)
echo "idle connections: $count (server file descriptors now: $still)"
echo "RSS before: $((before / 1024)) MB, with the idle connections: $((with / 1024)) MB"
awk -v b="$before" -v w="$with" -v c="$count" 'BEGIN { printf "per idle connection: %.1f KB\n", (w - b) / c }'
echo "/healthz meanwhile, 16 connections: $r req/s, p50 $a, p99 $b"
echo "RSS with $count idle connections: $((with / 1024)) MB (target ≤ 200 MB); /healthz p99 $b (target < 50 ms)"
