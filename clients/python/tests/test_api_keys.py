"""API keys end to end: services that require keys (docs/security.md) and the client's api_key /
DEEPEVEREST_API_KEY, on unary calls, a client stream (UploadModel) and a server stream (BuildIndex)."""

from __future__ import annotations

import os
from typing import Iterator

import grpc
import pytest

from conftest import REPO, start_services
from deepeverest_client import Client, DeepEverestError

ADMIN = "admin-key-0123456789abcdef"
READ = "read-key-0123456789abcdef"
MODEL = os.path.join(REPO, "models", "demo", "fashion_vgg.onnx")


@pytest.fixture(scope="module")
def keyed() -> Iterator[dict]:
    yield from start_services("--bare", "--key", f"admin:{ADMIN}", "--key", f"read:{READ}")


def code_of(call) -> grpc.StatusCode:  # noqa: ANN001
    with pytest.raises(DeepEverestError) as caught:
        call()
    return caught.value.code


def test_without_a_key_every_call_is_refused(keyed: dict, monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.delenv("DEEPEVEREST_API_KEY", raising=False)
    with Client(keyed["query"], index=keyed["index"], timeout=60) as client:
        assert code_of(client.list_models) == grpc.StatusCode.UNAUTHENTICATED
        assert code_of(lambda: client.build_index("any").result()) == grpc.StatusCode.UNAUTHENTICATED
    with Client(keyed["query"], index=keyed["index"], timeout=60, api_key="not-a-key-0123456789") as client:
        assert code_of(client.list_datasets) == grpc.StatusCode.UNAUTHENTICATED


def test_an_admin_key_registers_and_a_read_key_from_the_environment_only_reads(keyed: dict, monkeypatch) -> None:  # noqa: ANN001
    with Client(keyed["query"], index=keyed["index"], timeout=120, api_key=ADMIN) as admin:
        model = admin.upload_model("vgg", MODEL)
        assert [m.name for m in admin.list_models()] == ["vgg"] and model.layer_count > 0
        # Past the key check, the build fails for want of a dataset, not for the key.
        assert code_of(lambda: admin.build_index("/block4/block4.5/Relu_output_0").result()) not in (
            grpc.StatusCode.UNAUTHENTICATED, grpc.StatusCode.PERMISSION_DENIED)
    monkeypatch.setenv("DEEPEVEREST_API_KEY", READ)
    with Client(keyed["query"], index=keyed["index"], timeout=60) as reader:
        assert [m.name for m in reader.list_models()] == ["vgg"]
        assert code_of(lambda: reader.upload_model("other", MODEL)) == grpc.StatusCode.PERMISSION_DENIED
        assert code_of(lambda: reader.build_index("/block4/block4.5/Relu_output_0").result()) == (
            grpc.StatusCode.PERMISSION_DENIED)
