#!/usr/bin/env bash
# Shared by demo.sh and serve.sh: paths of the built programs and start/stop of both services.
# Each service listens twice: native gRPC (HTTP/2) on *_URL, and HTTP/1.1 (web console, gRPC-Web,
# JSON under /v1/, /metrics) on *_HTTP_URL.
DATA=${DATA:-./data}
INDEX_URL=${INDEX_URL:-http://127.0.0.1:50051}
QUERY_URL=${QUERY_URL:-http://127.0.0.1:50052}
INDEX_HTTP_URL=${INDEX_HTTP_URL:-http://127.0.0.1:8081}
QUERY_HTTP_URL=${QUERY_HTTP_URL:-http://127.0.0.1:8080}
CONFIG=${CONFIG:-Release}
BIN="bin/$CONFIG/net10.0"
INDEX_DLL="src/IndexService/$BIN/DeepEverest.IndexService.dll"
QUERY_DLL="src/QueryService/$BIN/DeepEverest.QueryService.dll"
LOGS="$DATA/logs"

# The scripts call the installed `deepeverest` command (`make build` installs it in
# ~/.dotnet/tools), as the README's commands do, pointed at these services by the variables it
# reads when --index-service/--query-service are not given.
export PATH="${CLI_TOOLS:-$HOME/.dotnet/tools}:$PATH"
export DEEPEVEREST_INDEX="$INDEX_URL" DEEPEVEREST_QUERY="$QUERY_URL"
command -v deepeverest >/dev/null || { echo "error: no deepeverest command on the PATH: run make build (it installs it)" >&2; exit 1; }

# Waits until a port accepts connections (the CLI's `health` would do too; this needs nothing).
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
  dotnet "$INDEX_DLL" --DeepEverest:DataRoot "$DATA" \
    --Kestrel:Endpoints:Grpc:Url "$INDEX_URL" --Kestrel:Endpoints:Http:Url "$INDEX_HTTP_URL" \
    >"$LOGS/index-service.log" 2>&1 &
  INDEX_PID=$!
  wait_port "$INDEX_URL"
  wait_port "$INDEX_HTTP_URL"
  # The console served by the QueryService calls the IndexService's HTTP endpoint from the browser.
  dotnet "$QUERY_DLL" --DeepEverest:DataRoot "$DATA" \
    --Kestrel:Endpoints:Grpc:Url "$QUERY_URL" --Kestrel:Endpoints:Http:Url "$QUERY_HTTP_URL" \
    --DeepEverest:Console:IndexServiceUrl "$INDEX_HTTP_URL" \
    >"$LOGS/query-service.log" 2>&1 &
  QUERY_PID=$!
  wait_port "$QUERY_URL"
  wait_port "$QUERY_HTTP_URL"
  echo "IndexService on $INDEX_URL (gRPC) and $INDEX_HTTP_URL (HTTP), pid $INDEX_PID"
  echo "QueryService on $QUERY_URL (gRPC) and $QUERY_HTTP_URL (HTTP), pid $QUERY_PID; data in $DATA"
}

# Where a person goes next: the console and the HTTP/JSON API (docs/http-api.md).
print_urls() {
  echo "Web console:  $QUERY_HTTP_URL/"
  echo "HTTP/JSON:    $INDEX_HTTP_URL/v1/ (IndexService), $QUERY_HTTP_URL/v1/ (QueryService), e.g."
  echo "              curl $INDEX_HTTP_URL/v1/indexes"
  echo "Metrics:      $INDEX_HTTP_URL/metrics, $QUERY_HTTP_URL/metrics"
}

stop_services() {
  for pid in ${QUERY_PID:-} ${INDEX_PID:-}; do
    kill "$pid" 2>/dev/null || true
  done
  wait 2>/dev/null || true
}
