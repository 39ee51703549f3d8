#!/usr/bin/env bash
# Starts a private PostgreSQL for tests and prints its URL: initdb into a new directory (or $1),
# owned by an unprivileged user when run as root, listening only on a unix socket in that directory
# (no TCP port, never the system service). Stop it with tests/pg/pg-down.sh DIR.
#   url=$(tests/pg/pg-up.sh)        -> postgresql://yun@/yun?host=/tmp/yun-pg.XXXX
set -euo pipefail
bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -x "$bindir/initdb" ] || { echo "pg-up: PostgreSQL server binaries not installed (apt install postgresql-15)" >&2; exit 3; }
dir=${1:-$(mktemp -d /tmp/yun-pg.XXXXXX)}
mkdir -p "$dir"
as=()
if [ "$(id -u)" -eq 0 ]; then
  chown nobody: "$dir"
  as=(runuser -u nobody --)
fi
"${as[@]}" "$bindir/initdb" -D "$dir/data" -U yun -A trust -E UTF8 --locale=C.UTF-8 --no-sync >"$dir/initdb.log" 2>&1 ||
  { cat "$dir/initdb.log" >&2; exit 1; }
# fsync stays on: a commit that returned is on disk, as with SQLite's synchronous=FULL
"${as[@]}" "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 \
  -o "-c listen_addresses='' -k $dir -c max_connections=300 -c shared_buffers=64MB" start >/dev/null ||
  { cat "$dir/server.log" >&2; exit 1; }
"${as[@]}" "$bindir/createdb" -h "$dir" -U yun yun
echo "postgresql://yun@/yun?host=$dir"
