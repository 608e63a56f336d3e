"""The Python client against real services: answers, streaming, cancellation, errors."""

from __future__ import annotations

import math
import os
import subprocess
import sys
import time
import urllib.request

import grpc
import numpy as np
import pytest

from conftest import run_cli
from deepeverest_client import (Cancelled, Client, DeadlineExceeded, Hit, InvalidArgument, NotFound, Update, at,
                                neurons, rect, stored, top)


def json_hits(update: dict) -> list[tuple]:
    """(id, score, final, label) of a proto3-JSON TopKUpdate (int64 as strings, NaN as "NaN")."""
    return [(int(h["inputId"]), float(h["score"]), h["final"], h["label"]) for h in update["hits"]]


def hits(update: Update) -> list[tuple]:
    return [(h.input_id, h.score, h.final, h.label) for h in update.hits]


@pytest.mark.parametrize("target,group,cli_group,distance", [
    (7, top(3), "top:3", "l2"),
    (123, top(8), "top:8", "l1"),
    (5, neurons(17, 99, 1024, 2000), "neurons:17,99,1024,2000", "linf"),
    (42, rect(5, ..., ...), "rect:5,*,*", "l2"),
])
def test_similar_equals_cli_json(client: Client, services: dict, target, group, cli_group, distance) -> None:
    answer = client.similar(services["layer"], target=target, group=group, k=20, distance=distance).result()
    cli = run_cli(services, "query", "similar", "--layer", services["layer"], "--target", str(target),
                  "--group", cli_group, "--k", "20", "--distance", distance)
    assert answer.done and cli[-1]["done"]
    assert hits(answer) == json_hits(cli[-1])
    assert all(h.final for h in answer.hits)
    assert len(answer.hits) == 20


def test_highest_with_filters_equals_cli_json(client: Client, services: dict) -> None:
    answer = client.highest(services["layer"], group=at((3, 1, 1), (7, 0, 2)), k=15, aggregate="mean",
                            labels=[0, 6], id_range=range(100, 900)).result()
    cli = run_cli(services, "query", "highest", "--layer", services["layer"], "--group", "at:3.1.1;7.0.2",
                  "--k", "15", "--aggregate", "mean", "--labels", "0,6", "--id-range", "100:900")
    assert hits(answer) == json_hits(cli[-1])
    assert all(100 <= h.input_id < 900 and h.label in (0, 6) for h in answer.hits)
    scores = answer.scores
    assert np.all(scores[:-1] >= scores[1:]), "highest ranks by descending aggregate"


def test_weighted_similar_equals_cli_json(client: Client, services: dict) -> None:
    answer = client.similar(services["layer"], target=11, group=neurons(3, 9, 27), k=10, weights=[1, 0.5, 2]).result()
    cli = run_cli(services, "query", "similar", "--layer", services["layer"], "--target", "11",
                  "--group", "neurons:3,9,27", "--k", "10", "--weights", "1,0.5,2")
    assert hits(answer) == json_hits(cli[-1])


def test_stream_refines_to_the_exact_answer(client: Client, services: dict) -> None:
    # Every update, small batches, cold cache: the answer arrives in several steps.
    updates = list(client.similar(services["layer"], target=31, group=top(10), k=30, batch_size=4,
                                  update_interval_ms=0, no_cache=True))
    assert len(updates) >= 3, f"expected several updates, got {len(updates)}"
    assert updates[0].group is not None and len(updates[0].group) == 10
    assert updates[0].stats.inputs_inferred == 0, "the first update comes from the index alone"
    thresholds = [u.threshold for u in updates if not math.isnan(u.threshold)]
    assert thresholds == sorted(thresholds), "a distance threshold only rises"
    finals = [u.final_count for u in updates]
    assert finals == sorted(finals), "final hits are never taken back"
    assert [u.done for u in updates] == [False] * (len(updates) - 1) + [True]
    assert all(h.final and h.exact for h in updates[-1].hits)
    # Every hit that was final stays at its rank.
    for update in updates:
        for rank, hit in enumerate(update.hits):
            if hit.final:
                assert updates[-1].hits[rank] == hit


def test_default_update_rate_is_coalesced(client: Client, services: dict) -> None:
    every = list(client.similar(services["layer"], target=32, group=top(10), k=30, batch_size=1,
                                update_interval_ms=0, no_cache=True))
    default = list(client.similar(services["layer"], target=32, group=top(10), k=30, batch_size=1, no_cache=True))
    assert hits(default[-1]) == hits(every[-1])
    gaps = [b.stats.elapsed_ms - a.stats.elapsed_ms for a, b in zip(default[:-2], default[1:-1])]
    assert all(gap >= 50 for gap in gaps), gaps


