#!/usr/bin/env python3
"""Train the DeepEverest demo model on Fashion-MNIST and export it to ONNX.

Outputs (paths relative to the repository root):
  models/demo/fashion_vgg.onnx        small VGG-style CNN, the demo model
  models/demo/fashion_vgg.json        metadata (accuracy, seed, preprocessing, ...)
  tests/fixtures/models/mlp.onnx      small MLP, a second, differently built model
                                      for tests of the ONNX layer probing
  tests/fixtures/models/tiny_residual.onnx
                                      tiny CNN with Add and Sigmoid nodes (random
                                      init) so the tests also cover those ops

Rerun with:
  cd <repo> && OPENBLAS_NUM_THREADS=1 /usr/bin/python3 tools/train_demo_model.py

Uses the Debian python3-torch (CPU) and the dataset-fashion-mnist package; the
idx files are parsed here directly so no torchvision / network download is needed.
The `onnx` Python package is not required: torch.onnx.export writes the file itself.
"""

import argparse
import gzip
import json
import os
import sys
import time
import warnings

import numpy as np
import torch
import torch.nn as nn

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA_DIR = "/usr/share/datasets/fashion-mnist"
SEED = 0
OPSET = 13
# Our system's preprocessing spec is x * scale + shift applied to raw pixels, so
# the model is trained on pixel/255 without mean/std normalisation to match it.
SCALE = 1.0 / 255.0
SHIFT = 0.0
TARGET_ACCURACY = 0.90
BASE_EPOCHS = 2
MAX_EPOCHS = 6  # safety cap if the 90% target is not reached after BASE_EPOCHS


def read_idx(path):
    """Parse a gzip'd idx file (the MNIST format) into a numpy array.

    Header: 2 zero bytes, a dtype code (0x08 = uint8), the number of dimensions,
    then one big-endian uint32 per dimension, then the raw data.
    """
    with gzip.open(path, "rb") as f:
        data = f.read()
    if data[0] != 0 or data[1] != 0 or data[2] != 0x08:
        raise ValueError(f"{path}: not a uint8 idx file")
    ndim = data[3]
    shape = tuple(int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    arr = np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim)
    return arr.reshape(shape)


def load_split(prefix):
    images = read_idx(os.path.join(DATA_DIR, f"{prefix}-images-idx3-ubyte.gz"))
    labels = read_idx(os.path.join(DATA_DIR, f"{prefix}-labels-idx1-ubyte.gz"))
    # [N,28,28] uint8 -> [N,1,28,28] float32 in [0,1] (scale 1/255, shift 0).
    x = torch.from_numpy(images.astype(np.float32) * SCALE + SHIFT).unsqueeze(1)
    y = torch.from_numpy(labels.astype(np.int64))
    return x, y


class _StaticZeroPad(torch.autograd.Function):
    """Zero-pad H and W by `p` and export as ONE ONNX Pad node with constant pads.

    nn.ZeroPad2d exported at opset 13 becomes ~18 nodes (Constant, ConstantOfShape,
    Concat, Reshape, Slice, Transpose, Cast, Pad) building the pads tensor at run
    time, because torch's constant folding cannot fold the step -1 Slice involved.
    Those extra int64 tensors are noise for the layer-probing code, so a custom
    symbolic emits Pad(x, pads=[0,0,p,p, 0,0,p,p]) (ONNX order: all begins, then
    all ends, over N,C,H,W) instead. The forward maths is identical to ZeroPad2d.
    """

    @staticmethod
    def forward(ctx, x, p):
        ctx.p = p
        return nn.functional.pad(x, (p, p, p, p))

    @staticmethod
    def backward(ctx, grad):
        p = ctx.p
        return grad[:, :, p:-p, p:-p], None

    @staticmethod
    def symbolic(g, x, p):
        # torch 1.13 passes a raw torch._C.Graph here and warns that its g.op
        # patch is deprecated; the call is the documented one, so hide the noise.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            pads = g.op("Constant", value_t=torch.tensor([0, 0, p, p, 0, 0, p, p], dtype=torch.int64))
            return g.op("Pad", x, pads, mode_s="constant")


