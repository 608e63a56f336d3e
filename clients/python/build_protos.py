#!/usr/bin/python3
"""Generates the gRPC/protobuf code of `deepeverest_client` from the repository's `protos/`.

    /usr/bin/python3 clients/python/build_protos.py      (or: make python-client)

writes `deepeverest_client/_proto/`, which is committed: `pip install ./clients/python` then
needs no protoc and no protos/ (a package built from clients/python cannot reach files above it).
Run it after changing a .proto and commit the result; tests/test_generated_code.py fails while
the committed code differs from what this script generates.

It uses Debian's `protoc` (package protobuf-compiler) with the gRPC Python plugin (package
protobuf-compiler-grpc), the versions that match Debian's python3-protobuf and python3-grpcio at
run time, and the well-known .proto files that python3-grpc-tools ships. (python3-grpc-tools' own
bundled protoc is protobuf 3.5 and cannot compile proto3 `optional` fields, which the API uses.)

Generated modules import each other as top-level packages (`from deepeverest.v1 import ...`);
they are rewritten to live under `deepeverest_client._proto`, so the client adds nothing to
the global module namespace.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_PROTOS = os.path.abspath(os.path.join(HERE, "..", "..", "protos"))
PACKAGE = "deepeverest_client._proto"
OUTPUT = os.path.join(HERE, "deepeverest_client", "_proto")
# Where Debian keeps well-known and Google API protos (imports such as google/protobuf/*.proto).
EXTRA_INCLUDES = [
    "/usr/lib/python3/dist-packages/grpc_tools/_proto",
    "/usr/include",
]


def find_tool(name: str, hint: str) -> str:
    path = shutil.which(name)
    if path is None:
        sys.exit(f"error: {name} is missing: apt-get install {hint}")
    return path


def sources(root: str) -> list[str]:
    found = []
    for folder, _, files in os.walk(root):
        found += [os.path.relpath(os.path.join(folder, f), root) for f in files if f.endswith(".proto")]
    return sorted(found)


def generate(protos: str = DEFAULT_PROTOS, output: str = OUTPUT) -> None:
    """(Re)generates `output` from every .proto under `protos`."""
    protoc = find_tool("protoc", "protobuf-compiler")
    plugin = find_tool("grpc_python_plugin", "protobuf-compiler-grpc")
    files = sources(protos)
    if not files:
        sys.exit(f"error: no .proto files under {protos}")
    includes = [protos] + [d for d in EXTRA_INCLUDES if os.path.isdir(d)]
    with tempfile.TemporaryDirectory() as temp:
        args = [protoc, *(f"-I{d}" for d in includes), f"--plugin=protoc-gen-grpc_python={plugin}",
                f"--python_out={temp}", f"--pyi_out={temp}", f"--grpc_python_out={temp}", *files]
        subprocess.run(args, check=True, cwd=protos)
        packages = set()
        for folder, _, names in os.walk(temp):
            if any(n.endswith(".py") for n in names):
                packages.add(os.path.relpath(folder, temp).replace(os.sep, "."))
        # "from deepeverest.v1 import common_pb2" -> "from deepeverest_client._proto.deepeverest.v1 import ..."
        pattern = re.compile(r"^(from|import) (" + "|".join(re.escape(p) for p in sorted(packages, key=len, reverse=True)) + r")\b", re.M)
        for folder, _, names in os.walk(temp):
            for name in names:
                path = os.path.join(folder, name)
                with open(path, encoding="utf-8") as f:
                    text = f.read()
                with open(path, "w", encoding="utf-8") as f:
                    f.write(pattern.sub(lambda m: f"{m.group(1)} {PACKAGE}.{m.group(2)}", text))
            open(os.path.join(folder, "__init__.py"), "a").close()
        with open(os.path.join(temp, "__init__.py"), "w", encoding="utf-8") as f:
            f.write('"""Generated from protos/ by clients/python/build_protos.py (make python-client): do not edit."""\n')
        shutil.rmtree(output, ignore_errors=True)
        shutil.copytree(temp, output)


if __name__ == "__main__":
    generate(os.environ.get("DEEPEVEREST_PROTOS", DEFAULT_PROTOS))
    print(f"generated {os.path.relpath(OUTPUT)} from {os.environ.get('DEEPEVEREST_PROTOS', DEFAULT_PROTOS)}")