def test_raw_tensor_target_finds_its_own_image(client: Client, services: dict) -> None:
    image = client.input(64)
    assert image.values.shape == (1, 28, 28) and image.values.max() <= 255
    datasets = client.list_datasets()
    scale = datasets[0].scale
    answer = client.similar(services["layer"], target=(image.values * np.float32(scale)).astype(np.float32),
                            group=top(5), k=3).result()
    assert answer.hits[0].input_id == 64 and answer.hits[0].score == 0


def test_group_syntax_stored_target_gives_the_stored_inputs_activations(client: Client, services: dict) -> None:
    image = client.input(64)
    by_id = client.activations(services["layer"], target=64)
    by_pixels = client.activations(services["layer"], target=stored(image.values))
    assert np.array_equal(by_id.values.view(np.uint32), by_pixels.values.view(np.uint32))
    answer = client.similar(services["layer"], target=stored(image.values), group="rect:5,*,*", k=3).result()
    assert answer.hits[0].input_id == 64 and answer.hits[0].score == 0


def test_activations_are_numpy_in_the_layer_shape(client: Client, services: dict) -> None:
    layer = next(l for l in client.list_layers() if l.name == services["layer"])
    activations = client.activations(services["layer"], 3, top_m=4)
    assert activations.values.shape == layer.shape
    assert activations.values.dtype == np.float32
    flat = activations.values.ravel()
    assert flat[activations.top_neurons[0]] == flat.max()
    first = client.similar(services["layer"], target=3, group=top(4), k=1, update_interval_ms=0)
    assert list(next(iter(first)).group) == list(activations.top_neurons), "top_of_target order: highest first, ties by index"


def test_catalog_lists_what_the_harness_prepared(client: Client, services: dict) -> None:
    assert [m.name for m in client.list_models()] == [services["model"]]
    dataset = client.list_datasets()[0]
    assert (dataset.name, dataset.count, dataset.input_shape) == (services["dataset"], services["inputs"], (1, 28, 28))
    indexes = client.list_indexes()
    assert [i.layer for i in indexes] == [services["layer"]]
    assert 0 < indexes[0].storage_fraction < 0.2
    assert client.describe_index(services["layer"]) == indexes[0]


def test_build_index_streams_progress_then_delete(client: Client, services: dict) -> None:
    layer = "/classifier/classifier.2/Relu_output_0"
    progress = list(client.build_index(layer, partitions=8))
    assert progress[-1].phase == "done" and progress[-1].index is not None
    assert progress[-1].index.partitions == 8 and progress[-1].fraction == 1.0
    assert len(progress) >= 2
    assert client.similar(layer, target=0, group=top(2), k=5).result().stats.strategy == "bounds"
    assert client.delete_index(layer) > 0
    with pytest.raises(NotFound):
        client.describe_index(layer)


@pytest.mark.parametrize("kwargs,code,fragment", [
    (dict(k=0), grpc.StatusCode.INVALID_ARGUMENT, "k must be in 1..10000"),
    (dict(group=top(0)), grpc.StatusCode.INVALID_ARGUMENT, "group.top_of_target"),
    (dict(weights=[0, 0, 0]), grpc.StatusCode.INVALID_ARGUMENT, "weights are all zero"),
    (dict(ids=[5, 100000]), grpc.StatusCode.INVALID_ARGUMENT, "filter.ids"),
    (dict(layer="no/such/layer"), grpc.StatusCode.NOT_FOUND, "no/such/layer"),
    (dict(model="nope"), grpc.StatusCode.NOT_FOUND, "nope"),
])
def test_bad_request_raises_with_the_status(client: Client, services: dict, kwargs, code, fragment) -> None:
    args = dict(layer=services["layer"], target=1, group=top(3), k=5)
    args.update(kwargs)
    with pytest.raises(Exception) as caught:
        client.similar(**args).result()
    error = caught.value
    assert error.code == code and fragment in error.details
    assert isinstance(error, InvalidArgument if code == grpc.StatusCode.INVALID_ARGUMENT else NotFound)


def test_raw_tensor_of_the_wrong_shape_is_refused(client: Client, services: dict) -> None:
    image = client.input(2).values.reshape(28, 28, 1) / 255
    with pytest.raises(InvalidArgument, match=r"target.tensor.shape is \[28, 28, 1\]"):
        client.similar(services["layer"], target=image, k=3).result()


def test_timeout_raises_deadline_exceeded(client: Client, services: dict) -> None:
    with pytest.raises(DeadlineExceeded):
        client.similar(services["unindexed_layer"], target=4, group=top(64), k=50, strategy="reprocess_all",
                       no_cache=True, timeout=0.001).result()


