"""TLS end to end: services serving https with a certificate of a private CA (made here with
openssl), and the client's https:// addresses with ca_file / DEEPEVEREST_CA_FILE."""

from __future__ import annotations

import os
import subprocess
from typing import Iterator

import grpc
import pytest

from conftest import start_services
from deepeverest_client import Client, DeepEverestError


def openssl(*args: str, cwd: str) -> None:
    result = subprocess.run(["openssl", *args], cwd=cwd, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr


@pytest.fixture(scope="module")
def tls(tmp_path_factory) -> Iterator[dict]:  # noqa: ANN001
    folder = str(tmp_path_factory.mktemp("tls"))
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
            "-subj", "/CN=deepeverest-test-ca", cwd=folder)
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "tls.key", "-out", "tls.csr", "-subj", "/CN=127.0.0.1",
            cwd=folder)
    with open(os.path.join(folder, "san.ext"), "w", encoding="utf-8") as f:
        f.write("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    openssl("x509", "-req", "-in", "tls.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "tls.crt",
            "-days", "2", "-extfile", "san.ext", cwd=folder)
    for services in start_services("--bare", "--tls", folder):
        yield {**services, "ca": os.path.join(folder, "ca.pem")}


def test_https_with_the_private_ca_connects(tls: dict, monkeypatch) -> None:  # noqa: ANN001
    assert tls["query"].startswith("https://") and tls["index"].startswith("https://")
    with Client(tls["query"], index=tls["index"], timeout=60, ca_file=tls["ca"]) as client:
        assert client.list_models() == []
    monkeypatch.setenv("DEEPEVEREST_CA_FILE", tls["ca"])
    with Client(tls["query"], index=tls["index"], timeout=60) as client:
        assert client.list_datasets() == []


def test_https_without_trusting_the_ca_is_refused(tls: dict, monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.delenv("DEEPEVEREST_CA_FILE", raising=False)
    with Client(tls["query"], index=tls["index"], timeout=10) as client:
        with pytest.raises(DeepEverestError) as caught:
            client.list_models()
    assert caught.value.code == grpc.StatusCode.UNAVAILABLE
