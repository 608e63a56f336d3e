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
"$(dirname "$0")/apt-install.sh" "${need[@]}"
