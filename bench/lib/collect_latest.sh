#!/usr/bin/env bash
# Makes bench/results/latest.md the one record of a `make bench` run: appends the reports the other benchmark
# scripts of the run wrote (by default bench/results/https.md: HTTPS and handshakes, and bench/results/cache.md:
# the tile cache and its hit ceiling) as sections after bench/run's own report.
#
# Usage: bench/lib/collect_latest.sh [LATEST [REPORT...]]
#
# Idempotent: what an earlier call appended (everything after the marker line) is replaced. A report older than
# bench/run's report (its "- date:" line) is from another run: it is named but not copied. Headings of the
# reports go down one level, so latest.md keeps one title. Each script still writes its own file as before.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
LATEST=${1:-$ROOT/bench/results/latest.md}
shift || true
REPORTS=("$@")
[ ${#REPORTS[@]} -gt 0 ] || REPORTS=("$ROOT/bench/results/https.md" "$ROOT/bench/results/cache.md")
MARKER='<!-- bench/lib/collect_latest.sh: the other reports of this run follow -->'

[ -f "$LATEST" ] || { echo "collect_latest: $LATEST not found (run bench/run first)" >&2; exit 1; }
# When bench/run wrote its report: a report written before that is not from this run.
run_date=$(sed -n 's/^- date: \(.*\)$/\1/p' "$LATEST" | head -1)
since=0
if [ -n "$run_date" ]; then since=$(date -d "$run_date" +%s 2>/dev/null || echo 0); fi

tmp=$(mktemp "$LATEST.XXXXXX")
trap 'rm -f "$tmp"' EXIT
awk -v m="$MARKER" '$0 == m { exit } { print }' "$LATEST" | sed -e :a -e '/^\n*$/{$d;N;ba' -e '}' >"$tmp"
{
  echo
  echo "$MARKER"
  for r in "${REPORTS[@]}"; do
    rel=${r#"$ROOT"/}
    echo
    if [ ! -s "$r" ]; then
      echo "## $rel"
      echo
      echo "Not written in this run."
      continue
    fi
    # bench/run's date has minute resolution: allow the minute it was written in.
    if [ "$(stat -c %Y "$r")" -lt "$since" ]; then
      echo "## $rel"
      echo
      echo "Older than this run ($(date -u -d "@$(stat -c %Y "$r")" '+%Y-%m-%d %H:%M UTC')): not included."
      continue
    fi
    # Headings one level down (outside code fences), and where the section comes from under its title.
    awk -v src="$rel" '
      /^```/ { fence = !fence }
      !fence && /^#+ / { print "#" $0; if (!titled) { print ""; print "From `" src "` of the same run."; titled = 1 }; next }
      { print }
    ' "$r"
  done
} >>"$tmp"
cat "$tmp" >"$LATEST"
echo "collect_latest: appended ${REPORTS[*]#"$ROOT"/} to ${LATEST#"$ROOT"/}" >&2
