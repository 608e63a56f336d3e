"""`pip install ./clients/python` works offline, with no protoc and nothing from outside the folder.

A copy of clients/python (so nothing above it, protos/ included, can be read) is installed with
Debian's pip into a fresh venv that sees Debian's packages (grpcio, protobuf, numpy, setuptools),
with --no-index (no package index is asked) and a PATH without protoc. The installed package
(generated code and type stubs included) then answers a query against the services.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
SOURCE = os.path.join(REPO, "clients", "python")
CHECK = """
import json, os, sys
import deepeverest_client
from deepeverest_client import Client, top
from deepeverest_client._proto.deepeverest.v1 import query_service_pb2_grpc
package = os.path.dirname(deepeverest_client.__file__)
stubs = os.path.exists(os.path.join(package, "_proto", "deepeverest", "v1", "query_service_pb2.pyi"))
with Client(sys.argv[1], index=sys.argv[2], timeout=120) as client:
    answer = client.similar(sys.argv[3], target=7, group=top(3), k=5, dataset=sys.argv[4]).result()
print(json.dumps({"package": package, "stubs": stubs, "typed": os.path.exists(os.path.join(package, "py.typed")),
                  "ids": answer.ids.tolist(), "scores": answer.scores.tolist()}))
"""


def test_pip_installs_offline_into_a_fresh_venv(services: dict, client, tmp_path) -> None:
    source = tmp_path / "python"
    shutil.copytree(SOURCE, source, ignore=shutil.ignore_patterns("__pycache__", "build", "dist", "*.egg-info", "tests"))
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)], check=True, timeout=300)
    python = str(venv / "bin" / "python")
    # No protoc on this PATH: an install that tried to generate code would fail.
    env = {"PATH": str(venv / "bin"), "HOME": str(tmp_path), "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    assert shutil.which("protoc", path=env["PATH"]) is None
    install = subprocess.run([python, "-m", "pip", "install", "--no-index", "--no-build-isolation", "--no-deps",
                              str(source)], capture_output=True, text=True, timeout=600, env=env)
    assert install.returncode == 0, install.stdout + install.stderr

    # The dataset is named: other tests of the session may have registered more than one.
    run = subprocess.run([python, "-c", CHECK, services["query"], services["index"], services["layer"], services["dataset"]],
                         capture_output=True, text=True, timeout=300, env=env, cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    installed = json.loads(run.stdout.splitlines()[-1])
    assert installed["package"].startswith(str(venv)), "imported from the venv, not from the checkout"
    assert installed["stubs"] and installed["typed"]
    expected = client.similar(services["layer"], target=7, group="top:3", k=5, dataset=services["dataset"]).result()
    assert (installed["ids"], installed["scores"]) == (expected.ids.tolist(), expected.scores.tolist())
