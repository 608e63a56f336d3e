#!/usr/bin/python3
"""Starts both DeepEverest services on free loopback ports over a small prepared data root.

The one fixture every client test suite shares (pytest, node --test, the cross-client test):

    /usr/bin/python3 clients/testing/services.py [--inputs 1000] [--layer NAME] [--bare] [--key ROLE:KEY ...] [--tls DIR]

It creates a temporary data root holding the demo model and the first N Fashion-MNIST test
images, starts the IndexService and the QueryService from their Release builds on ports picked
here, registers the model, imports the dataset and builds one index with the `deepeverest` CLI,
then prints ONE line of JSON describing what runs:

    {"index": "127.0.0.1:P", "query": "127.0.0.1:Q", "index_http": "http://127.0.0.1:R",
     "query_http": "http://127.0.0.1:S", "model": "vgg", "dataset": "fashion", "layer": "...",
     "unindexed_layer": "...", "inputs": 1000, "data_root": "...", "cli": ["dotnet", ".../deepeverest.dll", ...]}

and then waits until its standard input closes (the test process exits or closes the pipe), when
it stops both services and deletes the data root. With --bare nothing is registered (no model,
dataset or index; "model", "dataset" and "layer" are then empty), for a test that brings its own.
Each --key (role `read` or `admin`, key of at least 16 characters; with --bare only) makes both
services require API keys (docs/security.md) and accept that one. --tls DIR (with --bare) serves
both ports over TLS with DIR/tls.crt and DIR/tls.key; the addresses then read https://...
Only the standard library is used.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
FASHION = "/usr/share/datasets/fashion-mnist"
MODEL = "vgg"
DATASET = "fashion"
# 2048 neurons: an index of 1,000 inputs builds in a few seconds on two cores.
LAYER = "/block4/block4.5/Relu_output_0"
# A layer left without an index (queries fall back to ReprocessAll).
UNINDEXED_LAYER = "/block4/block4.2/Relu_output_0"


def free_port() -> int:
    """A port nothing listens on right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write_fashion_slice(root: str, count: int) -> tuple[str, str]:
    """The first `count` Fashion-MNIST test images and labels as idx files under `root`."""
    with gzip.open(os.path.join(FASHION, "t10k-images-idx3-ubyte.gz"), "rb") as f:
        images = f.read()
    with gzip.open(os.path.join(FASHION, "t10k-labels-idx1-ubyte.gz"), "rb") as f:
        labels = f.read()
    image_slice = images[:4] + struct.pack(">I", count) + images[8:16] + images[16:16 + count * 784]
    label_slice = labels[:4] + struct.pack(">I", count) + labels[8:8 + count]
    with open(os.path.join(root, "images.idx"), "wb") as f:
        f.write(image_slice)
    with open(os.path.join(root, "labels.idx"), "wb") as f:
        f.write(label_slice)
    return "images.idx", "labels.idx"


def has_http_endpoint() -> bool:
    """Whether the services configure Kestrel endpoints by name (a gRPC and an HTTP/1.1 one)."""
    settings = os.path.join(REPO, "src", "QueryService", "appsettings.json")
    try:
        with open(settings, encoding="utf-8") as f:
            return '"Endpoints"' in f.read()
    except OSError:
        return False


