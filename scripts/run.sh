#!/usr/bin/env bash
# `make run`: both services on the embedded profile (SQLite files under ./data),
# chart-repo on 127.0.0.1:8082 and market on 127.0.0.1:8080. Ctrl-C stops both.
set -euo pipefail
cd "$(dirname "$0")/.."

cargo build --bin market --bin chart-repo
bin="${CARGO_TARGET_DIR:-target}/debug"

"$bin/chart-repo" serve &
repo=$!
"$bin/market" serve &
market=$!

stop() {
  trap - INT TERM
  kill -TERM "$repo" "$market" 2>/dev/null || true
  wait "$repo" "$market" 2>/dev/null || true
}
trap 'stop; exit 0' INT TERM

cat <<MSG

  market      http://127.0.0.1:8080/app-store/api/v2/version
  chart-repo  http://127.0.0.1:8082/chart-repo/api/v2/version
  data        ./data (delete it to start afresh)

  Ctrl-C stops both.

MSG

# When either service exits (cleanly after Ctrl-C, or by failing), stop the
# other and pass its status on.
status=0
wait -n "$repo" "$market" || status=$?
stop
exit "$status"
