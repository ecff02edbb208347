#!/usr/bin/env bash
# Image analysis throughput (DESIGN.md §9, issue 6): 200 distinct single-arch images on
# the real docker-registry on loopback, analysed with a cold cache (median of rounds) and
# a warm one; registry requests per image counted from the registry's own access log.
# Writes the table between the `registry` markers of docs/benchmarks.md. Loopback only.
set -euo pipefail
cd "$(dirname "$0")/.."

target="${CARGO_TARGET_DIR:-target}"
count="${BENCH_REGISTRY_IMAGES:-200}"
rounds="${BENCH_ROUNDS:-3}"
out="${BENCH_OUT:-docs/benchmarks.md}"

cargo build --release -p chart-repo --example registry_bench
result=$("$target/release/examples/registry_bench" "$count" "$rounds")
echo "$result"
get() { printf '%s\n' "$result" | awk -v k="$1" '$1 == k {v = $2} END {print v}'; }
per_image() { awk -v r="$1" -v n="$count" 'BEGIN {printf "%.2f", r / n}'; }
cold_requests=$(get cold_requests)

cpu=$(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)
table_file=$(mktemp)
cat >"$table_file" <<MD
<!-- registry:start (written by scripts/bench-registry.sh) -->
Machine: $(nproc) cores ($cpu), $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo); load average at the end $(cut -d' ' -f1-3 /proc/loadavg); $(date -u +%Y-%m-%d).
$count distinct single-arch images on Debian's docker-registry (loopback, filesystem storage), analysed by
\`Analyzer::analyze_all\` ($(get concurrency) images at once, $(get per_host_concurrency) requests in flight per host). Cold: a new analyzer
and an empty cache, median of $rounds rounds; warm: the same images again within the cache TTL. Requests are
counted from the registry's access log.

| run | images/s | registry requests | per image (goal) |
|---|---|---|---|
| cold cache | **$(get cold_images_per_s)** | $cold_requests | $(per_image "$cold_requests") (≤ 3) |
| warm cache | **$(get warm_images_per_s)** ($(get warm_us_per_image) µs per image) | $(get warm_requests) | $(per_image "$(get warm_requests)") (0) |
| \`skopeo inspect\`, one process per image (first $(get skopeo_images), for scale) | $(get skopeo_images_per_s) | | |
<!-- registry:end -->
MD
python3 - "$out" "$table_file" <<'PY'
import re, sys
path, table = sys.argv[1], open(sys.argv[2]).read()
doc = open(path).read()
if "<!-- registry:start" in doc:
    doc = re.sub(r"<!-- registry:start.*?<!-- registry:end -->\n?", table, doc, flags=re.S)
else:
    doc = doc.rstrip("\n") + "\n\n## Image analysis (`scripts/bench-registry.sh`)\n\n" + table
open(path, "w").write(doc)
PY
rm -f "$table_file"
echo "wrote $out"
