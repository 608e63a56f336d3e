#!/usr/bin/python3
"""Runs one similarity query and draws the target and its k nearest inputs as a PNG grid.

    /usr/bin/python3 clients/python/examples/similar_grid.py --layer /block3/block3.2/Relu_output_0 \
        --target 0 --top 3 --k 15 --out grid.png

Prints each streamed update, then saves the grid: the target first, then the hits in rank order,
each titled with its id, label and exact distance. Needs the client (installed, or found
beside this folder) and Debian's python3-matplotlib.
"""

from __future__ import annotations

import argparse
import math
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import matplotlib  # noqa: E402

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from deepeverest_client import Client, top  # noqa: E402


def image(values: np.ndarray) -> np.ndarray:
    """An input as something imshow draws: [1, H, W] -> [H, W]; [3, H, W] -> [H, W, 3]."""
    if values.ndim == 3 and values.shape[0] in (1, 3):
        values = values[0] if values.shape[0] == 1 else np.transpose(values, (1, 2, 0))
    return values


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--query", default=None, help="QueryService address (default $DEEPEVEREST_QUERY or 127.0.0.1:50052)")
    parser.add_argument("--index", default=None, help="IndexService address (default $DEEPEVEREST_INDEX or 127.0.0.1:50051)")
    parser.add_argument("--layer", required=True, help="layer name")
    parser.add_argument("--target", type=int, default=0, help="target input id")
    parser.add_argument("--top", type=int, default=3, help="group: the target's TOP most activated neurons")
    parser.add_argument("--k", type=int, default=15, help="number of results")
    parser.add_argument("--labels", default="", help="comma-separated label names by label number, for titles")
    parser.add_argument("--out", default="similar.png", help="PNG file to write")
    args = parser.parse_args()
    names = args.labels.split(",") if args.labels else []

    def label(number: int) -> str:
        return names[number] if 0 <= number < len(names) else str(number)

    with Client(args.query, index=args.index, timeout=300) as client:
        answer = None
        for n, update in enumerate(client.similar(args.layer, target=args.target, group=top(args.top), k=args.k), 1):
            threshold = "-" if math.isnan(update.threshold) else f"{update.threshold:.4g}"
            print(f"update {n}: {update.final_count}/{len(update.hits)} final, distance bound left {threshold}, "
                  f"inferred {update.stats.inputs_inferred} of {update.stats.inputs_total}"
                  + (" (done)" if update.done else ""))
            answer = update
        assert answer is not None and answer.done
        target = client.input(args.target)
        pictures = [(target, f"target {target.input_id}\n{label(target.label)}")]
        for rank, hit in enumerate(answer.hits, 1):
            pictures.append((client.input(hit.input_id), f"#{rank}: {hit.input_id}\n{label(hit.label)} d={hit.score:.3g}"))

    columns = min(8, len(pictures))
    rows = math.ceil(len(pictures) / columns)
    figure, axes = plt.subplots(rows, columns, figsize=(1.6 * columns, 2.2 * rows + 0.3), squeeze=False)
    for ax in axes.ravel():
        ax.axis("off")
    for ax, (picture, title) in zip(axes.ravel(), pictures):
        ax.imshow(image(picture.values), cmap="gray")
        ax.set_title(title, fontsize=7)
    figure.suptitle(f"{args.k} inputs nearest to input {args.target} on its top-{args.top} neurons of {args.layer}", fontsize=8)
    figure.tight_layout()
    figure.savefig(args.out, dpi=100)
    print(f"input {args.target}: wrote {args.out} ({len(answer.hits)} hits)")


if __name__ == "__main__":
    main()
