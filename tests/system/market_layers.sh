#!/bin/bash
# The marketplace's shape (src/market/market_int.h): only store.c holds SQL; no market file names
# another service's table — resources are made through the services' own actions (resources.c
# calls api_handle), money moves through billing's functions. No yund runs.
set -uo pipefail
cd "$(dirname "$0")/../.."
status=0
bad=$(grep -nE '"[^"]*\b(SELECT|INSERT INTO|UPDATE [a-z_]+ SET|DELETE FROM)\b' src/market/*.c | grep -v '^src/market/store.c:')
if [ -n "$bad" ]; then
    echo "FAIL: SQL outside src/market/store.c:"
    echo "$bad"
    status=1
fi
grep -qE '\bSELECT\b' src/market/store.c || { echo "FAIL: the pattern no longer matches store.c"; status=1; }
bad=$(grep -nE '\b(FROM|INTO|UPDATE|JOIN) +(instances|vpcs|subnets|security_groups|addresses|cbs_disks|billing_[a-z_]+|meter_[a-z_]+|partner_[a-z_]+)\b' src/market/*.c)
if [ -n "$bad" ]; then
    echo "FAIL: market names another service's table:"
    echo "$bad"
    status=1
fi
grep -q 'api_handle' src/market/resources.c || { echo "FAIL: resources.c no longer goes through the action table"; status=1; }
[ $status = 0 ] && echo "market layers: ok"
exit $status
