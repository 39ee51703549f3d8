#!/usr/bin/env bash
# make test's PostgreSQL pass: one private PostgreSQL (tests/pg/pg-up.sh) for the whole run, the
# store's unit test on it, then the SDK suite's core scenarios again with every daemon on a fresh
# database there (YUN_TEST_STORE, see tests/sdk/lib/yund.js), and tests/pg/host_failover.sh. Skipped, saying so, when Debian's
# postgresql is not installed. Env: YUN_BIN, UNIT (the test_store_pg binary), PG_SDK_TESTS (files).
set -euo pipefail
cd "$(dirname "$0")/../.."
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  echo "pg: PostgreSQL is not installed (scripts/setup.sh installs postgresql-15): skipping the PostgreSQL pass"
  exit 0
fi
dir=$(mktemp -d /tmp/yun-pg.XXXXXX)
trap 'tests/pg/pg-down.sh "$dir"' EXIT
url=$(tests/pg/pg-up.sh "$dir")
echo "pg: private PostgreSQL at $url"
export YUN_TEST_STORE=$url
if [ -n "${UNIT:-}" ]; then
  echo "== $UNIT (on PostgreSQL)"
  "$UNIT"
fi
# the core scenarios (cam, cvm launch and lifecycle, vpc, cbs, object clients) and the two-process ones,
# YUN_TEST_JOBS at a time (each file's daemons on databases of their own); PG_SDK_TESTS="..." runs any selection
tests=${PG_SDK_TESTS:-tests/sdk/cam.test.js tests/sdk/vpc.test.js tests/sdk/pg_two_processes.test.js tests/sdk/pg_leader.test.js tests/sdk/pg_kill_batch.test.js tests/sdk/pg_retry.test.js tests/sdk/pg_rate.test.js tests/sdk/pg_market_lease.test.js tests/sdk/pg_migrate.test.js tests/sdk/object_clients.test.js tests/sdk/cvm_launch.test.js tests/sdk/cvm_lifecycle.test.js tests/sdk/cvm_placement_groups.test.js tests/sdk/cbs_disks.test.js}
# shellcheck disable=SC2086
node tests/run-sdk.js $tests
# compute outlives a control-plane process: a joined host follows the survivor (about 40 s)
[ -n "${PG_SDK_TESTS:-}" ] || bash tests/pg/host_failover.sh
