#!/usr/bin/env bash
# Measures the IndexService around large writes: RSS after importing Fashion-MNIST (70,000 images)
# and after building two indexes (the second spills), RSS once idle, then how long a restart after
# a SIGKILL takes to listen and its peak RSS. Figures go to docs/reliability.md.
#
#   tools/bench-store.sh [DATA_DIR]        (default: bench/tmp/store; deleted first)
#   INDEX_URL=http://127.0.0.1:50061 tools/bench-store.sh
#
# Extra environment (e.g. DOTNET_gcServer=0) is passed to the service, to compare GC settings.
set -euo pipefail
cd "$(dirname "$0")/.."
DATA=${1:-bench/tmp/store}
INDEX_URL=${INDEX_URL:-http://127.0.0.1:50061}
CONFIG=${CONFIG:-Release}
IDLE_SECONDS=${IDLE_SECONDS:-30}
DLL="src/IndexService/bin/$CONFIG/net10.0/DeepEverest.IndexService.dll"
CLI=(dotnet "src/Cli/bin/$CONFIG/net10.0/deepeverest.dll" --index-service "$INDEX_URL")
HOST=$(echo "$INDEX_URL" | sed -E 's#^[a-z]+://([^:/]+):([0-9]+).*#\1#')
PORT=$(echo "$INDEX_URL" | sed -E 's#^[a-z]+://([^:/]+):([0-9]+).*#\2#')

listening() { (exec 3<>"/dev/tcp/$HOST/$PORT") 2>/dev/null; }
wait_listening() { for _ in $(seq 1 3000); do listening && return 0; sleep 0.02; done; echo "error: not listening" >&2; return 1; }
rss_mb() { awk '/VmRSS/ { printf "%d", $2 / 1024 }' "/proc/$1/status"; }
peak_mb() { awk '/VmHWM/ { printf "%d", $2 / 1024 }' "/proc/$1/status"; }
start_service() {
  dotnet "$DLL" --Kestrel:Endpoints:Grpc:Url "$INDEX_URL" --Kestrel:Endpoints:Http:Url "" \
    --DeepEverest:DataRoot "$DATA" > "$DATA.log" 2>&1 &
  PID=$!
}

rm -rf "$DATA" && mkdir -p "$DATA/fashion-mnist"
cp /usr/share/datasets/fashion-mnist/*.gz "$DATA/fashion-mnist/"
cp models/demo/fashion_vgg.onnx "$DATA/"
start_service
wait_listening
"${CLI[@]}" models add --name vgg --path fashion_vgg.onnx > /dev/null
"${CLI[@]}" datasets import --name fm \
  --inputs fashion-mnist/train-images-idx3-ubyte.gz --labels fashion-mnist/train-labels-idx1-ubyte.gz \
  --inputs fashion-mnist/t10k-images-idx3-ubyte.gz --labels fashion-mnist/t10k-labels-idx1-ubyte.gz \
  --scale 0.00392156862745098 --input-shape 1,28,28 > /dev/null
echo "after import:          RSS $(rss_mb $PID) MB"
"${CLI[@]}" index build --model vgg --dataset fm --layer /block3/block3.2/Relu_output_0 > /dev/null
echo "after build 1:         RSS $(rss_mb $PID) MB"
"${CLI[@]}" index build --model vgg --dataset fm --layer /block2/block2.2/Relu_output_0 --memory-budget-mb 1024 > /dev/null
echo "after build 2 (spill): RSS $(rss_mb $PID) MB, peak $(peak_mb $PID) MB"
sleep "$IDLE_SECONDS"
echo "idle ${IDLE_SECONDS} s:            RSS $(rss_mb $PID) MB"
kill -9 $PID; wait $PID 2> /dev/null || true
echo "store: $(du -sm "$DATA/store" | cut -f1) MB, WAL $(cat "$DATA"/store/*.log | wc -c | awk '{ printf "%d", $1 / 1048576 }') MB"

start=$(date +%s%N)
start_service
wait_listening
echo "restart after SIGKILL: listening in $(( ($(date +%s%N) - start) / 1000000 )) ms, peak RSS $(peak_mb $PID) MB (load $(cut -d' ' -f1 /proc/loadavg))"
kill $PID; wait $PID 2> /dev/null || true
