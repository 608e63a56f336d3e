#!/usr/bin/python3
"""Regenerates the README's picture of the Python example (run by `make client-picture`).

Starts both services with the shared test harness over the 10,000 Fashion-MNIST test images with
an index of /block3/block3.2/Relu_output_0 (the demo's layer), runs examples/similar_grid.py on
input 0, and writes docs/images/python-similar-grid.png.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
LAYER = "/block3/block3.2/Relu_output_0"
FASHION_LABELS = "T-shirt,Trouser,Pullover,Dress,Coat,Sandal,Shirt,Sneaker,Bag,Ankle boot"
OUT = os.path.join(REPO, "docs", "images", "python-similar-grid.png")


def main() -> int:
    harness = subprocess.Popen([sys.executable, os.path.join(REPO, "clients", "testing", "services.py"),
                                "--inputs", "10000", "--layer", LAYER], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        line = harness.stdout.readline()
        if not line:
            return 1
        services = json.loads(line)
        os.makedirs(os.path.dirname(OUT), exist_ok=True)
        return subprocess.call([sys.executable, os.path.join(HERE, "similar_grid.py"), "--query", services["query"],
                                "--index", services["index"], "--layer", LAYER, "--target", "0", "--top", "3",
                                "--k", "15", "--labels", FASHION_LABELS, "--out", OUT])
    finally:
        harness.stdin.close()
        harness.wait()


if __name__ == "__main__":
    sys.exit(main())
