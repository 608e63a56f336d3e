#!/usr/bin/env bash
# What the web console needs, installed only when missing (idempotent): Node.js with npm to build
# it, and with --browser Debian's Chromium for the browser tests. npm packages are installed by
# `npm ci` inside console/ (nothing global).
set -euo pipefail
need=()
command -v npm >/dev/null || need+=(nodejs npm)
if [ "${1:-}" = "--browser" ] && [ ! -x /usr/bin/chromium ]; then
  need+=(chromium)
fi
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
  echo "installing: ${need[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
