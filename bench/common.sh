# Shared by the benchmark scripts: builds a release binary, runs the Prisma emulator as its own
# process (port 18190, no added latency) and Claimgate against it (port 18180), and stops both on exit.
# Usage in a script: source bench/common.sh; start_stack [FULL|NORMAL]
set -euo pipefail
# The binary every benchmark runs, built the way the Dockerfile builds the deployed one (release,
# Swift's standard library linked statically: provision's added p50 7-8 % lower and 4-8 % less CPU
# than the dynamically linked development build, interleaved), in a build directory of its own: switching that flag
# in .build would rebuild everything (~5 min here) each way.
claimgate_bin=.build-deployed/release/claimgate
build_deployed() { swift build -c release --static-swift-stdlib --product claimgate --build-path .build-deployed >/dev/null; }
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
# to_ms TIME: a wrk time (`850.00us`, `1.20ms`, `2.00s`) in milliseconds
to_ms() { awk -v v="$1" 'BEGIN { if (v ~ /us$/) { sub(/us$/, "", v); print v / 1000 } else if (v ~ /ms$/) { sub(/ms$/, "", v); print v } else { sub(/s$/, "", v); print v * 1000 } }'; }
# upstream_create_script FILE: a wrk Lua script that POSTs the create Claimgate sends to the
# emulator's /v1/projects — the same body plus a logicalId unique to each request (the emulator
# checks it against the workspace's projects, as Prisma does)
upstream_create_script() {
  post_script "$1" sandbox-service-token '{"name":"bench","region":"us-east-1"}'
  cat >>"$1" <<'LUA'
local threads, n, prefix = 0, 0, "bench-" .. os.time() .. "-" .. math.random(1000000)
function setup(thread) threads = threads + 1; thread:set("tid", threads) end
function request()
  n = n + 1
  local id = string.format('%s-%s-%d', prefix, tostring(tid or 0), n)
  return wrk.format(nil, nil, nil, '{"name":"bench","region":"us-east-1","logicalId":"' .. id .. '"}')
end
LUA
}
# serve_environment SYNCHRONOUS DATABASE-PATH [DATABASE-URL]: sets `serve_env`, the environment
# `claimgate serve` runs with in the benchmarks (API key bench-key-0123456789abcdef, the emulator
# on 18190, Prisma's pacing and the claim rate limit out of the way, a fresh encryption key)
serve_environment() {
  local key; key="$(head -c 32 /dev/urandom | base64)"
  serve_env=(CLAIMGATE_PUBLIC_URL=http://127.0.0.1:18180 CLAIMGATE_DATABASE_PATH="$2"
    CLAIMGATE_DATABASE_URL="${3:-}"
    CLAIMGATE_CLAIMS_RATE_LIMIT_PER_MINUTE=0 PRISMA_RATE_LIMIT_PER_MINUTE=100000 PRISMA_RATE_LIMIT_BURST=10000
    CLAIMGATE_DATABASE_SYNCHRONOUS="$1" CLAIMGATE_API_KEYS=bench-key-0123456789abcdef CLAIMGATE_ENCRYPTION_KEY="$key"
    PRISMA_API_URL=http://127.0.0.1:18190 PRISMA_AUTH_URL=http://127.0.0.1:18190 PRISMA_SERVICE_TOKEN=sandbox-service-token
    PRISMA_CLIENT_ID=sandbox-client PRISMA_CLIENT_SECRET=sandbox-client-secret)
}
# start_stack [FULL|NORMAL]. ENGINE=postgres runs on a throwaway PostgreSQL (scripts/test-postgres)
# instead of SQLite; REPLICAS=N (with postgres) runs N replicas on ports 18181… behind nginx
# (round robin, keep-alive) on 18180.
start_stack() {
  local sync=${1:-FULL} replicas=${REPLICAS:-1} engine=${ENGINE:-sqlite}
  build_deployed
  work=$(mktemp -d)
  pids=()
  pg_dir=""
  trap 'kill ${pids[*]} 2>/dev/null || true; [[ -n "$pg_dir" ]] && scripts/test-postgres stop "$pg_dir"; rm -rf "$work"' EXIT
  "$claimgate_bin" emulator --port 18190 --redirect-uri http://127.0.0.1:18180/oauth/callback >"$work/emulator.log" 2>&1 &
  pids+=($!)
  local database_url=""
  if [[ "$engine" == postgres ]]; then
    eval "$(scripts/test-postgres start)"
    pg_dir=$CLAIMGATE_TEST_POSTGRES_DIR
    database_url=$CLAIMGATE_TEST_POSTGRES_URL
  elif (( replicas > 1 )); then
    echo "REPLICAS > 1 needs ENGINE=postgres" >&2; exit 2
  fi
  serve_environment "$sync" "$work/bench.sqlite" "$database_url"
  [[ -n "$database_url" ]] && env "${serve_env[@]}" "$claimgate_bin" migrate >"$work/migrate.log" 2>&1
  if (( replicas == 1 )); then
    env "${serve_env[@]}" CLAIMGATE_PORT=18180 "$claimgate_bin" serve >"$work/claimgate.log" 2>&1 &
    pids+=($!)
  else
    local servers=""
    for i in $(seq 1 "$replicas"); do
      env "${serve_env[@]}" CLAIMGATE_PORT=$((18180 + i)) "$claimgate_bin" serve >"$work/claimgate-$i.log" 2>&1 &
      pids+=($!)
      servers+="server 127.0.0.1:$((18180 + i)); "
      for _ in $(seq 100); do curl -sf http://127.0.0.1:$((18180 + i))/readyz >/dev/null && break; sleep 0.1; done
    done
    cat >"$work/nginx.conf" <<NGINX
worker_processes 2; daemon off; pid $work/nginx.pid; error_log $work/nginx-error.log warn;
events { worker_connections 4096; }
http { access_log off; client_body_temp_path $work/b; proxy_temp_path $work/p; fastcgi_temp_path $work/f; uwsgi_temp_path $work/u; scgi_temp_path $work/s;
  upstream claimgate { $servers keepalive 64; }
  server { listen 127.0.0.1:18180; location / { proxy_pass http://claimgate; proxy_http_version 1.1; proxy_set_header Connection ""; proxy_set_header Host \$http_host; } } }
NGINX
    nginx -p "$work" -c "$work/nginx.conf" >"$work/nginx.out" 2>&1 &
    pids+=($!)
  fi
  for _ in $(seq 100); do curl -sf http://127.0.0.1:18180/readyz >/dev/null && break; sleep 0.1; done
  echo "engine=$engine replicas=$replicas"
}
