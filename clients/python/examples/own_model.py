#!/usr/bin/python3
"""Your own ONNX model and images, end to end: register, import, index, query, draw a PNG grid.

    /usr/bin/python3 clients/python/examples/own_model.py --model own/small_cnn.onnx \\
        --image-folder my_images/ --data-root ./data --scale 1/255 --mean 0.286 --std 0.353 \\
        --layer /features/features.4/Relu_output_0 --out own.png

1. Uploads the model (a local .onnx file; ``--preprocessing normalize.onnx`` composes a
   preprocessing model in front of it) unless a model of that name is registered already.
2. Imports the dataset, streaming progress: either ``--inputs``/``--labels``, .npy (or idx) files
   already under the IndexService's data root, or ``--image-folder``: a folder of image files, one
   subfolder per class (``my_images/cat/1.png``, ``my_images/dog/7.jpg``: the labels are the
   subfolders in name order, and their names become the dataset's label names) or images alone
   (no labels). The images are resized to the model's input shape, stored as uint8 pixels in one
   .npy file under ``--data-root/own/`` (the service's data root, which this machine must see),
   and imported from there with the preprocessing given (``--scale``, ``--shift``, ``--mean``,
   ``--std``: the model sees (pixel * scale + shift - mean[c]) / std[c]).
3. Builds the index of ``--layer`` (default: the model's last ReLU), streaming progress.
4. Runs two exact queries: the inputs with the highest activation of ``--highest-group``
   (default ``rect:0,*,*``: channel 0 at every position) and the inputs nearest to input
   ``--target`` on its ``--similar-group`` (default ``top:8``: its 8 most activated neurons).
5. Draws both answers as a grid of images (matplotlib), saved to ``--out`` as a PNG;
   ``--answers FILE`` also writes them as JSON ({"highest": [[id, score], ...], "similar": ...}).

Needs the client (``pip install ./clients/python``, or run from the repository: this script finds
the package beside it), Debian's python3-matplotlib, and python3-pil for ``--image-folder``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
from fractions import Fraction

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import matplotlib  # noqa: E402

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from deepeverest_client import Client, DatasetInfo, Update  # noqa: E402

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff")


def number(text: str) -> float:
    """A float, also written as a fraction (``1/255``)."""
    return float(Fraction(text)) if "/" in text else float(text)


def numbers(text: str) -> list[float]:
    return [number(t) for t in text.split(",") if t.strip()] if text else []


def read_image_folder(folder: str, shape: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray | None, list[str]]:
    """Images as uint8 [N, C, H, W] for a model input of `shape` (C, H, W), labels (by class
    subfolder, in name order) or None, and the class names."""
    from PIL import Image  # Debian's python3-pil; only this path needs it

    if len(shape) != 3 or shape[0] not in (1, 3):
        raise SystemExit(f"error: --image-folder needs a model input of shape [1 or 3, H, W], not {list(shape)}")
    channels, height, width = shape
    classes = sorted(d for d in os.listdir(folder) if os.path.isdir(os.path.join(folder, d)))
    sources = [(os.path.join(folder, c), label) for label, c in enumerate(classes)] or [(folder, -1)]
    pictures, labels = [], []
    for directory, label in sources:
        for name in sorted(os.listdir(directory)):
            if name.lower().endswith(IMAGE_SUFFIXES):
                with Image.open(os.path.join(directory, name)) as image:
                    pixels = image.convert("L" if channels == 1 else "RGB").resize((width, height))
                    array = np.asarray(pixels, dtype=np.uint8)
                pictures.append(array[np.newaxis] if channels == 1 else np.transpose(array, (2, 0, 1)))
                labels.append(label)
    if not pictures:
        raise SystemExit(f"error: no images ({', '.join(IMAGE_SUFFIXES)}) in {folder}")
    return np.stack(pictures), (np.array(labels, dtype=np.int64) if classes else None), classes


def drawable(values: np.ndarray) -> np.ndarray:
    """An input as imshow draws it: [1, H, W] -> [H, W]; [3, H, W] -> [H, W, 3] (uint8 range)."""
    if values.ndim == 3 and values.shape[0] == 1:
        return values[0]
    if values.ndim == 3 and values.shape[0] == 3:
        return np.clip(np.transpose(values, (1, 2, 0)), 0, 255).astype(np.uint8)
    return values.reshape(values.shape[-2:]) if values.ndim >= 2 else values[np.newaxis]


def print_updates(title: str, stream) -> Update:
    """Prints each streamed update of a query; returns the last (the exact answer)."""
    answer = None
    for n, update in enumerate(stream, 1):
        threshold = "-" if math.isnan(update.threshold) else f"{update.threshold:.4g}"
        print(f"  {title} update {n}: {update.final_count}/{len(update.hits)} final, bound left {threshold}, "
              f"inferred {update.stats.inputs_inferred} of {update.stats.inputs_total}" + (" (done)" if update.done else ""))
        answer = update
    assert answer is not None and answer.done
    return answer


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--query", help="QueryService address (default $DEEPEVEREST_QUERY or 127.0.0.1:50052)")
    parser.add_argument("--index", help="IndexService address (default $DEEPEVEREST_INDEX or 127.0.0.1:50051)")
    parser.add_argument("--model", required=True, help="local .onnx file to upload")
    parser.add_argument("--preprocessing", help="local .onnx preprocessing model to compose in front of it")
    parser.add_argument("--model-name", default="own_model", help="name to register the model under")
    parser.add_argument("--dataset", default="own_images", help="name to import the dataset under")
    parser.add_argument("--inputs", help="inputs file under the service's data root (.npy or idx)")
    parser.add_argument("--labels", default="", help="labels file under the service's data root")
    parser.add_argument("--image-folder", help="a local folder of images (one subfolder per class)")
    parser.add_argument("--data-root", help="the IndexService's data root as this machine sees it (with --image-folder)")
    parser.add_argument("--scale", type=number, default=0.0, help="preprocessing multiplier, e.g. 1/255 (0 = 1)")
    parser.add_argument("--shift", type=number, default=0.0, help="preprocessing offset")
    parser.add_argument("--mean", type=numbers, default=[], help="per-channel mean(s), comma-separated")
    parser.add_argument("--std", type=numbers, default=[], help="per-channel standard deviation(s), comma-separated")
    parser.add_argument("--layer", help="layer to index and query (default: the model's last ReLU)")
    parser.add_argument("--highest-group", default="rect:0,*,*", help="group of the highest query (group syntax)")
    parser.add_argument("--similar-group", default="top:8", help="group of the similar query (group syntax)")
    parser.add_argument("--target", type=int, default=0, help="target input id of the similar query")
    parser.add_argument("--k", type=int, default=8, help="results per query")
    parser.add_argument("--out", default="own_model.png", help="PNG file to write")
    parser.add_argument("--answers", help="also write both answers to this JSON file")
    args = parser.parse_args()
    if bool(args.inputs) == bool(args.image_folder):
        parser.error("give either --inputs (files under the data root) or --image-folder")
    if args.image_folder and not args.data_root:
        parser.error("--image-folder needs --data-root: the images are written there for the service to import")

    with Client(args.query, index=args.index, model=args.model_name, dataset=args.dataset, timeout=600) as client:
        # 1. The model: uploaded from this machine (kept when one of that name is registered).
        model = next((m for m in client.list_models() if m.name == args.model_name), None)
        if model is None:
            model = client.upload_model(args.model_name, args.model, preprocessing=args.preprocessing)
            print(f"registered model {model.name}: input {list(model.input_shape)}, {model.layer_count} layers")
        else:
            print(f"model {model.name} is registered already; kept")

        # 2. The dataset (kept when one of that name is imported already).
        dataset: DatasetInfo | None = next((d for d in client.list_datasets() if d.name == args.dataset), None)
        if dataset is None:
            inputs, labels, names = args.inputs, args.labels, []
            if args.image_folder:
                pictures, label_array, names = read_image_folder(args.image_folder, model.input_shape)
                os.makedirs(os.path.join(args.data_root, "own"), exist_ok=True)
                inputs = f"own/{args.dataset}-images.npy"
                np.save(os.path.join(args.data_root, inputs), pictures)
                if label_array is not None:
                    labels = f"own/{args.dataset}-labels.npy"
                    np.save(os.path.join(args.data_root, labels), label_array)
                print(f"read {len(pictures)} images from {args.image_folder} ({len(names)} classes) into {inputs}")
            for progress in client.import_dataset_with_progress(
                    args.dataset, inputs, labels or None, scale=args.scale, shift=args.shift, mean=args.mean,
                    std=args.std, label_names=names, input_shape=model.input_shape):
                print(f"  import: {progress.inputs_done}/{progress.inputs_total} inputs, {progress.fraction:.0%}")
                dataset = progress.dataset or dataset
            assert dataset is not None
            print(f"imported dataset {dataset.name}: {dataset.count} inputs, labels {list(dataset.label_names.values())}")
        else:
            print(f"dataset {dataset.name} is imported already; kept")

        # 3. The index of one layer.
        layers = client.list_layers()
        layer = args.layer or [l.name for l in layers if l.op_type == "Relu"][-1]
        shape = next(l.shape for l in layers if l.name == layer)
        for progress in client.build_index(layer):
            print(f"  index {layer} {list(shape)}: {progress.phase} {progress.fraction:.0%}")

        # 4. Two exact queries, streamed.
        highest = print_updates("highest", client.highest(layer, group=args.highest_group, k=args.k))
        similar = print_updates("similar", client.similar(layer, target=args.target, group=args.similar_group, k=args.k))

        # 5. The grid: row 1 the highest activations, row 2 the target and its nearest inputs.
        target = client.input(args.target)
        rows = [[(client.input(h.input_id), f"#{r}: {h.input_id}\n{dataset.label_name(h.label)} {h.score:.4g}")
                 for r, h in enumerate(highest.hits, 1)],
                [(target, f"target {args.target}\n{dataset.label_name(target.label)}")]
                + [(client.input(h.input_id), f"#{r}: {h.input_id}\n{dataset.label_name(h.label)} d={h.score:.3g}")
                   for r, h in enumerate(similar.hits, 1)]]

    columns = max(len(row) for row in rows)
    figure, axes = plt.subplots(2, columns, figsize=(1.5 * columns, 4.2), squeeze=False)
    for ax in axes.ravel():
        ax.axis("off")
    for r, (row, title) in enumerate(zip(rows, [f"highest {args.highest_group}", f"similar to {args.target}, {args.similar_group}"])):
        axes[r][0].set_title(title, fontsize=7, loc="left")
        for ax, (picture, caption) in zip(axes[r], row):
            values = picture.values
            ax.imshow(drawable(values), cmap="gray", vmin=0, vmax=255 if values.max() > 1 else 1)
            ax.text(0.5, -0.02, caption, transform=ax.transAxes, ha="center", va="top", fontsize=6)
    figure.suptitle(f"{args.model_name} over {args.dataset}: {layer}", fontsize=8)
    figure.tight_layout()
    figure.savefig(args.out, dpi=100)
    print(f"wrote {args.out}")
    if args.answers:
        with open(args.answers, "w", encoding="utf-8") as f:
            json.dump({"layer": layer, "highest": [[h.input_id, h.score] for h in highest.hits],
                       "similar": [[h.input_id, h.score] for h in similar.hits]}, f)
    return 0


if __name__ == "__main__":
    sys.exit(main())
