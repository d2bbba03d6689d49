#!/usr/bin/env bash
# Claim-page throughput (wrk, 64 connections) and the latency the OAuth callback adds over the
# Prisma calls it makes. Not part of the tests. Usage: bench/claim.sh [seconds] [callback-iterations]
cd "$(dirname "$0")/.."
duration=${1:-5}
iterations=${2:-200}
source bench/common.sh
ensure_wrk
start_stack FULL

claim_url=$(curl -s -X POST http://127.0.0.1:18180/v1/databases -H 'Authorization: Bearer bench-key-0123456789abcdef' -d '{"name":"bench"}' \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["claimUrl"])')
echo "claim page, ${duration}s:"
for c in 1 64; do
  read -r rps p50 p99 _ < <(wrk_run "$claim_url" $c)
  printf '  %3s connections: %s req/s, p50 %s, p99 %s\n' "$c" "$rps" "$p50" "$p99"
done
echo "callback, $iterations claims:"
python3 bench/claim_callback.py http://127.0.0.1:18180 http://127.0.0.1:18190 bench-key-0123456789abcdef "$iterations"
