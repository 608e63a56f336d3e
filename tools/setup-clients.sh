#!/usr/bin/env bash
# Installs what the Python and Node clients and their tests need, only when missing (idempotent):
# Debian's Python packages (used with /usr/bin/python3), Debian's protoc and gRPC Python plugin
# (they generate the Python client's code), Node.js, and the Node client's npm packages
# (npm ci, re-run only when package-lock.json changes).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi

packages=(python3-grpcio python3-grpc-tools python3-protobuf python3-pytest python3-numpy python3-matplotlib
          protobuf-compiler protobuf-compiler-grpc nodejs)
# npm may come from elsewhere than Debian's package: only a missing command counts.
command -v npm >/dev/null || packages+=(npm)
need=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "ok installed" || need+=("$package")
done
if [ ${#need[@]} -gt 0 ]; then
  echo "installing: ${need[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

# node_modules/.package-lock.json is written by npm ci: newer than the lock file = up to date.
lock=clients/node/package-lock.json
stamp=clients/node/node_modules/.package-lock.json
if [ ! -f "$stamp" ] || [ "$lock" -nt "$stamp" ]; then
  (cd clients/node && npm ci --no-audit --no-fund --loglevel=error)
fi