def test_hits_are_dataclasses(client: Client, services: dict) -> None:
    answer = client.similar(services["layer"], target=9, k=2).result()
    assert isinstance(answer.hits[0], Hit)
    assert answer.ids.dtype == np.int64 and answer.ids.shape == (2,)
    with pytest.raises(Exception):
        answer.hits[0].score = 1.0  # frozen


def test_example_writes_a_png_grid(services: dict, tmp_path) -> None:
    out = tmp_path / "grid.png"
    example = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "examples", "similar_grid.py")
    result = subprocess.run([sys.executable, example, "--query", services["query"], "--index", services["index"],
                             "--layer", services["layer"], "--target", "0", "--k", "8", "--out", str(out)],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    data = out.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 5000
    assert "input 0" in result.stdout


def queries_running(services: dict) -> float:
    """The QueryService's deepeverest_queries_running gauge, read from /metrics on its HTTP port."""
    with urllib.request.urlopen(services["query_http"] + "/metrics", timeout=30) as response:
        text = response.read().decode()
    values = [float(line.split()[-1]) for line in text.splitlines()
              if line.startswith("deepeverest_queries_running") and not line.startswith("#")]
    return sum(values)


def wait_until_idle(services: dict, seconds: float = 20) -> float:
    deadline = time.monotonic() + seconds
    while queries_running(services) != 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    return queries_running(services)


def long_query(client: Client, services: dict):
    """ReprocessAll over every input of an unindexed layer, an update per batch: easy to stop midway."""
    return client.similar(services["unindexed_layer"], target=4, group=top(64), k=50, strategy="reprocess_all",
                          batch_size=1, update_interval_ms=0, no_cache=True)


def needs_metrics(services: dict) -> None:
    assert services.get("query_http"), "the harness found no HTTP endpoint (with /metrics) on the QueryService"


def test_breaking_out_of_the_loop_stops_the_query_on_the_server(client: Client, services: dict) -> None:
    needs_metrics(services)
    for update in long_query(client, services):
        assert not update.done
        assert queries_running(services) == 1, "the query runs on the server while we read"
        break
    assert wait_until_idle(services) == 0, "the server stopped the query"


def test_cancel_and_context_manager_stop_the_query(client: Client, services: dict) -> None:
    needs_metrics(services)
    with long_query(client, services) as stream:
        reading = iter(stream)  # kept alive: leaving the with block is what cancels
        assert not next(reading).done and queries_running(services) == 1
    assert wait_until_idle(services) == 0
    del reading

    stream = long_query(client, services)
    updates = iter(stream)
    next(updates)
    stream.cancel()
    with pytest.raises(Cancelled):
        for _ in updates:
            pass
    assert wait_until_idle(services) == 0


def test_cli_npy_target_with_a_batch_axis_equals_python(client: Client, services: dict, tmp_path) -> None:
    image = (client.input(77).values / 255).astype(np.float32)
    npy = tmp_path / "target.npy"
    np.save(npy, image[np.newaxis])  # [1, 1, 28, 28]: a batch of one, as models take it
    cli = run_cli(services, "query", "similar", "--layer", services["layer"], "--target-npy", str(npy),
                  "--group", "top:3", "--k", "5")
    answer = client.similar(services["layer"], target=image, group=top(3), k=5).result()
    assert hits(answer) == json_hits(cli[-1])
    assert answer.hits[0].input_id == 77


def _grey_png(width: int, height: int, value: int) -> bytes:
    """A greyscale 8-bit PNG of one value, written with zlib alone (no imaging library needed)."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + bytes([value]) * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def test_import_image_folder_names_labels_after_class_folders(client: Client, services: dict) -> None:
    root = os.path.join(services["data_root"], "py-pictures")
    for label, (name, value) in enumerate([("dark", 30), ("light", 220)]):
        os.makedirs(os.path.join(root, name), exist_ok=True)
        for i in range(2):
            with open(os.path.join(root, name, f"{i}.png"), "wb") as f:
                f.write(_grey_png(40 + i, 30, value))

    # Named to sort after the harness's dataset, which other tests expect first.
    dataset = client.import_image_folder("zz-py-pictures", "py-pictures", (1, 28, 28), scale=1 / 255, replace=True)

    assert (dataset.count, dataset.input_shape, dataset.labels) == (4, (1, 28, 28), (0, 1))
    assert dataset.label_names == {0: "dark", 1: "light"}
    with open(os.path.join(root, "light", "broken.png"), "wb") as f:
        f.write(b"not a png")
    with pytest.raises(InvalidArgument, match="py-pictures/light/broken.png"):
        client.import_image_folder("zz-py-broken", "py-pictures", (1, 28, 28))
    assert "zz-py-broken" not in [d.name for d in client.list_datasets()]
