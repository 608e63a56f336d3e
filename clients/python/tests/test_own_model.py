"""examples/own_model.py end to end: a model exported with torch here and a folder of images.

On services of its own (nothing registered), the example uploads the model, imports the image
folder with mean/std preprocessing and label names, builds an index, runs a highest and a similar
query and saves a PNG grid. Its answers must equal the CLI's --json answers and a brute force over
every input's activations (fetched with GetActivations), scores bit for bit, ties by input id.
Then the same model uploaded with its normalization as a composed preprocessing model, over the
same pixels imported without preprocessing, must see the same activations.
"""

from __future__ import annotations

import gzip
import json
import math
import os
import subprocess
import sys

import numpy as np
import pytest

from conftest import REPO, run_cli
from deepeverest_client import Client

EXAMPLE = os.path.join(REPO, "clients", "python", "examples", "own_model.py")
FASHION = "/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz"
FASHION_LABELS = "/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz"
LABEL_NAMES = os.path.join(REPO, "models", "demo", "fashion-mnist-labels.txt")
LAYER = "/features/features.4/Relu_output_0"
PER_CLASS = 12
# The walk-through's small CNN (README, "Use your own model"), exported untrained: exactness does
# not need a good model, and the test stays fast.
EXPORT = """
import sys
import torch
from torch import nn
torch.manual_seed(0)
class SmallCnn(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2))
        self.classifier = nn.Linear(32 * 8 * 8, 10)
    def forward(self, x):
        return self.classifier(self.features(x).flatten(1))
class Normalize(nn.Module):
    def forward(self, pixels):
        return (pixels / 255 - 0.286) / 0.353
batch = {0: "batch"}
torch.onnx.export(SmallCnn().eval(), torch.zeros(1, 3, 32, 32), sys.argv[1], opset_version=13,
                  input_names=["image"], output_names=["logits"], dynamic_axes={"image": batch, "logits": batch})
torch.onnx.export(Normalize(), torch.zeros(1, 3, 32, 32), sys.argv[2], opset_version=13,
                  input_names=["pixels"], output_names=["image"], dynamic_axes={"pixels": batch, "image": batch})
"""


def image_folder(root: str) -> list[str]:
    """PER_CLASS Fashion-MNIST test images per class as PNG files in class subfolders (28x28 gray:
    the example resizes them to the model's 3x32x32). Returns the class names, in folder order."""
    from PIL import Image

    with gzip.open(FASHION) as f:
        images = np.frombuffer(f.read(), dtype=np.uint8, offset=16).reshape(-1, 28, 28)
    with gzip.open(FASHION_LABELS) as f:
        labels = np.frombuffer(f.read(), dtype=np.uint8, offset=8)
    with open(LABEL_NAMES, encoding="utf-8") as f:
        names = [line.strip() for line in f if line.strip()]
    folders = [f"{n}-{name.replace('/', '-')}" for n, name in enumerate(names)]
    for label, folder in enumerate(folders):
        os.makedirs(os.path.join(root, folder))
        for i in np.flatnonzero(labels == label)[:PER_CLASS]:
            Image.fromarray(images[i]).save(os.path.join(root, folder, f"{i:05d}.png"))
    return folders


def ranked(scores: dict[int, float], descending: bool, k: int) -> list[list]:
    """The brute-force top-k: by score, ties by ascending input id."""
    order = sorted(scores, key=lambda i: (-scores[i] if descending else scores[i], i))
    return [[i, scores[i]] for i in order[:k]]


