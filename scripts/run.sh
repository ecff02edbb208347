#!/usr/bin/env bash
# `make run`: both services on the embedded profile (SQLite files under ./data),
# chart-repo on 127.0.0.1:8082 and market on 127.0.0.1:8080, and the demo catalog
# (examples/catalog) published by `market source serve` on 127.0.0.1:8090 as the
# market's remote source. Nothing leaves this machine: image analysis may contact
# no registry (CHART_REPO_REGISTRY_ALLOW is empty). Ctrl-C stops all three.
set -euo pipefail
cd "$(dirname "$0")/.."

cargo build --bin market --bin chart-repo
bin="${CARGO_TARGET_DIR:-target}/debug"

"$bin/market" source serve --dir examples/catalog --listen 127.0.0.1:8090 &
source=$!
CHART_REPO_REGISTRY_ALLOW="${CHART_REPO_REGISTRY_ALLOW-}" "$bin/chart-repo" serve &
repo=$!
MARKET_REMOTE_SOURCE_URL="${MARKET_REMOTE_SOURCE_URL:-http://127.0.0.1:8090}" \
MARKET_USERS="${MARKET_USERS:-admin:admin,alice}" "$bin/market" serve &
market=$!

stop() {
  trap - INT TERM
  kill -TERM "$source" "$repo" "$market" 2>/dev/null || true
  wait "$source" "$repo" "$market" 2>/dev/null || true
}
trap 'stop; exit 0' INT TERM

cat <<MSG

  market      http://127.0.0.1:8080/app-store/api/v2/market/data  (header X-Bfl-User: admin)
  API docs    http://127.0.0.1:8080/docs
  chart-repo  http://127.0.0.1:8082/u/admin/market.olares/index.yaml
  source      http://127.0.0.1:8090/api/v1/appstore/info  (examples/catalog)
  data        ./data (delete it to start afresh)

  Ctrl-C stops all three.

MSG

# When either service exits (cleanly after Ctrl-C, or by failing), stop the
# other and pass its status on.
status=0
wait -n "$source" "$repo" "$market" || status=$?
stop
exit "$status"
