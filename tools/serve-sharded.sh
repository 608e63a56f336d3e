#!/usr/bin/env bash
# SHARDS input-range shards of the demo data and the router over them, on loopback, in the
# foreground until Ctrl-C (docs/scale-out.md, "The router"). Each shard is an IndexService and a
# QueryService over its own data root ($DATA_SHARDED/shard-<i>) holding shard i of SHARDS of
# Fashion-MNIST (70,000 images) and its own index of LAYER; the first run imports and indexes them
# (idempotent: a second run reuses what the data roots hold). The router serves both services
# (QueryService and IndexService over the shards, docs/scale-out.md), and two router processes
# over the same shards answer on the usual addresses: one on the QueryService's (QUERY_URL,
# QUERY_HTTP_URL), one on the IndexService's (INDEX_URL, INDEX_HTTP_URL; a router holds no state,
# so two are as one). The CLI and the Python/Node clients therefore query, list, describe and build
# over the sharded dataset as one with no new flag: listings sum the shards, a build runs on every
# shard with one progress bar; the web console on QUERY_HTTP_URL works as on one store (the
# router serves it). Imports stay per shard (below).
set -euo pipefail
cd "$(dirname "$0")/.."
source tools/services.sh
SHARDS=${SHARDS:-4}
DATA_SHARDED=${DATA_SHARDED:-./data-sharded}
LAYER=${LAYER:-/block3/block3.2/Relu_output_0}
ROUTER_DLL="src/Router/$BIN/DeepEverest.Router.dll"
LOGS="$DATA_SHARDED/logs"
PIDS=()

stop_all() {
  for pid in "${PIDS[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  wait 2>/dev/null || true
}
trap stop_all EXIT INT TERM

# Shard i: IndexService gRPC/HTTP on 51i01/51i02 and QueryService gRPC on 51i03; the routers
# reach the shards there.
url() { echo "http://127.0.0.1:$((51000 + $1 * 100 + $2))"; }
router_args=()
mkdir -p "$LOGS"
for ((i = 0; i < SHARDS; i++)); do
  root="$DATA_SHARDED/shard-$i"
  index_url=$(url "$i" 1) index_http=$(url "$i" 2) query_url=$(url "$i" 3)
  mkdir -p "$root/fashion-mnist"
  cp -n /usr/share/datasets/fashion-mnist/*.gz "$root/fashion-mnist/"
  dotnet "$INDEX_DLL" --DeepEverest:DataRoot "$root" \
    --Kestrel:Endpoints:Grpc:Url "$index_url" --Kestrel:Endpoints:Http:Url "$index_http" >"$LOGS/index-$i.log" 2>&1 &
  PIDS+=($!)
  wait_port "$index_url"
  # Everything below goes to this shard's IndexService.
  export DEEPEVEREST_INDEX="$index_url"
  deepeverest models list --json | grep -q '"fashion_vgg"' \
    || deepeverest models upload --name fashion_vgg --file models/demo/fashion_vgg.onnx
  deepeverest datasets list --json | grep -q '"fashion-mnist"' || deepeverest datasets import --name fashion-mnist \
    --inputs fashion-mnist/train-images-idx3-ubyte.gz --labels fashion-mnist/train-labels-idx1-ubyte.gz \
    --inputs fashion-mnist/t10k-images-idx3-ubyte.gz --labels fashion-mnist/t10k-labels-idx1-ubyte.gz \
    --scale 0.00392156862745098 --input-shape 1,28,28 --label-names models/demo/fashion-mnist-labels.txt --shard "$i/$SHARDS"
  deepeverest index list --json | grep -qF "\"$LAYER\"" \
    || deepeverest index build --model fashion_vgg --dataset fashion-mnist --layer "$LAYER"
  dotnet "$QUERY_DLL" --DeepEverest:DataRoot "$root" \
    --Kestrel:Endpoints:Grpc:Url "$query_url" --Kestrel:Endpoints:Http:Url "" >"$LOGS/query-$i.log" 2>&1 &
  PIDS+=($!)
  wait_port "$query_url"
  router_args+=(--DeepEverest:Router:Shards:$i:QueryUrl "$query_url" --DeepEverest:Router:Shards:$i:IndexUrl "$index_url")
  echo "shard $i of $SHARDS: IndexService $index_url, QueryService $query_url, data in $root"
done

dotnet "$ROUTER_DLL" "${router_args[@]}" \
  --Kestrel:Endpoints:Grpc:Url "$QUERY_URL" --Kestrel:Endpoints:Http:Url "$QUERY_HTTP_URL" >"$LOGS/router.log" 2>&1 &
PIDS+=($!)
dotnet "$ROUTER_DLL" "${router_args[@]}" \
  --Kestrel:Endpoints:Grpc:Url "$INDEX_URL" --Kestrel:Endpoints:Http:Url "$INDEX_HTTP_URL" >"$LOGS/router-index.log" 2>&1 &
PIDS+=($!)
wait_port "$QUERY_URL"
wait_port "$INDEX_URL"
echo "Router over $SHARDS shards on $QUERY_URL and $INDEX_URL (gRPC), $QUERY_HTTP_URL and $INDEX_HTTP_URL (HTTP/JSON, gRPC-Web); logs in $LOGS"
echo "e.g.  deepeverest query similar --layer $LAYER --target 0 --group top:3 --k 20"
echo "Ctrl-C stops them all."
wait
