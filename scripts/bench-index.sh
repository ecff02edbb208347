#!/usr/bin/env bash
# Repository index speed: `chart-repo index --dir` against the real Helm library's
# `repo_index_generate` (what `helm repo index` runs) on the same folder of 5 000
# packages, made once from the Olares fixtures by renaming and re-versioning. Rounds
# alternate the two; medians of whole-process wall time go into docs/benchmarks.md,
# with the cost of writing 5 000 in-memory entries (cold, and after one added version).
# Loopback only: nothing leaves the machine.
set -euo pipefail
cd "$(dirname "$0")/.."

shared="${MARKET_SHARED_DIR:-../shared}"
target="${CARGO_TARGET_DIR:-target}"
count="${BENCH_INDEX_PACKAGES:-5000}"
rounds="${BENCH_ROUNDS:-5}"
out="${BENCH_OUT:-docs/benchmarks.md}"
folder="${BENCH_INDEX_DIR:-$HOME/.cache/olares-market/bench/index-$count}"
python="${HELM_VENV:-$HOME/.cache/helm-venv}/bin/python"

cargo build --release -p chart-repo
cargo build --release -p helm-index --example index_bench
ours="$target/release/chart-repo"
helper="$target/release/examples/index_bench"

if [ ! -f "$folder/.complete" ]; then
  rm -rf "$folder"
  mapfile -t apps < <(find "$shared/fixtures/charts/olares" -mindepth 2 -maxdepth 2 -name Chart.yaml -printf '%h\n' | sort)
  "$helper" generate "$folder" "$count" "${apps[@]}"
  touch "$folder/.complete"
fi

script=$(mktemp --suffix=.py)
printf 'import sys\nimport helm_python as h\nh.repo_index_generate(sys.argv[1])\n' >"$script"
wall_ms() { local t0 t1; t0=$(date +%s%N); "$@" >/dev/null; t1=$(date +%s%N); echo $(((t1 - t0) / 1000000)); }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

h_all=""; o_all=""
for _ in $(seq "$rounds"); do
  h_all+="$(wall_ms "$python" "$script" "$folder")"$'\n'
  o_all+="$(wall_ms "$ours" index --dir "$folder")"$'\n'
done
rm -f "$script"
h=$(printf '%s' "$h_all" | median); o=$(printf '%s' "$o_all" | median)
ratio=$(awk -v h="$h" -v o="$o" 'BEGIN {printf "%.1f", h / o}')
echo "helm repo index: ${h} ms, chart-repo index: ${o} ms, ${ratio}×"

ser=$("$helper" serialize "$folder" 11)
get() { printf '%s\n' "$ser" | awk -v k="$1" '$1 == k {print $2}'; }
ms() { awk -v x="$1" 'BEGIN {printf "%.2f", x / 1e6}'; }

cpu=$(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)
table_file=$(mktemp)
cat >"$table_file" <<MD
<!-- index:start (written by scripts/bench-index.sh) -->
Machine: $(nproc) cores ($cpu), $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo); load average at the end $(cut -d' ' -f1-3 /proc/loadavg); $(date -u +%Y-%m-%d).
A folder of $count packages ($(du -sh --exclude=index.yaml "$folder" | cut -f1)), median of $rounds alternating rounds of whole-process wall time.

| what | Helm (repo_index_generate) | chart-repo | speed-up |
|---|---|---|---|
| index a folder of $count packages | ${h} ms | ${o} ms | **${ratio}×** |

Writing $(get entries) in-memory entries ($(get bytes) bytes of index.yaml), median of 11: building the model $(ms "$(get build_ns)") ms;
serializing it all cold $(ms "$(get serialize_cold_ns)") ms; adding one version and serializing again (the other charts' text cached) $(ms "$(get add_and_serialize_ns)") ms.
<!-- index:end -->
MD
python3 - "$out" "$table_file" <<'PY'
import re, sys
path, table = sys.argv[1], open(sys.argv[2]).read()
doc = open(path).read()
if "<!-- index:start" in doc:
    doc = re.sub(r"<!-- index:start.*?<!-- index:end -->\n?", table, doc, flags=re.S)
else:
    doc = doc.rstrip("\n") + "\n\n## Repository index (`chart-repo index`)\n\n" + table
open(path, "w").write(doc)
PY
rm -f "$table_file"
echo "wrote $out"
