#!/usr/bin/env bash
# One task of the Helm chart's shard Job (topology `sharded`, helm/deepeverest/templates/shard-job.yaml;
# docs/scale-out.md, "Kubernetes"): a Kubernetes Indexed Job runs it once per shard, with the
# completion index as the shard. Against that shard's IndexService (its stable name) it
#   1. waits until the IndexService answers (the shard pods start with the Job),
#   2. registers the model from a file under the shard's data root, unless registered,
#   3. imports shard JOB_COMPLETION_INDEX of SHARDS of the dataset source, unless imported,
#   4. builds the index of each layer of LAYERS, unless built.
# Every step is skipped when already done, so a retried task (the Job retries an index with the same
# index) or a re-run after an upgrade resumes where it stopped; an import either stores the whole
# slice or nothing, so a task killed mid-import leaves nothing behind.
#
# Settings (environment; the chart sets them):
#   JOB_COMPLETION_INDEX    the shard, 0..SHARDS-1 (set by the Job controller)
#   SHARDS                  number of shards
#   SHARD_INDEX_URL_FORMAT  printf format of a shard's IndexService address, %d = the shard,
#                           e.g. http://de-deepeverest-shard-%d.de-deepeverest-shards:50051
#   DATASET                 dataset name
#   MODEL, MODEL_PATH       model name and its .onnx file under the shard's data root
#   LAYERS                  layers to index, one per line
#   WAIT_SECONDS            how long to wait for the IndexService (default 600)
#   DEEPEVEREST_API_KEY     an admin key of the shards, when they require keys
# Arguments: the import's source options (--inputs, --labels, --scale, --input-shape, ...), paths
# relative to the shard's data root.
set -euo pipefail

: "${JOB_COMPLETION_INDEX:?is not set: this script runs as a task of an Indexed Job}"
: "${SHARDS:?is not set}" "${SHARD_INDEX_URL_FORMAT:?is not set}" "${DATASET:?is not set}"
: "${MODEL:?is not set}" "${MODEL_PATH:?is not set}"
shard=$JOB_COMPLETION_INDEX
printf -v DEEPEVEREST_INDEX "$SHARD_INDEX_URL_FORMAT" "$shard"
export DEEPEVEREST_INDEX
say() { echo "shard $shard/$SHARDS ($DEEPEVEREST_INDEX): $*"; }

deadline=$((SECONDS + ${WAIT_SECONDS:-600}))
until models=$(deepeverest models list --json 2>&1); do
  if ((SECONDS >= deadline)); then
    say "the IndexService did not answer within ${WAIT_SECONDS:-600} s: $models" >&2
    exit 1
  fi
  sleep 5
done

if grep -qF "\"$MODEL\"" <<<"$models"; then
  say "model $MODEL is registered"
else
  say "registering model $MODEL from $MODEL_PATH"
  deepeverest models add --name "$MODEL" --path "$MODEL_PATH"
fi

if deepeverest datasets list --json | grep -qF "\"$DATASET\""; then
  say "dataset $DATASET is imported"
else
  say "importing shard $shard of $SHARDS of dataset $DATASET"
  deepeverest datasets import --name "$DATASET" "$@" --shard "$shard/$SHARDS"
fi

while IFS= read -r layer; do
  [ -n "$layer" ] || continue
  if deepeverest index list --model "$MODEL" --dataset "$DATASET" --json | grep -qF "\"$layer\""; then
    say "layer $layer is indexed"
  else
    say "building the index of layer $layer"
    deepeverest index build --model "$MODEL" --dataset "$DATASET" --layer "$layer"
  fi
done <<<"${LAYERS:-}"
say "done"
