#!/usr/bin/env bash
# chart-repo as a repository (DESIGN.md §9, issue 7 item 7), release build, loopback only:
#  1. cold hydration of every app the fixture market source lists, for 3 users (the first
#     the admin), every image pushed as a synthetic single-arch image to Debian's
#     docker-registry and mirrored (docker.io, ghcr.io), 8 syncs in flight;
#  2. the same syncs again, one at a time: nothing changed, per-app latency;
#  3. resident memory of the `chart-repo` binary started over a store seeded with
#     5 000 apps x 3 users (copies of the hydrated records), after it loaded them;
#  4. serving throughput against Debian's nginx with ../shared/bench/nginx.conf serving
#     the same bytes (one user's static-index.yaml and one package), same generator
#     (examples/http_load.rs) and flags, alternating, median of rounds.
# Writes the table between the `repo` markers of docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "$0")/.."

shared="${MARKET_SHARED_DIR:-../shared}"
export MARKET_SHARED_DIR="$shared"
target="${CARGO_TARGET_DIR:-target}"
out="${BENCH_OUT:-docs/benchmarks.md}"
apps="${BENCH_REPO_APPS:-5000}"
users="${BENCH_REPO_USERS:-alice,bob,carol}"
in_flight="${BENCH_REPO_IN_FLIGHT:-8}"
connections="${BENCH_LOAD_CONNECTIONS:-32}"
seconds="${BENCH_LOAD_SECONDS:-3}"
rounds="${BENCH_ROUNDS:-3}"
package_app="${BENCH_REPO_PACKAGE_APP:-ollama}"
source_id=market.olares
user="${users%%,*}"

cargo build --release -p chart-repo --bin chart-repo --example repo_bench --example http_load
bin="$target/release/chart-repo"
bench="$target/release/examples/repo_bench"
load="$target/release/examples/http_load"

work=$(mktemp -d -t bench-repo-XXXXXX)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

