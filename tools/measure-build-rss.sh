#!/usr/bin/env bash
# measure-build-rss.sh <file.npy> <budget-mb> [layer]: the IndexService's peak RSS during one index
# build (docs/datasets.md, "Memory of an index build"). Starts the built IndexService (Release) on a
# fresh data root under a temp dir, registers ResNet18 from the NuGet package with ResNetPreprocess
# composed in front, imports the uint8 NxCxHxW file, restarts the service (so the figure is the
# service at start plus the build), resets its peak RSS (/proc/PID/clear_refs 5), builds the index of
# the layer (default the 56x56x64 ReLU, ReLU283_Output_0) with the memory budget, prints the figures.
set -euo pipefail
FILE=$(realpath "$1"); BUDGET=$2; LAYER=${3:-ReLU283_Output_0}
REPO=$(cd "$(dirname "$0")/.." && pwd)
PKG=${NUGET_PACKAGES:-$HOME/.nuget/packages}/microsoft.ml.dnnimagefeaturizer.resnet18/0.23.1/tools/DnnImageModels
PORT=${PORT:-24714}
ROOT=$(mktemp -d); LOG=$ROOT.log
trap 'kill $PID 2>/dev/null || true; wait $PID 2>/dev/null || true; rm -rf "$ROOT"' EXIT
ln "$FILE" "$ROOT/images.npy" 2>/dev/null || cp "$FILE" "$ROOT/images.npy"
cp "$PKG/ResNet18Onnx/ResNet18.onnx" "$PKG/ResNetPrepOnnx/ResNetPreprocess.onnx" "$ROOT/"
start() {
  dotnet "$REPO/src/IndexService/bin/Release/net10.0/DeepEverest.IndexService.dll" --Kestrel:Endpoints:Grpc:Url http://127.0.0.1:$PORT \
    --Kestrel:Endpoints:Http:Url "" --DeepEverest:DataRoot "$ROOT" >> "$LOG" 2>&1 &
  PID=$!
  for _ in $(seq 1 600); do (exec 3<>/dev/tcp/127.0.0.1/$PORT) 2>/dev/null && return; sleep 0.5; done
  echo "the IndexService did not start (log: $LOG)" >&2; exit 1
}
kb() { awk -v k="$1:" '$1 == k {print $2}' /proc/$PID/status; }
CLI=(dotnet "$REPO/src/Cli/bin/Release/net10.0/deepeverest.dll" --index-service http://127.0.0.1:$PORT)
start
"${CLI[@]}" models add --name resnet18 --path ResNet18.onnx --preprocessing ResNetPreprocess.onnx > /dev/null
"${CLI[@]}" datasets import --name imgs --inputs images.npy > /dev/null
kill $PID; wait $PID 2>/dev/null || true
start
sleep 2
BEFORE=$(kb VmRSS)
echo 5 > /proc/$PID/clear_refs
"${CLI[@]}" index build --layer "$LAYER" --memory-budget-mb "$BUDGET" | tail -3
PEAK=$(kb VmHWM)
echo "budget $BUDGET MiB: service at start $((BEFORE / 1024)) MiB, peak during the build $((PEAK / 1024)) MiB, peak - start $(((PEAK - BEFORE) / 1024)) MiB"
