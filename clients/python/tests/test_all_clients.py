"""One query, four front ends: the CLI's --json, HTTP/JSON (POST to the transcoded route, one JSON
object per line back), the Python client and the Node client must give identical answers (ids,
scores, finality, labels, done) for the same query."""

from __future__ import annotations

import json
import os
import subprocess
import urllib.request

import pytest

from conftest import REPO, run_cli
from deepeverest_client import Client, top

QUERIES = [
    # (target, top-m group, k, distance)
    (17, 4, 25, "l1"),
    (250, 2, 10, "l2"),
]


def rows(update: dict) -> list[tuple]:
    """(id, score, final, label) of a proto3-JSON TopKUpdate, plus done, in comparable form."""
    return [(int(h["inputId"]), float(h["score"]), bool(h.get("final", False)), int(h.get("label", 0)))
            for h in update.get("hits", [])] + [("done", bool(update.get("done", False)))]


def by_cli(services: dict, target: int, m: int, k: int, distance: str) -> list[tuple]:
    lines = run_cli(services, "query", "similar", "--layer", services["layer"], "--target", str(target),
                    "--group", f"top:{m}", "--k", str(k), "--distance", distance)
    return rows(lines[-1])


def by_python(client: Client, services: dict, target: int, m: int, k: int, distance: str) -> list[tuple]:
    answer = client.similar(services["layer"], target=target, group=top(m), k=k, distance=distance).result()
    return [(h.input_id, h.score, h.final, h.label) for h in answer.hits] + [("done", answer.done)]


def by_node(services: dict, target: int, m: int, k: int, distance: str) -> list[tuple]:
    script = os.path.join(REPO, "clients", "node", "similar.js")
    result = subprocess.run(["node", script, "--query", services["query"], "--layer", services["layer"],
                             "--target", str(target), "--top", str(m), "--k", str(k), "--distance", distance, "--json"],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    return rows(json.loads(result.stdout.splitlines()[-1]))


def by_http(services: dict, target: int, m: int, k: int, distance: str) -> list[tuple]:
    """POST to the transcoded route; the server stream comes back as one JSON object per line."""
    body = {"layer": {"layer": services["layer"]}, "target": {"inputId": str(target)},
            "group": {"topOfTarget": m}, "k": k, "distance": f"DISTANCE_{distance.upper()}"}
    request = urllib.request.Request(services["query_http"] + "/v1/layers:topKSimilar", data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(request, timeout=300) as response:
        lines = [line for line in response.read().decode().splitlines() if line.strip()]
    return rows(json.loads(lines[-1]))


@pytest.mark.parametrize("target,m,k,distance", QUERIES)
def test_cli_http_python_and_node_answer_identically(client: Client, services: dict, target, m, k, distance) -> None:
    answers = {
        "cli": by_cli(services, target, m, k, distance),
        "python": by_python(client, services, target, m, k, distance),
        "node": by_node(services, target, m, k, distance),
    }
    assert services.get("query_http"), "the harness found no HTTP endpoint on the QueryService"
    answers["http"] = by_http(services, target, m, k, distance)
    reference = answers["cli"]
    assert reference[-1] == ("done", True) and len(reference) == k + 1
    assert all(final for _, _, final, _ in reference[:-1])
    for name, answer in answers.items():
        assert answer == reference, f"{name} differs from the CLI"