@pytest.fixture(scope="module")
def run(bare_services: dict, tmp_path_factory) -> dict:
    work = tmp_path_factory.mktemp("own")
    model, normalize = str(work / "small_cnn.onnx"), str(work / "normalize.onnx")
    export = subprocess.run([sys.executable, "-c", EXPORT, model, normalize], capture_output=True, text=True, timeout=600,
                            env={**os.environ, "OPENBLAS_NUM_THREADS": "1"})
    assert export.returncode == 0, export.stderr
    classes = image_folder(str(work / "images"))
    out, answers = work / "grid.png", work / "answers.json"
    result = subprocess.run(
        [sys.executable, EXAMPLE, "--query", bare_services["query"], "--index", bare_services["index"],
         "--model", model, "--model-name", "small_cnn", "--dataset", "fashion-folder",
         "--image-folder", str(work / "images"), "--data-root", bare_services["data_root"],
         "--scale", "1/255", "--mean", "0.286", "--std", "0.353", "--layer", LAYER,
         "--highest-group", "rect:5,*,*", "--similar-group", "top:8", "--target", "3", "--k", "8",
         "--out", str(out), "--answers", str(answers)],
        capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    return {"out": out, "answers": json.loads(answers.read_text()), "stdout": result.stdout, "classes": classes,
            "normalize": normalize, "model": model}


def test_example_saves_a_png_grid(run: dict) -> None:
    from PIL import Image

    with Image.open(run["out"]) as png:
        assert png.format == "PNG"
        width, height = png.size
        pixels = np.asarray(png.convert("L"))
    assert width > 600 and height > 300
    assert pixels.std() > 10, "the grid has pictures, not a blank page"
    assert "wrote" in run["stdout"] and "(done)" in run["stdout"]


def test_dataset_has_the_folders_labels_names_and_preprocessing(run: dict, bare_services: dict) -> None:
    with Client(bare_services["query"], index=bare_services["index"], timeout=120) as client:
        dataset = next(d for d in client.list_datasets() if d.name == "fashion-folder")
        model = next(m for m in client.list_models() if m.name == "small_cnn")
    assert dataset.count == 10 * PER_CLASS and dataset.input_shape == (3, 32, 32) == model.input_shape
    assert dataset.element_type == "uint8"
    assert list(dataset.label_names.values()) == run["classes"]
    assert dataset.labels == tuple(range(10))
    assert (dataset.scale, *dataset.mean, *dataset.std) == pytest.approx((1 / 255, 0.286, 0.353))
    assert (len(dataset.mean), len(dataset.std)) == (1, 1)


def test_answers_equal_the_cli(run: dict, bare_services: dict) -> None:
    common = ["--model", "small_cnn", "--dataset", "fashion-folder", "--layer", LAYER, "--k", "8"]
    highest = run_cli(bare_services, "query", "highest", *common, "--group", "rect:5,*,*")[-1]
    similar = run_cli(bare_services, "query", "similar", *common, "--group", "top:8", "--target", "3")[-1]
    for cli, ours in ((highest, run["answers"]["highest"]), (similar, run["answers"]["similar"])):
        assert cli["done"]
        assert [[int(h["inputId"]), float(h["score"])] for h in cli["hits"]] == ours


def test_answers_equal_brute_force(run: dict, bare_services: dict) -> None:
    with Client(bare_services["query"], index=bare_services["index"], model="small_cnn", dataset="fashion-folder",
                timeout=120) as client:
        count = next(d.count for d in client.list_datasets() if d.name == "fashion-folder")
        shape = next(l.shape for l in client.list_layers("small_cnn") if l.name == LAYER)
        acts = {i: client.activations(LAYER, i).values.ravel() for i in range(count)}
    assert shape == (32, 16, 16) and acts[0].shape == (32 * 16 * 16,)
    # highest, rect:5,*,* with the sum aggregate: channel 5's activations, summed in row-major order.
    per_channel = 16 * 16
    channel = range(5 * per_channel, 6 * per_channel)
    sums = {i: sum_in_order(float(a[j]) for j in channel) for i, a in acts.items()}
    assert ranked(sums, True, 8) == run["answers"]["highest"]
    # similar to input 3 on its top 8 neurons (highest activation first, ties by flat index), L2.
    target = acts[3]
    group = np.argsort(-target, kind="stable")[:8]
    distances = {i: math.sqrt(sum_in_order((float(a[j]) - float(target[j])) ** 2 for j in group))
                 for i, a in acts.items() if i != 3}
    assert ranked(distances, False, 8) == run["answers"]["similar"]


def sum_in_order(terms) -> float:  # noqa: ANN001
    """A double sum, term by term in group order, as the service defines it."""
    total = 0.0
    for term in terms:
        total += term
    return total


def test_a_composed_preprocessing_model_sees_what_mean_and_std_give(run: dict, bare_services: dict) -> None:
    # The walk-through's second way (README step 7), from Python: the normalization as an ONNX
    # model composed in front, the same pixels imported without preprocessing.
    with Client(bare_services["query"], index=bare_services["index"], timeout=300) as client:
        composed = client.upload_model("small_cnn_pre", run["model"], preprocessing=run["normalize"])
        plain = next(m for m in client.list_models() if m.name == "small_cnn")
        assert composed.source_sha256 == plain.sha256 and composed.preprocessing_sha256
        assert composed.sha256 != plain.sha256 and composed.input_shape == (3, 32, 32)
        raw = client.import_dataset("fashion-folder-raw", "own/fashion-folder-images.npy",
                                    "own/fashion-folder-labels.npy", label_names=run["classes"])
        assert (raw.scale, raw.mean, raw.std) == (1.0, (), ())
        for i in (0, 3, 77):
            by_model = client.activations(LAYER, i, model="small_cnn_pre", dataset="fashion-folder-raw").values
            by_import = client.activations(LAYER, i, model="small_cnn", dataset="fashion-folder").values
            np.testing.assert_allclose(by_model, by_import, rtol=1e-4, atol=1e-5)
