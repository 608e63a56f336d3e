#!/usr/bin/env bash
# Shared by demo.sh and serve.sh: paths of the built programs and start/stop of both services.
DATA=${DATA:-./data}
INDEX_URL=${INDEX_URL:-http://127.0.0.1:50051}
QUERY_URL=${QUERY_URL:-http://127.0.0.1:50052}
CONFIG=${CONFIG:-Release}
BIN="bin/$CONFIG/net10.0"
INDEX_DLL="src/IndexService/$BIN/DeepEverest.IndexService.dll"
QUERY_DLL="src/QueryService/$BIN/DeepEverest.QueryService.dll"
CLI_DLL="src/Cli/$BIN/deepeverest.dll"
LOGS="$DATA/logs"

deepeverest() { dotnet "$CLI_DLL" --index-service "$INDEX_URL" --query-service "$QUERY_URL" "$@"; }

# Waits until a gRPC port accepts connections (the CLI's `health` would do too; this needs nothing).
wait_port() {
  local url=$1 host port
  host=$(echo "$url" | sed -E 's#^[a-z]+://([^:/]+):([0-9]+).*#\1#')
  port=$(echo "$url" | sed -E 's#^[a-z]+://([^:/]+):([0-9]+).*#\2#')
  for _ in $(seq 1 120); do
    (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null && return 0
    sleep 0.5
  done
  echo "error: nothing listens on $url (see $LOGS)" >&2
  return 1
}

start_services() {
  mkdir -p "$DATA" "$LOGS"
  dotnet "$INDEX_DLL" --urls "$INDEX_URL" --DeepEverest:DataRoot "$DATA" >"$LOGS/index-service.log" 2>&1 &
  INDEX_PID=$!
  wait_port "$INDEX_URL"
  dotnet "$QUERY_DLL" --urls "$QUERY_URL" --DeepEverest:DataRoot "$DATA" >"$LOGS/query-service.log" 2>&1 &
  QUERY_PID=$!
  wait_port "$QUERY_URL"
  echo "IndexService on $INDEX_URL (pid $INDEX_PID), QueryService on $QUERY_URL (pid $QUERY_PID), data in $DATA"
}

stop_services() {
  for pid in ${QUERY_PID:-} ${INDEX_PID:-}; do
    kill "$pid" 2>/dev/null || true
  done
  wait 2>/dev/null || true
}