class ZeroPad2dStatic(nn.ZeroPad2d):
    """nn.ZeroPad2d(p) for all four sides with a single-node ONNX export."""

    def __init__(self, p):
        super().__init__(p)
        self.p = p

    def forward(self, x):
        return _StaticZeroPad.apply(x, self.p)


def conv_block(cin, cout):
    # Two 3x3 convs (padding 1 keeps the spatial size) then a 2x2 max-pool that
    # halves it: the classic VGG pattern.
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, padding=1),
        nn.BatchNorm2d(cout),
        nn.ReLU(),
        nn.Conv2d(cout, cout, 3, padding=1),
        nn.BatchNorm2d(cout),
        nn.ReLU(),
        nn.MaxPool2d(2),
    )


class FashionVGG(nn.Module):
    """Small VGG-style CNN. Submodule names (pad, block1..block4, classifier)
    become the prefixes of the ONNX node/tensor names, which keeps the layer
    names that DeepEverest shows readable."""

    def __init__(self):
        super().__init__()
        # 28x28 -> 32x32 so four 2x pools divide evenly: 32 -> 16 -> 8 -> 4 -> 2.
        # ZeroPad2d semantics, but exported as one Pad node (see ZeroPad2dStatic).
        self.pad = ZeroPad2dStatic(2)
        self.block1 = conv_block(1, 16)
        self.block2 = conv_block(16, 32)
        self.block3 = conv_block(32, 64)
        self.block4 = conv_block(64, 128)
        self.classifier = nn.Sequential(
            nn.Flatten(),
            nn.Linear(128 * 2 * 2, 256),
            nn.ReLU(),
            nn.Linear(256, 10),
        )

    def forward(self, x):
        x = self.pad(x)
        x = self.block1(x)
        x = self.block2(x)
        x = self.block3(x)
        x = self.block4(x)
        return self.classifier(x)


class MLP(nn.Module):
    """Differently built second model (fully connected, Tanh) for probing tests."""

    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(
            nn.Flatten(),
            nn.Linear(784, 64),
            nn.ReLU(),
            nn.Linear(64, 32),
            nn.Tanh(),
            nn.Linear(32, 10),
        )

    def forward(self, x):
        return self.net(x)


