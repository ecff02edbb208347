#!/usr/bin/env bash
# The market over a 5 000-app catalog (DESIGN.md §9, issue 8 item 8), loopback only.
#
# What runs, and why this way: the catalog is real and synced for real. A source folder of
# 5 000 apps (renamed copies of the fixture apps a market keeps, market/examples/
# market_bench.rs `generate`) is published by the real `market source serve`; chart-repo
# (the real binary, registries refused so image analysis ends at once) gets the sources.
# The syncer's own round (`push_sources` + `sync_once`, called from the example on the
# market built by `App::build`, as `main` builds it) stores the catalog cold, then runs
# again with nothing changed: the no-change sync figure. A sync after the stored hash was
# moved (every app fetched and compared again, none changed) is reported beside it.
# What each user sees is what chart-repo rendered for them: one copy of each fixture app is
# rendered by chart-repo for the bench user, and every other app is stored ready with its
# template's payload renamed, through the store call the hydration driver makes
# (`put_user_app_ready`): rendering 5 000 apps would take the bench many minutes and
# measures chart-repo (scripts/bench-repo.sh), not the market. Then the `market` binary
# serves that store (SQLite, the embedded profile) with its background loops running, and
# examples/http_load.rs (chart-repo's) drives it and Debian's nginx with
# ../shared/bench/nginx.conf, serving the same answer bytes as static files: 64 keep-alive
# connections, alternating rounds, medians. Requests: `GET /market/hash`, `POST /apps`
# (10 apps; nginx serves the same answer to a GET), `GET /market/data` (200, as MB/s) and
# its 304 (`If-None-Match`).
#
# Writes the section between the `market` markers of docs/benchmarks.md.
# BENCH_PROFILE=dev uses the debug build (quicker to build on a busy machine).
set -euo pipefail
shopt -s inherit_errexit
cd "$(dirname "$0")/.."

shared="${MARKET_SHARED_DIR:-../shared}"
export MARKET_SHARED_DIR="$shared"
target="${CARGO_TARGET_DIR:-target}"
out="${BENCH_OUT:-docs/benchmarks.md}"
profile="${BENCH_PROFILE:-release}"
apps="${BENCH_MARKET_APPS:-5000}"
user="${BENCH_MARKET_USER:-alice}"
sync_rounds="${BENCH_MARKET_SYNC_ROUNDS:-20}"
connections="${BENCH_LOAD_CONNECTIONS:-64}"
seconds="${BENCH_LOAD_SECONDS:-3}"
# A whole /market/data answer takes the market far longer than the others: fewer
# connections and a longer run, so each counts answers to requests sent after the warm-up
# (its MB/s does not depend on the connections once both cores are busy).
data_connections="${BENCH_MARKET_DATA_CONNECTIONS:-4}"
data_seconds="${BENCH_MARKET_DATA_SECONDS:-10}"
rounds="${BENCH_ROUNDS:-3}"
source_id=market.olares
token=bench-token

build=(-p market -p chart-repo --bin market --bin chart-repo --example market_bench --example http_load)
if [ "$profile" = release ]; then
  cargo build --release "${build[@]}"
  dir="$target/release"
else
  cargo build "${build[@]}"
  dir="$target/debug"
fi
work=$(mktemp -d -t bench-market-XXXXXX)
# Copies, so a build in the same target directory during the run cannot swap them.
mkdir -p "$work/bin"
cp "$dir/market" "$dir/chart-repo" "$dir/examples/market_bench" "$dir/examples/http_load" "$work/bin/"
market="$work/bin/market"
chart_repo="$work/bin/chart-repo"
bench="$work/bin/market_bench"
load="$work/bin/http_load"

pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

