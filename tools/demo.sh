#!/usr/bin/env bash
# The demo: both services on loopback, Fashion-MNIST (70,000 images) imported, the demo model
# registered, an index built for a middle ReLU layer, then two streamed queries. Idempotent: a
# second run reuses what the data root already holds.
set -euo pipefail
cd "$(dirname "$0")/.."
source tools/services.sh
LAYER=${LAYER:-/block3/block3.2/Relu_output_0}

trap stop_services EXIT
start_services

# Dataset files must lie under the data root: copy Debian's files there once.
mkdir -p "$DATA/fashion-mnist"
cp -n /usr/share/datasets/fashion-mnist/*.gz "$DATA/fashion-mnist/"

echo "== model"
deepeverest models upload --name fashion_vgg --file models/demo/fashion_vgg.onnx --replace
echo "== dataset (train 60,000 then test 10,000: ids 0..69999)"
deepeverest datasets list --json | grep -q '"fashion-mnist"' || deepeverest datasets import --name fashion-mnist \
  --inputs fashion-mnist/train-images-idx3-ubyte.gz --labels fashion-mnist/train-labels-idx1-ubyte.gz \
  --inputs fashion-mnist/t10k-images-idx3-ubyte.gz --labels fashion-mnist/t10k-labels-idx1-ubyte.gz \
  --scale 0.00392156862745098 --input-shape 1,28,28
echo "== layers of the demo model"
deepeverest layers --model fashion_vgg
echo "== index of $LAYER (default settings)"
deepeverest index build --model fashion_vgg --dataset fashion-mnist --layer "$LAYER"
echo "== the 20 inputs most similar to input 0 on its top-3 neurons (streamed)"
deepeverest query similar --layer "$LAYER" --target 0 --group top:3 --k 20
echo "== inputs inferred for that query, cold cache: bounds (ours) vs NTA (the paper's algorithm)"
for strategy in bounds nta; do
  printf '%-7s ' "$strategy"
  deepeverest query similar --layer "$LAYER" --target 0 --group top:3 --k 20 --strategy "$strategy" --no-cache --json \
    | tail -n 1 | grep -o '"stats": {[^}]*}'
done
echo "== the 10 inputs that activate input 0's top neuron the most"
deepeverest query highest --layer "$LAYER" --target 0 --group top:1 --k 10
echo "== the same data in the browser and over HTTP/JSON: \`make serve\`, then"
print_urls