class TinyResidual(nn.Module):
    """Tiny CNN without BatchNorm whose graph contains Sigmoid and Add nodes:
    two conv branches from the same stem are summed (residual-style), so the
    probing tests see a tensor with more than one consumer and an Add node."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU())
        self.branch_a = nn.Sequential(nn.Conv2d(4, 4, 3, padding=1), nn.Sigmoid())
        self.branch_b = nn.Conv2d(4, 4, 1)
        self.head = nn.Sequential(
            nn.MaxPool2d(2),  # 28 -> 14
            nn.Flatten(),
            nn.Linear(4 * 14 * 14, 10),
        )

    def forward(self, x):
        s = self.stem(x)
        return self.head(self.branch_a(s) + self.branch_b(s))


def evaluate(model, x, y, batch=1000):
    model.eval()
    correct = 0
    with torch.no_grad():
        for i in range(0, len(x), batch):
            correct += (model(x[i:i + batch]).argmax(1) == y[i:i + batch]).sum().item()
    return correct / len(x)


def train_epoch(model, opt, x, y, batch, gen):
    model.train()
    loss_fn = nn.CrossEntropyLoss()
    # Shuffle with a dedicated seeded generator so runs are reproducible.
    perm = torch.randperm(len(x), generator=gen)
    total, n = 0.0, 0
    for i in range(0, len(x), batch):
        idx = perm[i:i + batch]
        opt.zero_grad()
        loss = loss_fn(model(x[idx]), y[idx])
        loss.backward()
        opt.step()
        total += loss.item() * len(idx)
        n += len(idx)
    return total / n


def export(model, path):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    dummy = torch.zeros(1, 1, 28, 28)
    torch.onnx.export(
        model.eval(), dummy, path,
        opset_version=OPSET,
        input_names=["input"], output_names=["logits"],
        # Dynamic batch so the C# side can run batches of any size.
        dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}},
        do_constant_folding=True,
    )
    print(f"exported {os.path.relpath(path, REPO_ROOT)} ({os.path.getsize(path)} bytes)", flush=True)


def seed_all(seed):
    torch.manual_seed(seed)
    np.random.seed(seed)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mlp", action="store_true",
                    help="only build the test fixture models (mlp, tiny_residual), skip the demo model")
    ap.add_argument("--threads", type=int, default=2, help="torch intra-op threads (default 2)")
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    if os.environ.get("OPENBLAS_NUM_THREADS") != "1":
        print("note: set OPENBLAS_NUM_THREADS=1 to avoid thread oversubscription", file=sys.stderr)

    x_train, y_train = load_split("train")
    x_test, y_test = load_split("t10k")
    print(f"train {tuple(x_train.shape)}, test {tuple(x_test.shape)}", flush=True)

    if not args.mlp:
        seed_all(SEED)
        gen = torch.Generator().manual_seed(SEED)
        model = FashionVGG()
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)
        start = time.time()
        epochs, acc = 0, 0.0
        # Train BASE_EPOCHS; continue (up to MAX_EPOCHS) only if below target.
        while epochs < BASE_EPOCHS or (acc < TARGET_ACCURACY and epochs < MAX_EPOCHS):
            loss = train_epoch(model, opt, x_train, y_train, 128, gen)
            epochs += 1
            acc = evaluate(model, x_test, y_test)
            print(f"epoch {epochs}: loss {loss:.4f}, test accuracy {acc:.4f} "
                  f"({time.time() - start:.0f}s)", flush=True)
        train_seconds = time.time() - start
        if acc < TARGET_ACCURACY:
            sys.exit(f"test accuracy {acc:.4f} below target {TARGET_ACCURACY}")

        onnx_path = os.path.join(REPO_ROOT, "models", "demo", "fashion_vgg.onnx")
        export(model, onnx_path)
        meta = {
            "model": "fashion_vgg",
            "dataset": "fashion-mnist",
            "test_accuracy": round(acc, 4),
            "epochs": epochs,
            "seed": SEED,
            "optimizer": "Adam",
            "learning_rate": 1e-3,
            "batch_size": 128,
            "torch_version": torch.__version__,
            "opset": OPSET,
            "input": {"name": "input", "shape": ["batch", 1, 28, 28], "dtype": "float32"},
            "output": {"name": "logits", "shape": ["batch", 10]},
            "preprocessing": {"scale": SCALE, "shift": SHIFT},
            "training_seconds": round(train_seconds, 1),
        }
        with open(os.path.join(REPO_ROOT, "models", "demo", "fashion_vgg.json"), "w") as f:
            json.dump(meta, f, indent=2)
            f.write("\n")

    # Fixture models for the ONNX probing tests: quick, accuracy unimportant.
    fixtures = os.path.join(REPO_ROOT, "tests", "fixtures", "models")
    seed_all(SEED)
    mlp = MLP()
    opt = torch.optim.Adam(mlp.parameters(), lr=1e-3)
    loss = train_epoch(mlp, opt, x_train, y_train, 128, torch.Generator().manual_seed(SEED))
    print(f"mlp: 1 epoch, loss {loss:.4f}, test accuracy {evaluate(mlp, x_test, y_test):.4f}", flush=True)
    export(mlp, os.path.join(fixtures, "mlp.onnx"))

    seed_all(SEED)
    export(TinyResidual(), os.path.join(fixtures, "tiny_residual.onnx"))  # random init


if __name__ == "__main__":
    main()
