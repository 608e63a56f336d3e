#!/usr/bin/env bash
# Packs the `deepeverest` command (src/Cli, a .NET tool) from this checkout and installs it with
# `dotnet tool`, from that local package only (nothing is downloaded):
#
#   tools/install-cli.sh                    # `make build` runs this: a global tool, ~/.dotnet/tools
#   CLI_TOOL_PATH=DIR tools/install-cli.sh  # into DIR instead (no global state: the tests do this)
#   CLI_NO_BUILD=1 tools/install-cli.sh     # pack what is built already (after `dotnet build`)
#
# Idempotent: the first run installs it, later runs replace it with the CLI just built. The
# version stays the chart's appVersion, and `dotnet tool update` leaves a tool of the same version
# alone ("is already installed"): an installed one is uninstalled, then installed again.
set -euo pipefail
cd "$(dirname "$0")/.."
CONFIG=${CONFIG:-Release}
DOTNET=${DOTNET:-dotnet}
PACKAGES=$PWD/artifacts/packages
ID=DeepEverest.Cli

$DOTNET pack src/Cli -c "$CONFIG" -v quiet -nologo -o "$PACKAGES" ${CLI_NO_BUILD:+--no-build} >/dev/null
if [ -n "${CLI_TOOL_PATH:-}" ]; then
  where=(--tool-path "$CLI_TOOL_PATH")
  bin=$CLI_TOOL_PATH
else
  where=(--global)
  bin=$HOME/.dotnet/tools
fi
done=installed
if $DOTNET tool list "${where[@]}" 2>/dev/null | grep -qi "^$ID "; then
  $DOTNET tool uninstall "${where[@]}" "$ID" >/dev/null
  done=reinstalled
fi
# --ignore-failed-sources: the package comes from $PACKAGES; other configured feeds may be offline.
if ! log=$($DOTNET tool install "${where[@]}" "$ID" --add-source "$PACKAGES" --ignore-failed-sources 2>&1); then
  echo "error: dotnet tool install $ID failed:" >&2
  echo "$log" >&2
  exit 1
fi
echo "deepeverest: $done $bin/deepeverest"
case ":$PATH:" in
  *":$bin:"*) ;;
  *) echo "note: $bin is not on your PATH; add it (e.g. in ~/.bashrc): export PATH=\"\$PATH:$bin\"" ;;
esac
# The installed command finds the .NET runtime in the standard place or through DOTNET_ROOT.
runtime=$(dirname "$(readlink -f "$(command -v "$DOTNET")")")
if [ -z "${DOTNET_ROOT:-}" ] && [ "$runtime" != /usr/share/dotnet ] && [ "$runtime" != /usr/lib/dotnet ]; then
  echo "note: .NET is installed in $runtime: also export DOTNET_ROOT=$runtime"
fi