get() { printf '%s\n' "$1" | awk -v k="$2" '$1 == k {v = $2} END {print v}'; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; }
ms() { awk -v us="$1" 'BEGIN {printf "%.2f", us / 1000}'; }
# Polls URL until it answers 2xx, for at most $2 seconds, while PID $3 lives.
wait_for() {
  local deadline=$((SECONDS + $2))
  until curl -sf -o /dev/null "$1"; do
    kill -0 "$3" 2>/dev/null || { echo "process $3 exited before $1 answered"; return 1; }
    [ "$SECONDS" -lt "$deadline" ] || { echo "$1 did not answer within $2 s"; return 1; }
    sleep 0.2
  done
}
stop() { kill "$1"; wait "$1" 2>/dev/null || true; }

echo "== source: $apps apps"
generated=$("$bench" generate "$work/source" "$apps")
echo "$generated"
port=$(free_port)
source_url="http://127.0.0.1:$port"
t0=$(date +%s%N)
"$market" source serve --dir "$work/source" --listen "127.0.0.1:$port" >"$work/source.log" 2>&1 &
source_pid=$!
pids+=("$source_pid")
wait_for "$source_url/api/v1/appstore/hash" 1800 "$source_pid" || { tail -20 "$work/source.log"; exit 1; }
source_open_s=$(awk -v ns="$(($(date +%s%N) - t0))" 'BEGIN {printf "%.1f", ns / 1e9}')
echo "source serving after ${source_open_s} s"

echo "== chart-repo"
port=$(free_port)
repo_url="http://127.0.0.1:$port"
mkdir -p "$work/chart-repo"
CHART_REPO_DATA_DIR="$work/chart-repo" CHART_REPO_LISTEN="127.0.0.1:$port" CHART_REPO_WORKERS=2 \
  CHART_REPO_REGISTRY_ALLOW="" CHART_REPO_API_TOKEN="$token" \
  "$chart_repo" serve >"$work/chart-repo.log" 2>&1 &
repo_pid=$!
pids+=("$repo_pid")
wait_for "$repo_url/readyz" 120 "$repo_pid" || { tail -20 "$work/chart-repo.log"; exit 1; }

echo "== syncs and seeding"
mkdir -p "$work/market"
seeded=$("$bench" seed "$work/market/market.db" "$source_url" "$repo_url" "$token" "$user" "$sync_rounds")
echo "$seeded"

echo "== market serving"
port=$(free_port)
market_url="http://127.0.0.1:$port"
api="$market_url/app-store/api/v2"
MARKET_LISTEN="127.0.0.1:$port" MARKET_DATA_DIR="$work/market" \
  MARKET_DATABASE_URL="sqlite://$work/market/market.db" MARKET_USERS="$user:admin" \
  MARKET_REMOTE_SOURCE_URL="$source_url" MARKET_CHART_REPO_URL="$repo_url" \
  MARKET_CHART_REPO_TOKEN="$token" MARKET_APP_SERVICE_URL="http://127.0.0.1:9" \
  "$market" serve >"$work/market.log" 2>&1 &
market_pid=$!
pids+=("$market_pid")
wait_for "$market_url/readyz" 120 "$market_pid" || { tail -20 "$work/market.log"; exit 1; }
h_user=(-H "X-Bfl-User: $user")
apps_body="$work/market/apps.json"
# Every app the bench asks for is rendered, and /market/data lists them all.
found=$(curl -sf "${h_user[@]}" -H 'Content-Type: application/json' --data-binary "@$apps_body" "$api/apps" |
  python3 -c 'import json,sys; d=json.load(sys.stdin)["data"]; print(d["total_count"], len(d["not_found"]))')
[ "$found" = "10 0" ] || { echo "POST /apps found/not found: $found"; exit 1; }

nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)
[ -x "$nginx_bin" ] || { echo "nginx is not installed (apt-get install nginx-light, or run scripts/bench-repo.sh as root once)"; exit 1; }
root="$work/nginx"
mkdir -p "$root/html" "$root/tmp"
curl -sf "${h_user[@]}" -o "$root/html/hash.json" "$api/market/hash"
curl -sf "${h_user[@]}" -H 'Content-Type: application/json' --data-binary "@$apps_body" -o "$root/html/apps.json" "$api/apps"
curl -sf "${h_user[@]}" -D "$work/data.head" -o "$root/html/data.json" "$api/market/data"
data_etag=$(awk -F': ' 'tolower($1) == "etag" {print $2}' "$work/data.head" | tr -d '\r')
listed=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1]))["data"]["user_data"]["sources"]; print(sum(len(s["app_info_latest"]) for s in d.values()))' "$root/html/data.json")
port=$(free_port)
sed "s/127.0.0.1:18080/127.0.0.1:$port/" "$shared/bench/nginx.conf" >"$root/nginx.conf"
# nginx's workers run as nobody: they must reach the files.
chmod -R a+rX "$work"
"$nginx_bin" -c "$root/nginx.conf" -p "$root" -g "daemon off;" 2>"$root/error.log" &
nginx_pid=$!
pids+=("$nginx_pid")
nginx_url="http://127.0.0.1:$port"
wait_for "$nginx_url/hash.json" 30 "$nginx_pid"
nginx_etag=$(curl -sfI "$nginx_url/data.json" | awk -F': ' 'tolower($1) == "etag" {print $2}' | tr -d '\r')
size() { stat -c %s "$root/html/$1"; }

# case name, then http_load's arguments: one line "rps p50_us p99_us mb_per_s".
run_case() {
  local r
  r=$("$load" "$@")
  echo "$(get "$r" rps) $(get "$r" p50_us) $(get "$r" p99_us) $(get "$r" mb_per_s)"
}
declare -A runs
cases=(market_hash nginx_hash market_apps nginx_apps market_data nginx_data market_304 nginx_304)
for round in $(seq "$rounds"); do
  echo "== round $round of $rounds (load average $(cut -d' ' -f1 /proc/loadavg))"
  for c in "${cases[@]}"; do
    case $c in
      market_hash) args=("$api/market/hash" 200 "$connections" "$seconds" "X-Bfl-User: $user") ;;
      nginx_hash) args=("$nginx_url/hash.json" 200 "$connections" "$seconds") ;;
      market_apps) args=(--post "$apps_body" "$api/apps" 200 "$connections" "$seconds" "X-Bfl-User: $user") ;;
      nginx_apps) args=("$nginx_url/apps.json" 200 "$connections" "$seconds") ;;
      market_data) args=("$api/market/data" 200 "$data_connections" "$data_seconds" "X-Bfl-User: $user") ;;
      nginx_data) args=("$nginx_url/data.json" 200 "$data_connections" "$data_seconds") ;;
      market_304) args=("$api/market/data" 304 "$connections" "$seconds" "X-Bfl-User: $user" "If-None-Match: $data_etag") ;;
      nginx_304) args=("$nginx_url/data.json" 304 "$connections" "$seconds" "If-None-Match: $nginx_etag") ;;
    esac
    line=$(run_case "${args[@]}")
    echo "$c: $line"
    runs[$c]+="$line"$'\n'
  done
done
# Median over the rounds of one column (1 rps, 2 p50, 3 p99, 4 MB/s) of a case.
med() { printf '%s' "${runs[$1]}" | awk -v k="$2" 'NF {print $k}' | median; }
rss_mb=$(awk '/^VmRSS/ {printf "%.0f", $2/1024}' "/proc/$market_pid/status")
stop "$market_pid"
stop "$nginx_pid"

goal() { awk -v us="$1" 'BEGIN {print (us < 5000) ? "met" : "**missed**"}'; }
row() { # label, market case, nginx case, goal text
  local m=$2 n=$3
  echo "| $1 | $(med "$m" 1) | $(ms "$(med "$m" 2)") / **$(ms "$(med "$m" 3)")** ms | $(med "$n" 1) | $(ms "$(med "$n" 2)") / $(ms "$(med "$n" 3)") ms | $(ratio "$(med "$m" 1)" "$(med "$n" 1)")× | $(ratio "$(med "$m" 3)" "$(med "$n" 3)")× | $4 |"
}
sync_p50=$(get "$seeded" sync_unchanged_p50_ms)
sync_max=$(get "$seeded" sync_unchanged_max_ms)
sync_goal=$(awk -v m="$sync_max" 'BEGIN {print (m < 200) ? "met" : "**missed**"}')
cpu=$(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)
table_file=$(mktemp)
cat >"$table_file" <<MD
<!-- market:start (written by scripts/bench-market.sh) -->
Machine: $(nproc) cores ($cpu), $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), shared with other builds; load average at the end $(cut -d' ' -f1-3 /proc/loadavg); $(date -u +%Y-%m-%d). Build: $profile.

