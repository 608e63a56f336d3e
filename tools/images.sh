#!/usr/bin/env bash
# Builds the images of ./Containerfile (IndexService, QueryService, router, CLI) with podman,
# offline, and prints their sizes.
#
#   tools/images.sh            # make images
#   TAG=0.2.0 tools/images.sh  # another tag (default: the chart's appVersion)
#
# Here no public registry is reachable, so the Containerfile's two base images are replaced by
# local ones made once and cached in podman's storage (idempotent):
#   - the runtime base (BASE_IMAGE, public default mcr.microsoft.com/dotnet/runtime-deps:10.0) is
#     a debootstrap of Debian bookworm from Debian's packages (what runtime-deps holds: libc,
#     libstdc++, libssl, zlib, CA certificates, tzdata);
#   - the builder (BUILD_IMAGE, public default mcr.microsoft.com/dotnet/sdk:10.0) is the same
#     base, with this machine's .NET SDK mounted read-only at /usr/share/dotnet for the build;
#   - the console's builder (NODE_IMAGE, public default node:20-bookworm-slim) is the same base,
#     with this machine's node and npm mounted read-only and its npm cache for an offline `npm ci`.
# NuGet restore runs here first (it fills ~/.nuget/packages, from the registry this machine
# reaches); the build then mounts that cache read-only and runs with no network at all.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

export CONTAINERS_CONF="$root/tools/containers/containers.conf"
TAG=${TAG:-$(sed -n 's/^appVersion: *"\{0,1\}\([^"]*\)"\{0,1\}$/\1/p' helm/deepeverest/Chart.yaml)}
BASE=${BASE:-localhost/deepeverest-base:bookworm}
SDK_DIR=${SDK_DIR:-$(dirname "$(readlink -f "$(command -v dotnet)")")}
NUGET_CACHE=${NUGET_PACKAGES:-$HOME/.nuget/packages}
# The console stage runs on the local base with this machine's Node.js and npm, offline, from the
# npm cache that `make console` (a prerequisite of `make images`) filled with console/'s packages.
NODE_BIN=${NODE_BIN:-$(readlink -f "$(command -v node)")}
NPM_DIR=${NPM_DIR:-$(npm root -g)/npm}
NPM_CACHE=${NPM_CACHE:-$(npm config get cache)}
DEBIAN_MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}

# 1. Tools (Debian packages), only when missing.
need=()
command -v podman >/dev/null || need+=(podman)
command -v runc >/dev/null || need+=(runc)
command -v debootstrap >/dev/null || need+=(debootstrap)
command -v catatonit >/dev/null || need+=(catatonit)   # the pause process of pods (image tests)
[ -x /usr/lib/podman/netavark ] || [ -x /usr/libexec/podman/netavark ] || need+=(netavark aardvark-dns iptables)
tools/apt-install.sh "${need[@]}"

# 2. The local runtime base, once.
if ! podman image exists "$BASE"; then
  echo "making $BASE with debootstrap (once)"
  rootfs=$(mktemp -d /var/tmp/deepeverest-rootfs.XXXXXX)
  trap 'rm -rf "$rootfs"' EXIT
  debootstrap --variant=minbase \
    --include=ca-certificates,libssl3,libstdc++6,libgcc-s1,zlib1g,tzdata \
    bookworm "$rootfs" "$DEBIAN_MIRROR" >/dev/null
  # What an image needs at run time only: no package caches, lists or documentation.
  rm -rf "$rootfs"/var/cache/apt/* "$rootfs"/var/lib/apt/lists/* "$rootfs"/usr/share/doc/* \
    "$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/* "$rootfs"/var/log/*
  tar -C "$rootfs" -c . | podman import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'CMD ["/bin/bash"]' - "$BASE" >/dev/null
  rm -rf "$rootfs"
  trap - EXIT
fi

# 3. Restore for linux-x64 here (the build below has no network).
for project in IndexService QueryService Router Cli; do
  dotnet restore "src/$project" -r linux-x64 -v quiet -nologo
done

# 4. Every image from one Containerfile; the builder stage is shared, so it runs once.
build() {
  local target=$1 name=$2
  podman build --network none --target "$target" -f Containerfile \
    --build-arg BASE_IMAGE="$BASE" --build-arg BUILD_IMAGE="$BASE" --build-arg NODE_IMAGE="$BASE" \
    --build-arg NUGET_PACKAGES=/nuget \
    --build-arg NPM_CONFIG_CACHE=/npm-cache --build-arg NPM_CONFIG_OFFLINE=true \
    --volume "$SDK_DIR:/usr/share/dotnet:ro" --volume "$NUGET_CACHE:/nuget:ro" \
    --volume "$NODE_BIN:/usr/local/bin/node:ro" --volume "$NPM_DIR:/usr/local/lib/node_modules/npm:ro" \
    --volume "$NPM_CACHE:/npm-cache" \
    --layers -t "localhost/$name:$TAG" . >"$log" 2>&1 || { tail -n 60 "$log" >&2; exit 1; }
}
log=$(mktemp)
build index-service deepeverest-index-service
build query-service deepeverest-query-service
build router deepeverest-router
build cli deepeverest-cli
# The builder stage's layers served every target; past builds' are dead weight (hundreds of MB).
podman image prune -f --filter label=deepeverest.stage=build >/dev/null

echo "images (tag $TAG):"
podman image ls --format '{{.Repository}}:{{.Tag}} {{.Size}}' \
  | grep -E "^localhost/deepeverest-(index-service|query-service|router|cli):$TAG |^$BASE " | sed 's/^/  /'
