#!/usr/bin/env bash
# make test's phase clock. `tests/timed.sh LABEL CMD...` runs CMD, prints "== LABEL: N s" and appends
# "N LABEL" to $YUN_TEST_TIMES (when set); `tests/timed.sh --report` prints what was recorded, the
# phases in order, then the ten slowest SDK files and system tests, and the total.
set -uo pipefail
if [ "${1:-}" = "--report" ]; then
  f=${YUN_TEST_TIMES:?}
  [ -s "$f" ] || exit 0
  echo "== make test phases (s):"
  grep -v ' [a-z]*:*tests/' "$f" | awk '{ printf "  %7.1f  %s\n", $1, $2; t += $1 } END { printf "  %7.1f  total\n", t }'
  echo "== the ten slowest test files (s):"
  grep ' [a-z]*:*tests/' "$f" | sort -rn | head -10 | awk '{ printf "  %7.1f  %s\n", $1, $2 }'
  exit 0
fi
label=$1
shift
t0=$EPOCHREALTIME
"$@"
rc=$?
s=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { print b - a }')
printf '== %s: %.1f s%s\n' "$label" "$s" "$([ $rc -eq 0 ] || echo " FAILED ($rc)")"
[ -z "${YUN_TEST_TIMES:-}" ] || printf '%.1f %s\n' "$s" "$label" >>"$YUN_TEST_TIMES"
exit $rc
