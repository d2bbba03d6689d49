#!/usr/bin/env bash
# The multi-replica chaos check, longer than the test suite's version: three `claimgate serve`
# replicas on one PostgreSQL behind nginx (round robin), a partner load of provisions with
# idempotency keys (repeated until answered), claims and extends, and one replica SIGKILLed and
# restarted every two seconds. It asserts and prints, last: databases acknowledged / stored /
# projects, kills, claims = transfers, duplicate projects, webhooks.
#   bench/replicas.sh [DATABASES] [SECONDS]      (default 60 databases, at least 60 s of kills)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps --test >/dev/null
swift build --build-tests >/dev/null
eval "$(scripts/test-postgres start)"
trap 'scripts/test-postgres stop "$CLAIMGATE_TEST_POSTGRES_DIR"' EXIT
export CLAIMGATE_REQUIRE_POSTGRES=1 CLAIMGATE_CHAOS_DATABASES="${1:-60}" CLAIMGATE_CHAOS_SECONDS="${2:-60}"
log=$(mktemp)
status=0
swift test --skip-build --disable-xctest --filter ReplicaChaosTests >"$log" 2>&1 || status=$?
grep -E "✘|recorded an issue" "$log" || true
grep "replicas chaos" "$log" || { tail -40 "$log"; exit 1; }
[[ $status -eq 0 ]] && echo "replicas chaos: all assertions held" || echo "replicas chaos: FAILED (see above)"
exit $status
