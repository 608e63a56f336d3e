#!/usr/bin/env bash
# Installs what the Python and Node clients and their tests need, only when missing (idempotent):
# Debian's Python packages (used with /usr/bin/python3), Debian's protoc and gRPC Python plugin
# (they generate the Python client's code, and a test checks the committed code against them),
# pip, setuptools and venv (a test installs the Python package into a fresh venv, offline), torch
# (the end-to-end example's test exports its own model), openssl (the TLS test makes a CA),
# Node.js, and the Node client's npm packages (npm ci, re-run only when package-lock.json changes).
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(python3-grpcio python3-grpc-tools python3-protobuf python3-pytest python3-numpy python3-matplotlib
          python3-pip python3-setuptools python3-venv python3-torch libopenblas0 openssl
          protobuf-compiler protobuf-compiler-grpc nodejs)
# npm may come from elsewhere than Debian's package: only a missing command counts.
command -v npm >/dev/null || packages+=(npm)
need=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "ok installed" || need+=("$package")
done
tools/apt-install.sh "${need[@]}"

# node_modules/.package-lock.json is written by npm ci: newer than the lock file = up to date.
lock=clients/node/package-lock.json
stamp=clients/node/node_modules/.package-lock.json
# npm ci deletes node_modules first: two runs at once would delete each other's files, so they
# take turns on an flock of the directory, and the second finds the first's install up to date.
stale() { [ ! -f "$stamp" ] || [ "$lock" -nt "$stamp" ]; }
if stale; then
  (
    flock 9
    if stale; then
      cd clients/node && npm ci --no-audit --no-fund --loglevel=error
    fi
  ) 9<clients/node
fi