Catalog: $(get "$seeded" catalog_apps) apps (renamed copies of the $(get "$generated" templates) fixture apps a market keeps) published by \`market source serve\` (serving ${source_open_s} s after exec), all stored ready for $user: $(get "$seeded" templates_rendered) rendered by chart-repo, the others with their template's payload renamed (median payload $(get "$seeded" payload_p50_bytes) bytes, $(awk -v b="$(get "$seeded" payload_total_bytes)" 'BEGIN {printf "%.0f", b / 1048576}') MiB in all). The market binary's VmRSS after the load: ${rss_mb} MB.

| sync round (\`push_sources\` + \`sync_once\`) | median | slowest | goal |
|---|---|---|---|
| no change: the source's hash is the stored one ($(get "$seeded" sync_unchanged_rounds) rounds) | $sync_p50 ms | **$sync_max ms** | < 200 ms: $sync_goal |
| hash moved, no app changed: $(get "$seeded" catalog_apps) apps fetched (listing + details in batches of 10) and compared, nothing written ($(get "$seeded" sync_moved_rounds) rounds) | $(get "$seeded" sync_moved_p50_ms) ms | $(get "$seeded" sync_moved_max_ms) ms | (none) |
| cold: every app new | $(get "$seeded" sync_cold_ms) ms | | (none) |

Serving, \`http_load\` ($connections keep-alive connections, closed loop, ${seconds} s after a 0.5 s warm-up, median of $rounds alternating rounds) against the \`market\` binary (\`X-Bfl-User: $user\`) and Debian's $("$nginx_bin" -v 2>&1 | sed 's/.*version: //') with \`../shared/bench/nginx.conf\` serving the market's answer bytes as static files: \`/market/hash\` ($(size hash.json) bytes), the \`POST /apps\` answer for 10 apps ($(size apps.json) bytes; nginx answers a GET), \`/market/data\` ($(size data.json) bytes, $listed apps). The generator, the market (and its idle chart-repo and source) and nginx share the 2 cores.

| request | market req/s | market p50 / p99 | nginx req/s | nginx p50 / p99 | req/s ratio | p99 ratio | goal (p99 < 5 ms) |
|---|---|---|---|---|---|---|---|
$(row "\`GET /market/hash\`" market_hash nginx_hash "$(goal "$(med market_hash 3)")")
$(row "\`POST /apps\`, 10 apps" market_apps nginx_apps "$(goal "$(med market_apps 3)")")
$(row "\`GET /market/data\`, 304" market_304 nginx_304 "(p99 reported)")
$(row "\`GET /market/data\`, 200 ($data_connections connections)" market_data nginx_data "(MB/s below)")

\`/market/data\` throughput ($data_connections connections, ${data_seconds} s): market **$(med market_data 4) MB/s**, nginx $(med nginx_data 4) MB/s of the same bytes: **$(ratio "$(med market_data 4)" "$(med nginx_data 4)")×**.
<!-- market:end -->
MD
python3 - "$out" "$table_file" <<'PY'
import re, sys
path, table = sys.argv[1], open(sys.argv[2]).read()
doc = open(path).read()
if "<!-- market:start" in doc:
    doc = re.sub(r"<!-- market:start.*?<!-- market:end -->\n?", table, doc, flags=re.S)
else:
    doc = doc.rstrip("\n") + "\n\n## Market catalog (`scripts/bench-market.sh`)\n\n" + table
open(path, "w").write(doc)
PY
rm -f "$table_file"
echo "wrote $out"
