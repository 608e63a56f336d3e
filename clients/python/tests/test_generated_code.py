"""The committed generated code (deepeverest_client/_proto) is what build_protos.py makes of protos/.

`pip install ./clients/python` installs the committed code without running protoc, so it must not
go stale: after changing a .proto, run `make python-client` and commit the result. No services.
"""

from __future__ import annotations

import os

from conftest import REPO

import build_protos

PACKAGE = os.path.join(REPO, "clients", "python", "deepeverest_client", "_proto")


def files(root: str) -> dict[str, bytes]:
    found = {}
    for folder, directories, names in os.walk(root):
        directories[:] = [d for d in directories if d != "__pycache__"]
        for name in names:
            path = os.path.join(folder, name)
            with open(path, "rb") as f:
                found[os.path.relpath(path, root)] = f.read()
    return found


def test_committed_code_matches_the_protos(tmp_path) -> None:
    fresh = str(tmp_path / "_proto")
    build_protos.generate(output=fresh)
    committed, expected = files(PACKAGE), files(fresh)
    assert len(expected) > 10, "the generator wrote too little to compare"
    stale = sorted(p for p in expected if committed.get(p) != expected[p])
    extra = sorted(set(committed) - set(expected))
    assert not stale and not extra, (
        f"deepeverest_client/_proto is stale (differs: {stale}, not generated: {extra}): "
        "run `make python-client` and commit the result")
