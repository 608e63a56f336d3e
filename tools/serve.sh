#!/usr/bin/env bash
# Both services in the foreground on loopback until Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
source tools/services.sh
trap stop_services EXIT INT TERM
start_services
print_urls
echo "Ctrl-C stops both."
wait
