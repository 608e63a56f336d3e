"""Fixtures: both services started by clients/testing/services.py (the harness the Node tests share)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Iterator

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
REPO = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
HARNESS = os.path.join(REPO, "clients", "testing", "services.py")

from deepeverest_client import Client  # noqa: E402


def start_services(*args: str) -> Iterator[dict]:
    """Runs the harness with `args` until the caller is done; yields its description."""
    process = subprocess.Popen([sys.executable, HARNESS, *args], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    line = process.stdout.readline()
    if not line:
        process.wait()
        pytest.fail(f"the services harness failed to start (exit {process.returncode}); see its output above")
    try:
        yield json.loads(line)
    finally:
        process.stdin.close()
        process.wait(timeout=60)


@pytest.fixture(scope="session")
def services() -> Iterator[dict]:
    """Both services on free loopback ports over a fresh data root with one indexed layer."""
    yield from start_services()


@pytest.fixture(scope="module")
def bare_services() -> Iterator[dict]:
    """Both services over an empty data root (nothing registered), for a test that brings its own
    model and dataset: the services fixture's tests rely on theirs being the only ones."""
    yield from start_services("--bare")


@pytest.fixture()
def client(services: dict) -> Iterator[Client]:
    with Client(services["query"], index=services["index"], timeout=120) as c:
        yield c


def run_cli(services: dict, *args: str) -> list[dict]:
    """Runs `deepeverest --json ...` and returns its JSON lines."""
    result = subprocess.run(services["cli"] + ["--json", *args], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