get() { printf '%s\n' "$1" | awk -v k="$2" '$1 == k {v = $2} END {print v}'; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
rss_mb() { awk '/^VmRSS/ {printf "%.1f", $2/1024}' "/proc/$1/status"; }
hwm_mb() { awk '/^VmHWM/ {printf "%.1f", $2/1024}' "/proc/$1/status"; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; }

# Starts the binary over a data folder; sets repo_pid, repo_url and repo_start_ms (until
# /readyz answers, so the indexes are loaded).
start_repo() {
  local port t0
  port=$(free_port)
  t0=$(date +%s%N)
  CHART_REPO_DATA_DIR="$1" CHART_REPO_LISTEN="127.0.0.1:$port" "$bin" serve \
    >"$1.log" 2>&1 &
  repo_pid=$!
  pids+=("$repo_pid")
  repo_url="http://127.0.0.1:$port"
  for _ in $(seq 600); do
    curl -sf -o /dev/null "$repo_url/readyz" && break
    kill -0 "$repo_pid" 2>/dev/null || { cat "$1.log"; exit 1; }
    sleep 0.1
  done
  curl -sf -o /dev/null "$repo_url/readyz"
  repo_start_ms=$((($(date +%s%N) - t0) / 1000000))
}
stop() { kill "$1"; wait "$1" 2>/dev/null || true; }

echo "== 1, 2: cold hydration and no-change re-sync"
hydrated=$("$bench" hydrate "$work/hydrated" "$users" "$in_flight")
echo "$hydrated"
apps_listed=$(get "$hydrated" apps)
syncs=$(get "$hydrated" syncs)
cold_s=$(awk -v ms="$(get "$hydrated" cold_wall_ms)" 'BEGIN {printf "%.2f", ms / 1000}')

echo "== 3: resident memory over $apps apps per user"
seeded=$("$bench" seed "$work/hydrated" "$work/seeded" "$apps" "$users")
echo "$seeded"
start_repo "$work/seeded"
load_ms=$repo_start_ms
rss_loaded=$(rss_mb "$repo_pid")
index_bytes=0
for u in ${users//,/ }; do
  n=$(curl -sf -H "X-Market-User: $u" -H "X-Market-Source: $source_id" "$repo_url/static-index.yaml" | wc -c)
  index_bytes=$((index_bytes + n))
done
rss_served=$(rss_mb "$repo_pid")
hwm=$(hwm_mb "$repo_pid")
stop "$repo_pid"
echo "loaded in ${load_ms} ms; VmRSS ${rss_loaded} MB after load, ${rss_served} MB after serving ${index_bytes} index bytes; VmHWM ${hwm} MB"

echo "== 4: serving throughput against nginx"
nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)
if [ ! -x "$nginx_bin" ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  # No init script may start a system nginx on port 80 while installing.
  made_policy=""
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
    made_policy=1
  fi
  # nginx-light where the release still ships it, else nginx; the lists refreshed once if
  # neither installs from the ones at hand.
  install_nginx() {
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends nginx-light >/dev/null 2>&1 ||
      DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends nginx >/dev/null
  }
  install_nginx || { apt-get update -q >/dev/null && install_nginx; } || true
  nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)
  [ -n "$made_policy" ] && rm -f /usr/sbin/policy-rc.d
fi
throughput=""
if [ ! -x "$nginx_bin" ]; then
  echo "nginx is not installed and cannot be (apt-get install nginx as root): skipping the serving comparison"
else
  start_repo "$work/hydrated"
  h_user=(-H "X-Market-User: $user" -H "X-Market-Source: $source_id")
  root="$work/nginx"
  mkdir -p "$root/html/charts" "$root/tmp"
  curl -sf "${h_user[@]}" -o "$root/html/static-index.yaml" "$repo_url/static-index.yaml"
  package=$(grep -o "charts/$package_app-[^\"' ]*\.tgz" "$root/html/static-index.yaml" | head -1)
  curl -sf "${h_user[@]}" -o "$root/html/$package" "$repo_url/$package"
  repo_etag=$(curl -sfI "${h_user[@]}" "$repo_url/static-index.yaml" | awk -F': ' 'tolower($1) == "etag" {print $2}' | tr -d '\r')
  port=$(free_port)
  sed "s/127.0.0.1:18080/127.0.0.1:$port/" "$shared/bench/nginx.conf" >"$root/nginx.conf"
  # nginx's workers run as nobody: they must reach the files.
  chmod -R a+rX "$work"
  "$nginx_bin" -c "$root/nginx.conf" -p "$root" -g "daemon off;" 2>"$root/error.log" &
  nginx_pid=$!
  pids+=("$nginx_pid")
  nginx_url="http://127.0.0.1:$port"
  for _ in $(seq 100); do curl -sf -o /dev/null "$nginx_url/static-index.yaml" && break; sleep 0.1; done
  nginx_etag=$(curl -sfI "$nginx_url/static-index.yaml" | awk -F': ' 'tolower($1) == "etag" {print $2}' | tr -d '\r')
  for f in static-index.yaml "$package"; do
    a=$(curl -sf "${h_user[@]}" "$repo_url/$f" | sha256sum)
    b=$(curl -sf "$nginx_url/$f" | sha256sum)
    [ "$a" = "$b" ] || { echo "nginx and chart-repo serve different bytes for $f"; exit 1; }
  done
  index_size=$(stat -c %s "$root/html/static-index.yaml")
  package_size=$(stat -c %s "$root/html/$package")

  # name: server url status headers...
  run_case() {
    "$load" "$2" "$3" "$connections" "$seconds" "${@:4}" | awk '$1 == "rps" {print $2}'
  }
  declare -A rps
  for _ in $(seq "$rounds"); do
    rps[repo_index]+="$(run_case repo "$repo_url/static-index.yaml" 200 "X-Market-User: $user" "X-Market-Source: $source_id") "
    rps[nginx_index]+="$(run_case nginx "$nginx_url/static-index.yaml" 200) "
    rps[repo_304]+="$(run_case repo "$repo_url/static-index.yaml" 304 "X-Market-User: $user" "X-Market-Source: $source_id" "If-None-Match: $repo_etag") "
    rps[nginx_304]+="$(run_case nginx "$nginx_url/static-index.yaml" 304 "If-None-Match: $nginx_etag") "
    rps[repo_package]+="$(run_case repo "$repo_url/$package" 200 "X-Market-User: $user" "X-Market-Source: $source_id") "
    rps[nginx_package]+="$(run_case nginx "$nginx_url/$package" 200) "
  done
  declare -A med
  for k in "${!rps[@]}"; do
    med[$k]=$(printf '%s\n' ${rps[$k]} | median)
    echo "$k: ${rps[$k]}-> median ${med[$k]} req/s"
  done
  stop "$repo_pid"
  stop "$nginx_pid"
  throughput="
Serving, \`http_load\` (examples/http_load.rs: $connections keep-alive connections, closed loop, ${seconds} s after a 0.5 s warm-up, median of $rounds alternating rounds) against the \`chart-repo\` binary (headers \`X-Market-User\`/\`X-Market-Source\`) and Debian's $("$nginx_bin" -v 2>&1 | sed 's/.*version: //') with \`../shared/bench/nginx.conf\`, both serving the same bytes: $user's \`static-index.yaml\` ($index_size bytes, $apps_listed apps) and \`$package\` ($package_size bytes). The generator, the server and nginx share the 2 cores.

| request | chart-repo req/s | nginx req/s | ratio (goal) |
|---|---|---|---|
| index, 200 | ${med[repo_index]} | ${med[nginx_index]} | **$(ratio "${med[repo_index]}" "${med[nginx_index]}")×** (≥ 0.8×) |
| index, 304 (\`If-None-Match\`) | ${med[repo_304]} | ${med[nginx_304]} (304); ${med[nginx_index]} (200) | **$(ratio "${med[repo_304]}" "${med[nginx_index]}")×** nginx's 200s (> 1×); $(ratio "${med[repo_304]}" "${med[nginx_304]}")× nginx's 304s |
| package, 200 | ${med[repo_package]} | ${med[nginx_package]} | **$(ratio "${med[repo_package]}" "${med[nginx_package]}")×** (≥ 0.8×) |
"
fi

mb_ratio() { awk -v a="$1" 'BEGIN {printf "%.2f", a / 200}'; }
cpu=$(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)
table_file=$(mktemp)
cat >"$table_file" <<MD
<!-- repo:start (written by scripts/bench-repo.sh) -->
Machine: $(nproc) cores ($cpu), $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo); load average at the end $(cut -d' ' -f1-3 /proc/loadavg); $(date -u +%Y-%m-%d). Release build.

Hydration: chart-repo in-process (\`App::build\`, $(get "$hydrated" workers) workers, SQLite), the fixture market source listing $apps_listed apps (suspended ones included), users $users (${user} the admin): $syncs syncs, $in_flight in flight. $(get "$hydrated" images) distinct images, each pushed as a synthetic single-arch image to Debian's docker-registry on loopback, mirrored for docker.io and ghcr.io; $(get "$hydrated" cold_images_analyzed) of $(get "$hydrated" cold_images_listed) image analyses in the answers came back analysed, with $(get "$hydrated" registry_requests) registry requests in all. Time in each step, summed over the workers (chart-repo's \`chart_repo_step_duration_seconds\`): rendered_chart $(get "$hydrated" step_ms_rendered_chart) ms, image_analysis $(get "$hydrated" step_ms_image_analysis) ms, database_update $(get "$hydrated" step_ms_database_update) ms, source_chart $(get "$hydrated" step_ms_source_chart) ms. The re-sync sends the same $syncs syncs one at a time.
Memory: the \`chart-repo\` binary started over a store seeded with $apps apps for each of the 3 users ($(get "$seeded" seeded_records) records copied from the hydrated ones, payloads included; $(awk -v b="$(get "$seeded" db_bytes)" 'BEGIN {printf "%.0f", b / 1048576}') MiB of SQLite), VmRSS once \`/readyz\` answers (indexes loaded, ${load_ms} ms after exec) and after each user's index was served once ($index_bytes bytes in all).

| what | measured | goal | measured ÷ goal |
|---|---|---|---|
| cold hydration, $syncs syncs ($(get "$hydrated" cold_as_expected) new) | ${cold_s} s | < 10 s | **$(awk -v s="$cold_s" 'BEGIN {printf "%.2f", s / 10}')** |
| no-change re-sync, per app ($(get "$hydrated" resync_as_expected) of $syncs existing) | median $(get "$hydrated" resync_p50_ms) ms, p99 $(get "$hydrated" resync_p99_ms) ms | < 50 ms | **$(awk -v m="$(get "$hydrated" resync_p99_ms)" 'BEGIN {printf "%.2f", m / 50}')** (p99) |
| resident memory, $apps apps × 3 users, loaded | ${rss_loaded} MB | < 200 MB | **$(mb_ratio "$rss_loaded")** |
| resident memory, after serving the 3 indexes | ${rss_served} MB (peak ${hwm} MB) | < 200 MB | **$(mb_ratio "$rss_served")** |
$throughput<!-- repo:end -->
MD
python3 - "$out" "$table_file" <<'PY'
import re, sys
path, table = sys.argv[1], open(sys.argv[2]).read()
doc = open(path).read()
if "<!-- repo:start" in doc:
    doc = re.sub(r"<!-- repo:start.*?<!-- repo:end -->\n?", table, doc, flags=re.S)
else:
    doc = doc.rstrip("\n") + "\n\n## Chart repository (`scripts/bench-repo.sh`)\n\n" + table
open(path, "w").write(doc)
PY
rm -f "$table_file"
echo "wrote $out"
