#!/usr/bin/env bash
# Installs what `make test` needs, idempotently: the Debian packages of the test
# peers (only those missing; `apt-get update` at most once), the Helm peer's
# Python venv, the kubernetes-validate and schemathesis venvs, s3s-fs and cargo-nextest.
# Safe to run with no standard input.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(redis-server postgresql docker-registry skopeo python3-venv)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  if [ "$(id -u)" != 0 ]; then
    echo "missing Debian packages: ${missing[*]}; run: sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
  echo "installing ${missing[*]}"
  apt-get update -qq
  # Services must not start on install: the harness starts its own on free ports.
  ours=""
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
    ours=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" </dev/null >/dev/null
  [ -z "$ours" ] || rm -f /usr/sbin/policy-rc.d
fi

shared="${MARKET_SHARED_DIR:-../shared}"
bash "$shared/tools/helm-render/install.sh" </dev/null

# Kubernetes' JSON schemas (PyPI kubernetes-validate bundles them) for the test
# that checks deploy/helm's objects.
kube_venv="${KUBE_VALIDATE_VENV:-$HOME/.cache/olares-market/kube-venv}"
if ! "$kube_venv/bin/kubernetes-validate" --version >/dev/null 2>&1; then
  echo "installing kubernetes-validate into $kube_venv"
  python3 -m venv "$kube_venv"
  "$kube_venv/bin/pip" install -q --disable-pip-version-check "kubernetes-validate==1.37.0" </dev/null
fi

# schemathesis (PyPI) for tests/tests/schemathesis.rs: both OpenAPI documents fuzzed
# against the real binaries. Pinned: its CLI changes between releases.
st_version=4.32.5
st_venv="${SCHEMATHESIS_VENV:-$HOME/.cache/olares-market/schemathesis-venv}"
if [ "$("$st_venv/bin/schemathesis" --version 2>/dev/null)" != "schemathesis, version $st_version" ]; then
  echo "installing schemathesis $st_version into $st_venv"
  python3 -m venv "$st_venv"
  "$st_venv/bin/pip" install -q --disable-pip-version-check "schemathesis==$st_version" </dev/null
fi

# s3s-fs (crates.io), an S3 server over a folder, for the s3:// package store tests
# (chart-repo/tests/api/packages_s3.rs, the two-replica reliability test). Built once
# into ~/.cache (a few minutes on 2 cores), pinned with its own lock file.
s3s_version=0.14.1
tools="$HOME/.cache/olares-market/tools"
if [ "$("$tools/bin/s3s-fs" --version 2>/dev/null)" != "s3s-fs $s3s_version" ]; then
  echo "installing s3s-fs $s3s_version into $tools"
  cargo install --locked --quiet s3s-fs --version "$s3s_version" --features binary \
    --root "$tools" --target-dir "$HOME/.cache/olares-market/s3s-build" </dev/null
  rm -rf "$HOME/.cache/olares-market/s3s-build"
fi

if ! cargo nextest --version >/dev/null 2>&1; then
  echo "installing cargo-nextest"
  cargo install --locked cargo-nextest </dev/null
fi
