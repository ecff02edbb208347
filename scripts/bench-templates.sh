#!/usr/bin/env bash
# Template execution speed: `chart-repo render --repeat N` against the Go
# oracle (`helm-render-oracle --repeat N`, Go text/template + Sprig as Helm
# uses them), both parsing once and executing every template N times.
# Rounds alternate the two tools; the medians and their ratio go into
# docs/benchmarks.md. Loopback only: nothing leaves the machine.
set -euo pipefail
cd "$(dirname "$0")/.."

shared="${MARKET_SHARED_DIR:-../shared}"
fixtures="$shared/fixtures"
target="${CARGO_TARGET_DIR:-target}"
bin_dir="${BENCH_BIN_DIR:-$HOME/.cache/olares-market/bin}"
rounds="${BENCH_ROUNDS:-5}"
out="${BENCH_OUT:-docs/benchmarks.md}"

cargo build --release -p chart-repo
ours="$target/release/chart-repo"
mkdir -p "$bin_dir"
oracle="$bin_dir/helm-render-oracle"
[ -x "$oracle" ] || bash "$shared/tools/helm-render-oracle/build.sh" "$oracle"

values="$fixtures/values/olares-user.yaml"
# name | chart | repeat | extra arguments
cases=(
  "windowsarm (small Olares app)|olares/windowsarm|2000|--values $values"
  "difyv3 (large Olares app)|olares/difyv3|300|--values $values"
  "bitnami nginx, tls.enabled=false|helm/nginx|100|--set-json tls.enabled=false"
  "prometheus (4 subcharts)|helm/prometheus|50|"
)

ns() { # tool chart repeat args... → ns per iteration
  local tool=$1 chart=$2 repeat=$3; shift 3
  "$tool" "$@" --repeat "$repeat" "$fixtures/charts/$chart" 2>&1 >/dev/null | sed -n 's/^render_ns_per_iter: //p'
}
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

rows=""
for case in "${cases[@]}"; do
  IFS='|' read -r name chart repeat args <<<"$case"
  o_all=""; r_all=""
  for _ in $(seq "$rounds"); do
    # shellcheck disable=SC2086
    o_all+="$(ns "$oracle" "$chart" "$repeat" $args)"$'\n'
    # shellcheck disable=SC2086
    r_all+="$(ns "$ours" "$chart" "$repeat" render $args)"$'\n'
  done
  o=$(printf '%s' "$o_all" | median); r=$(printf '%s' "$r_all" | median)
  ratio=$(awk -v o="$o" -v r="$r" 'BEGIN {printf "%.2f", o / r}')
  line="| $name | $repeat | $(awk -v x="$o" 'BEGIN {printf "%.1f", x/1000}') | $(awk -v x="$r" 'BEGIN {printf "%.1f", x/1000}') | **${ratio}×** |"
  echo "$line"
  rows+="$line"$'\n'
done

cpu=$(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)
table_file=$(mktemp)
cat > "$table_file" <<MD
<!-- templates:start (written by scripts/bench-templates.sh) -->
Machine: $(nproc) cores ($cpu), $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo); $(date -u +%Y-%m-%d).
Median of $rounds alternating rounds; µs per execution of every template of the chart.

| chart | repeat | Go oracle µs | chart-repo µs | speed-up (oracle ÷ ours) |
|---|---|---|---|---|
${rows}<!-- templates:end -->
MD
python3 - "$out" "$table_file" <<'PY'
import re, sys
path, table = sys.argv[1], open(sys.argv[2]).read()
doc = open(path).read()
doc = re.sub(r"<!-- templates:start.*?<!-- templates:end -->\n?", table, doc, flags=re.S)
open(path, "w").write(doc)
PY
rm -f "$table_file"
echo "wrote $out"