class Services:
    """Both services as child processes, with their logs in a work directory."""

    def __init__(self, config: str, inputs: int, layer: str, keys: list[str] | None = None,
                 tls: str | None = None) -> None:
        self.config = config
        self.keys = keys or []
        self.tls = os.path.abspath(tls) if tls else None
        self.inputs = inputs
        self.layer = layer
        self.work = tempfile.mkdtemp(prefix="deepeverest-clients-")
        self.data = os.path.join(self.work, "data")
        os.makedirs(self.data)
        self.processes: list[subprocess.Popen] = []
        self.logs: list[str] = []
        self.http = has_http_endpoint()
        binary = os.path.join("bin", config, "net10.0")
        self.index_dll = os.path.join(REPO, "src", "IndexService", binary, "DeepEverest.IndexService.dll")
        self.query_dll = os.path.join(REPO, "src", "QueryService", binary, "DeepEverest.QueryService.dll")
        self.cli_dll = os.path.join(REPO, "src", "Cli", binary, "deepeverest.dll")
        for dll in (self.index_dll, self.query_dll, self.cli_dll):
            if not os.path.exists(dll):
                raise SystemExit(f"error: {dll} is missing: build first (dotnet build DeepEverest.sln -c {config})")

    def start_one(self, name: str, dll: str) -> tuple[str, str | None]:
        """Starts one service; returns its gRPC address and HTTP base URL (None without one)."""
        grpc_port, http_port = free_port(), free_port()
        args = ["dotnet", dll, "--DeepEverest:DataRoot", self.data, "--DeepEverest:Kernels", "Cpu"]
        for n, key in enumerate(self.keys):
            role, _, secret = key.partition(":")
            args += [f"--DeepEverest:Auth:Keys:test{n}:Role", role, f"--DeepEverest:Auth:Keys:test{n}:Key", secret]
        scheme = "https" if self.tls else "http"
        if self.tls:
            # Absolute paths: Kestrel resolves relative ones against the application's directory.
            args += ["--Kestrel:Certificates:Default:Path", os.path.join(self.tls, "tls.crt"),
                     "--Kestrel:Certificates:Default:KeyPath", os.path.join(self.tls, "tls.key")]
        if self.http:
            args += ["--Kestrel:Endpoints:Grpc:Url", f"{scheme}://127.0.0.1:{grpc_port}",
                     "--Kestrel:Endpoints:Http:Url", f"{scheme}://127.0.0.1:{http_port}"]
        else:
            args += ["--urls", f"{scheme}://127.0.0.1:{grpc_port}"]
        log = os.path.join(self.work, f"{name}.log")
        self.logs.append(log)
        with open(log, "wb") as out:
            process = subprocess.Popen(args, cwd=os.path.dirname(dll), stdin=subprocess.DEVNULL, stdout=out,
                                       stderr=subprocess.STDOUT, start_new_session=True)
        self.processes.append(process)
        ports = [grpc_port] + ([http_port] if self.http else [])
        wait_for_ports(process, ports, log)
        grpc_address = f"https://127.0.0.1:{grpc_port}" if self.tls else f"127.0.0.1:{grpc_port}"
        return grpc_address, f"{scheme}://127.0.0.1:{http_port}" if self.http else None

    def cli(self, index: str, query: str) -> list[str]:
        url = lambda address: address if address.startswith("https://") else f"http://{address}"  # noqa: E731
        return ["dotnet", self.cli_dll, "--index-service", url(index), "--query-service", url(query)]

    def prepare(self, cli: list[str]) -> None:
        """Registers the model, imports the dataset and builds the index, with the CLI."""
        shutil.copy(os.path.join(REPO, "models", "demo", "fashion_vgg.onnx"), os.path.join(self.data, "fashion_vgg.onnx"))
        images, labels = write_fashion_slice(self.data, self.inputs)
        run(cli + ["models", "add", "--name", MODEL, "--path", "fashion_vgg.onnx"])
        run(cli + ["datasets", "import", "--name", DATASET, "--inputs", images, "--labels", labels,
                   "--scale", "1/255", "--input-shape", "1,28,28"])
        run(cli + ["index", "build", "--layer", self.layer])

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        shutil.rmtree(self.work, ignore_errors=True)


def wait_for_ports(process: subprocess.Popen, ports: list[int], log: str, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    pending = list(ports)
    while pending:
        if process.poll() is not None:
            raise RuntimeError(f"service exited with code {process.returncode}:\n{read(log)}")
        try:
            with socket.create_connection(("127.0.0.1", pending[0]), timeout=1):
                pending.pop(0)
                continue
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"nothing listens on port {pending[0]} after {timeout} s:\n{read(log)}")
        time.sleep(0.2)


def run(args: list[str]) -> None:
    result = subprocess.run(args, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=600)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(args[2:])} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")


def read(path: str) -> str:
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read()[-4000:]
    except OSError:
        return ""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--inputs", type=int, default=1000, help="Fashion-MNIST test images to import (default 1000)")
    parser.add_argument("--layer", default=LAYER, help="layer to index")
    parser.add_argument("--config", default=os.environ.get("CONFIG", "Release"), help="build configuration")
    parser.add_argument("--bare", action="store_true", help="register nothing: empty services over an empty data root")
    parser.add_argument("--key", action="append", default=[], help="ROLE:KEY the services accept (with --bare)")
    parser.add_argument("--tls", help="folder of tls.crt and tls.key to serve TLS with (with --bare)")
    args = parser.parse_args()
    if (args.key or args.tls) and not args.bare:
        parser.error("--key and --tls need --bare (the preparation runs without a key, over plain HTTP/2)")

    services = Services(args.config, args.inputs, args.layer, args.key, args.tls)
    # A terminated harness still stops its services.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        index, index_http = services.start_one("index-service", services.index_dll)
        query, query_http = services.start_one("query-service", services.query_dll)
        cli = services.cli(index, query)
        if not args.bare:
            services.prepare(cli)
        print(json.dumps({
            "index": index, "query": query, "index_http": index_http, "query_http": query_http,
            "model": "" if args.bare else MODEL, "dataset": "" if args.bare else DATASET,
            "layer": "" if args.bare else args.layer, "unindexed_layer": "" if args.bare else UNINDEXED_LAYER,
            "inputs": 0 if args.bare else args.inputs, "data_root": services.data, "cli": cli,
        }), flush=True)
        # Until the test process closes our stdin (or exits).
        sys.stdin.read()
        return 0
    except Exception as error:  # noqa: BLE001 - reported to the test that started us
        print(f"error: {error}", file=sys.stderr, flush=True)
        for log in services.logs:
            print(f"--- {log}\n{read(log)}", file=sys.stderr)
        return 1
    finally:
        services.stop()


if __name__ == "__main__":
    sys.exit(main())
