#!/usr/bin/env bash
# `make bench-load`: both services on loopback over the demo data (Fashion-MNIST, the demo model,
# an index of the demo layer: set up as `make demo` does, reusing what the data root holds), then
# `deepeverest bench load`: 1 and 16 concurrent streams of random queries, a cancellation storm,
# resident memory before and after. The report goes to bench/results/load-<date>.md.
# Override: STREAMS=1,16 PHASE_SECONDS=30 WARMUP=10 LAYER=... and the DATA/*_URL variables of make.
set -euo pipefail
cd "$(dirname "$0")/.."
source tools/services.sh
LAYER=${LAYER:-/block3/block3.2/Relu_output_0}
STREAMS=${STREAMS:-1,16}
# Not SECONDS: bash sets that to the seconds since the shell started.
SECONDS_PER_PHASE=${PHASE_SECONDS:-30}
WARMUP=${WARMUP:-10}
# --no-cache by default: each phase then does comparable work (CACHE=1 keeps the cache on).
CACHE_FLAG=$([ "${CACHE:-0}" = 1 ] && echo "" || echo "--no-cache")
REPORT=${REPORT:-bench/results/load-$(date -u +%Y%m%d-%H%M%S).md}

trap stop_services EXIT
start_services

mkdir -p "$DATA/fashion-mnist" "$(dirname "$REPORT")"
cp -n /usr/share/datasets/fashion-mnist/*.gz "$DATA/fashion-mnist/"
deepeverest models list --json | grep -q '"fashion_vgg"' || deepeverest models upload --name fashion_vgg --file models/demo/fashion_vgg.onnx
deepeverest datasets list --json | grep -q '"fashion-mnist"' || deepeverest datasets import --name fashion-mnist \
  --inputs fashion-mnist/train-images-idx3-ubyte.gz --labels fashion-mnist/train-labels-idx1-ubyte.gz \
  --inputs fashion-mnist/t10k-images-idx3-ubyte.gz --labels fashion-mnist/t10k-labels-idx1-ubyte.gz \
  --scale 0.00392156862745098 --input-shape 1,28,28
deepeverest index list --json | grep -qF "\"$LAYER\"" || deepeverest index build --model fashion_vgg --dataset fashion-mnist --layer "$LAYER"

echo "== load: streams $STREAMS, $SECONDS_PER_PHASE s each (load average: $(cut -d' ' -f1-3 /proc/loadavg))"
deepeverest bench load --model fashion_vgg --dataset fashion-mnist --layer "$LAYER" \
  --streams "$STREAMS" --seconds "$SECONDS_PER_PHASE" --warmup "$WARMUP" $CACHE_FLAG \
  --query-http "$QUERY_HTTP_URL" --index-http "$INDEX_HTTP_URL" --output "$REPORT"
echo "report: $REPORT; service logs: $LOGS"
