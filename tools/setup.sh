#!/usr/bin/env bash
# Installs the system packages DeepEverest needs, only when missing (idempotent).
set -euo pipefail
need=()
[ -f /usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz ] || need+=(dataset-fashion-mnist)
# PyTorch and Pillow (Debian's, used through /usr/bin/python3): the README's "Use your own model"
# walk-through, which `make test` runs as written, writes an image folder and exports a model.
/usr/bin/python3 -c 'import torch, numpy, PIL' 2>/dev/null || need+=(python3-torch python3-numpy python3-pil libopenblas0)
# The README's curl session is run by the tests.
command -v curl >/dev/null || need+=(curl)
"$(dirname "$0")/apt-install.sh" "${need[@]}"
command -v dotnet >/dev/null || { echo "error: the .NET 10 SDK (dotnet) is required" >&2; exit 1; }
