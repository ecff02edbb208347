#!/usr/bin/env bash
# The task engine under load (issue 9 item 6), loopback only: the whole system (market,
# chart-repo, `market source serve` over 4 fixture apps, the app-service simulator) from
# tests/examples/bench_tasks.rs; 200 install requests at once over 50 users, on SQLite
# and on PostgreSQL (+ Redis for chart-repo). Reports tasks/s (first submit → market
# shows every task completed) and submit latency percentiles.
# Writes the section between the `tasks` markers of docs/benchmarks.md.
# BENCH_PROFILE=dev uses the debug build (quicker to build on a busy machine).
set -euo pipefail
cd "$(dirname "$0")/.."

target="${CARGO_TARGET_DIR:-target}"
out="${BENCH_OUT:-docs/benchmarks.md}"
profile="${BENCH_PROFILE:-release}"
users="${BENCH_TASK_USERS:-50}"
requests="${BENCH_TASK_REQUESTS:-200}"
step_ms="${BENCH_TASK_STEP_MS:-20}"
profiles="${BENCH_TASK_PROFILES:-embedded production}"

if [ "$profile" = release ]; then
  cargo build --release -p market -p chart-repo -p e2e --bin market --bin chart-repo --example bench_tasks
  dir="$target/release"
else
  cargo build -p market -p chart-repo -p e2e --bin market --bin chart-repo --example bench_tasks
  dir="$target/debug"
fi

get() { printf '%s\n' "$1" | awk -v k="$2" '$1 == k {v = $2} END {print v}'; }
rows=""
for p in $profiles; do
  echo "== $p"
  result=$(timeout 900 "$dir/examples/bench_tasks" "$p" "$users" "$requests" "$step_ms")
  echo "$result"
  case $p in
    embedded) stores="SQLite / SQLite" ;;
    production) stores="PostgreSQL / Redis" ;;
  esac
  rows+="| $stores | $(get "$result" requests) over $(get "$result" users) users | $(get "$result" completed_s) s | **$(get "$result" tasks_per_s)** | $(get "$result" submit_p50_ms) ms | **$(get "$result" submit_p99_ms) ms** | $(get "$result" submit_wall_ms) ms |
"
done

cpu=$(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)
table_file=$(mktemp)
cat >"$table_file" <<MD
<!-- tasks:start (written by scripts/bench-tasks.sh) -->
Machine: $(nproc) cores ($cpu), shared with other builds; load average at the end $(cut -d' ' -f1-3 /proc/loadavg); $(date -u +%Y-%m-%d). Build: $profile. Market with 8 task workers, the simulator walking each install in 4 steps of $step_ms ms (and downloading, digest-checking and reading each chart from chart-repo before it answers), all processes on the same cores.

| market / chart-repo store | installs | submit → all completed | tasks/s | submit p50 | submit p99 | all submits answered |
|---|---|---|---|---|---|---|
$rows<!-- tasks:end -->
MD
python3 - "$out" "$table_file" <<'PY'
import re, sys
path, table = sys.argv[1], open(sys.argv[2]).read()
doc = open(path).read()
if "<!-- tasks:start" in doc:
    doc = re.sub(r"<!-- tasks:start.*?<!-- tasks:end -->\n?", table, doc, flags=re.S)
else:
    doc = doc.rstrip("\n") + """

## Tasks (`scripts/bench-tasks.sh`)

The task engine end to end: every (user, app) rendered first, then all install requests
sent at once (`POST /apps/{id}/install`, no `sync`), one per (user, app). *Submit* is
the request's round trip (the task is committed before the answer). *Submit → all
completed* runs from the first request until `/tasks` shows every task `completed`,
that is until app-service (the simulator) accepted each, walked it to `running` and
reported it; it is checked once the simulator runs every app, so it includes one round
of `/tasks` reads. No reference implementation is run: these are absolute figures.

""" + table
open(path, "w").write(doc)
PY
rm -f "$table_file"
echo "wrote $out"
