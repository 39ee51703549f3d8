#!/usr/bin/env bash
# SQLite vs PostgreSQL on the API path, in one run (see bench/api-store.js): starts a private
# PostgreSQL (tests/pg/pg-up.sh), runs the load on each store, stops it. Starts host-role yunds:
# one benchmark at a time per machine.   bench/api-store.sh   (env: SECONDS_EACH=5 CONNS=16 YUN_BIN)
set -euo pipefail
cd "$(dirname "$0")/.."
export YUN_BIN=${YUN_BIN:-$PWD/build/yun}
dir=$(mktemp -d /tmp/yun-pg-bench.XXXXXX)
trap 'tests/pg/pg-down.sh "$dir"' EXIT
YUN_TEST_STORE=$(tests/pg/pg-up.sh "$dir")
export YUN_TEST_STORE
echo "# $(date -u +%FT%TZ) commit $(git log -1 --format=%h) on $(nproc) cpus, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== DescribeZones (wrk, pre-signed) on SQLite"
CONNS=${WRK_CONNS:-"1 16"} DURATION=${DURATION:-5s} bench/api-describe-zones.sh
psql -q "$YUN_TEST_STORE" -c "CREATE DATABASE bench_zones"
echo "== DescribeZones (wrk, pre-signed) on PostgreSQL"
STORE=${YUN_TEST_STORE/\/yun\?//bench_zones?} CONNS=${WRK_CONNS:-"1 16"} DURATION=${DURATION:-5s} bench/api-describe-zones.sh
echo "== SDK clients"
node bench/api-store.js
