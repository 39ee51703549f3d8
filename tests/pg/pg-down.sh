#!/usr/bin/env bash
# Stops the private PostgreSQL tests/pg/pg-up.sh started in DIR and removes DIR.
set -uo pipefail
dir=$1
[ -d "$dir/data" ] || exit 0
bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
as=()
[ "$(id -u)" -eq 0 ] && as=(runuser -u nobody --)
"${as[@]}" "$bindir/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1
rm -rf "$dir"
