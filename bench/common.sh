# Shared by the benchmark scripts: builds a release binary, runs the Prisma emulator as its own
# process (port 18190, no added latency) and Claimgate against it (port 18180), and stops both on exit.
# Usage in a script: source bench/common.sh; start_stack [FULL|NORMAL]
set -euo pipefail
ensure_wrk() {
  dpkg-query -W -f='${Status}' wrk 2>/dev/null | grep -q "install ok installed" || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
}
# wrk_run URL CONNECTIONS [LUA-SCRIPT] → "req/s p50 p99 non-2xx" (uses $duration seconds)
wrk_run() {
  local out threads=$(( $2 < 2 ? 1 : 2 ))
  out=$(wrk -t"$threads" -c"$2" -d"${duration}s" --latency ${3:+-s "$3"} "$1" 2>&1)
  echo "$(awk '/Requests\/sec/ {print $2}' <<<"$out") $(awk '$1=="50%" {print $2}' <<<"$out") $(awk '$1=="99%" {print $2}' <<<"$out") $(awk '/Non-2xx/ {print $5}' <<<"$out")"
}
# post_script FILE TOKEN BODY: a wrk Lua script that POSTs BODY with a bearer token
post_script() {
  printf 'wrk.method = "POST"\nwrk.headers["Authorization"] = "Bearer %s"\nwrk.headers["Content-Type"] = "application/json"\nwrk.body = [[%s]]\n' "$2" "$3" >"$1"
}
start_stack() {
  local sync=${1:-FULL}
  swift build -c release --product claimgate >/dev/null
  work=$(mktemp -d)
  trap 'kill $emu_pid $cg_pid 2>/dev/null || true; rm -rf "$work"' EXIT
  .build/release/claimgate emulator --port 18190 --redirect-uri http://127.0.0.1:18180/oauth/callback >"$work/emulator.log" 2>&1 &
  emu_pid=$!
  CLAIMGATE_PORT=18180 CLAIMGATE_PUBLIC_URL=http://127.0.0.1:18180 CLAIMGATE_DATABASE_PATH="$work/bench.sqlite" \
  CLAIMGATE_CLAIMS_RATE_LIMIT_PER_MINUTE=0 PRISMA_RATE_LIMIT_PER_MINUTE=100000 PRISMA_RATE_LIMIT_BURST=10000 CLAIMGATE_DATABASE_SYNCHRONOUS="$sync" CLAIMGATE_API_KEYS=bench-key-0123456789abcdef \
  CLAIMGATE_ENCRYPTION_KEY="$(head -c 32 /dev/urandom | base64)" \
  PRISMA_API_URL=http://127.0.0.1:18190 PRISMA_AUTH_URL=http://127.0.0.1:18190 PRISMA_SERVICE_TOKEN=sandbox-service-token \
  PRISMA_CLIENT_ID=sandbox-client PRISMA_CLIENT_SECRET=sandbox-client-secret \
    .build/release/claimgate serve >"$work/claimgate.log" 2>&1 &
  cg_pid=$!
  for _ in $(seq 100); do curl -sf http://127.0.0.1:18180/readyz >/dev/null && break; sleep 0.1; done
}
