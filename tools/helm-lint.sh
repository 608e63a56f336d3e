#!/usr/bin/env bash
# Lints and renders the Helm chart offline, for every value set in helm/deepeverest/ci/ (helm from
# tools/helm.sh). The rendered objects are checked further by tests/DeepEverest.Deploy.Tests.
set -euo pipefail
cd "$(dirname "$0")/.."
kube_version=${KUBE_VERSION:-1.35.0}
helm=tools/helm.sh
for values in helm/deepeverest/ci/*-values.yaml; do
  "$helm" lint --strict helm/deepeverest -f "$values" --kube-version "$kube_version" --quiet
  "$helm" template ci helm/deepeverest -f "$values" --kube-version "$kube_version" >/dev/null
  echo "helm chart: lint --strict and template (Kubernetes $kube_version) ok with $values"
done
