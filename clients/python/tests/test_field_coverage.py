"""Every request field of protos/deepeverest/v1 is reachable from the client's public methods.

The field paths come from the generated descriptors (so a new .proto field, once `make
python-client` regenerated the code, shows up here by itself); the requests come from calling the
client's public methods, in CALLS below, against recording stubs. A field counts as reachable when
some call set it (a non-default value, a set oneof member, a non-empty repeated field or map).
A field the client cannot set, or an RPC no method calls, fails the test. No services.
"""

from __future__ import annotations

from typing import Iterator

import numpy as np
import pytest
from google.protobuf.descriptor import FieldDescriptor

from deepeverest_client import Client, at, neurons, rect, stored, text_token, top
from deepeverest_client._proto.deepeverest.v1 import common_pb2 as cpb
from deepeverest_client._proto.deepeverest.v1 import index_service_pb2 as ipb
from deepeverest_client._proto.deepeverest.v1 import query_service_pb2 as qpb

SERVICES = [qpb.DESCRIPTOR.services_by_name["QueryService"], ipb.DESCRIPTOR.services_by_name["IndexService"]]
MODULES = (cpb, ipb, qpb)
PIXELS = np.arange(4, dtype=np.float32).reshape(1, 2, 2)

# (method, positional arguments, keyword arguments): together they must set every request field.
CALLS = [
    ("similar", ("L", 5), dict(group=top(3), k=7, distance="l1", weights=[1, 2, 3], include_target=True, labels=[1],
                               ids=[2], id_range=(3, None), strategy="nta", batch_size=8, update_interval_ms=5,
                               no_cache=True, fixed_batches=True, allow_partial=True, model="m", dataset="d")),
    ("similar", ("L", PIXELS), dict(group=neurons(1, 2), id_range=range(1, 4))),
    ("similar", ("L", stored(PIXELS)), dict(group=at((0, 1, 1)))),
    ("similar", ("L", 5), dict(group=rect(5, slice(2, None), ...))),
    ("highest", ("L", top(2)), dict(target=4, k=3, aggregate="l2_norm", labels=[1], ids=[2], id_range=range(1, 9),
                                    strategy="reprocess_all", batch_size=2, update_interval_ms=0, no_cache=True,
                                    fixed_batches=True, allow_partial=True, model="m", dataset="d")),
    ("highest", ("L", "rect:1:3,*"), dict(target=PIXELS, id_range=(2, None))),
    ("highest", ("L", "at:1.2"), dict(target=stored(PIXELS))),
    ("highest", ("L", neurons(7)), {}),
    ("similar", ("L", text_token("Call me Ishmael.", 2)), dict(documents={"party": ["d", "dr"]})),
    ("highest", ("L", top(1)), dict(target=text_token("Call me", 1), documents={"year": "1790"})),
    ("activations", ("L", 3), dict(top_m=2, model="m", dataset="d")),
    ("activations", ("L", PIXELS), {}),
    ("activations", ("L", stored(PIXELS)), {}),
    ("activations", ("L", text_token("Call me", 1)), {}),
    ("input", (3,), dict(dataset="d")),
    ("inputs", ([1, 2],), {}),
    ("list_models", (), {}),
    ("list_datasets", (), {}),
    ("list_layers", ("m",), {}),
    ("list_indexes", ("m", "d"), {}),
    ("describe_index", ("L",), dict(model="m", dataset="d")),
    ("delete_index", ("L",), dict(model="m", dataset="d")),
    ("build_index", ("L",), dict(partitions=8, ratio=0.02, storage_budget=0.1, batch_size=4, memory_budget_mb=64,
                                 model="m", dataset="d")),
    ("materialize_layer", ("L",), dict(batch_size=4, model="m", dataset="d")),
    ("add_model", ("m", "m.onnx"), dict(preprocessing="pre.onnx", replace=True)),
    ("upload_model", ("m", b"onnx"), dict(preprocessing=b"pre", replace=True)),
    ("import_dataset", ("d", ["a.npy", "b.npy"], ["la.npy", "lb.npy"]),
     dict(scale=1 / 255, shift=0.5, mean=[0.1, 0.2, 0.3], std=[0.4], label_names=["cat", "dog"], input_shape=(1, 2, 2),
          replace=True, input_range=(10, 20))),
    ("import_dataset_with_progress", ("d", "a.npy", "la.npy"),
     dict(scale=2, shift=1, mean=[0.5], std=[0.5], label_names={0: "cat"}, input_shape=(4,), replace=True, shard=(1, 4))),
    # The slice is a oneof: each import method sets each of its two forms in one of these calls.
    ("import_dataset", ("d", "a.npy"), dict(shard=(1, 2))),
    ("import_dataset_with_progress", ("d", "a.npy"), dict(input_range=(1, 5))),
    ("import_image_folder", ("d", "pictures", (3, 8, 8)), dict(scale=1 / 255, shift=1, mean=[0.5], std=[0.5], replace=True)),
    ("import_image_folder_with_progress", ("d", "pictures", (1, 8, 8)), dict(scale=2)),
    ("import_text", ("d", ["a.txt", "b.txt"]), dict(tokenizer="bert-wordpiece", vocab_path="vocab.txt", window_tokens=64,
                                                    document_per_line=True, name_pattern="^(?<year>\\d{4})", replace=True)),
    ("import_text_with_progress", ("d", "a.txt"), dict(vocab_path="vocab.txt", window_tokens=32, document_per_line=True,
                                                                  name_pattern="(?<n>.+)")),
]

# Responses the client's conversions can read (an empty tensor has no shape to reshape to).
RESPONSES = {
    "GetActivations": qpb.GetActivationsResponse(shape=[1], values=[0.5]),
    "GetInput": qpb.GetInputResponse(tensor=cpb.Tensor(shape=[1], values=[1]), label=2),
}


def message_class(descriptor):  # noqa: ANN001, ANN201
    return next(getattr(m, descriptor.name) for m in MODULES if m.DESCRIPTOR.name == descriptor.file.name)


class FakeCall:
    """A server stream of one default message that, like a grpc call, can be cancelled."""

    def __init__(self, message: object) -> None:
        self.message = message

    def __iter__(self) -> Iterator[object]:
        yield self.message

    def cancel(self) -> bool:
        return True


class Recorder:
    """Stands in for a service stub: records each request (all chunks of a client stream)."""

    def __init__(self, service, calls: list) -> None:  # noqa: ANN001
        self.service = service
        self.calls = calls

    def __getattr__(self, name: str):  # noqa: ANN204
        method = self.service.methods_by_name[name]

        def invoke(request, timeout=None, metadata=()):  # noqa: ANN001, ANN202
            requests = list(request) if method.client_streaming else [request]
            self.calls.append((method.full_name, requests, tuple(metadata or ())))
            response = RESPONSES.get(name) or message_class(method.output_type)()
            return FakeCall(response) if method.server_streaming else response

        return invoke


def field_paths(descriptor, prefix: str = "", seen: frozenset = frozenset()) -> set[str]:  # noqa: ANN001
    """Every field path of a message: leaves, and message fields down to their own fields."""
    paths = set()
    for field in descriptor.fields:
        path = f"{prefix}{field.name}"
        is_map = field.message_type is not None and field.message_type.GetOptions().map_entry
        if field.type == FieldDescriptor.TYPE_MESSAGE and not is_map and field.message_type.full_name not in seen:
            inner = field_paths(field.message_type, path + ".", seen | {descriptor.full_name})
            paths |= inner or {path}
        else:
            paths.add(path)
    return paths


def set_paths(message, prefix: str = "") -> set[str]:  # noqa: ANN001
    """The field paths a message sets (non-default values, set oneof members, non-empty repeats)."""
    paths = set()
    for field, value in message.ListFields():
        path = f"{prefix}{field.name}"
        is_map = field.message_type is not None and field.message_type.GetOptions().map_entry
        if field.type == FieldDescriptor.TYPE_MESSAGE and not is_map:
            items = value if field.label == FieldDescriptor.LABEL_REPEATED else [value]
            inner = set().union(*(set_paths(item, path + ".") for item in items))
            paths |= inner or {path}
        else:
            paths.add(path)
    return paths


def record(**client_args: object) -> list:
    """Every call of CALLS: (RPC, its requests, its metadata)."""
    calls: list = []
    client = Client("127.0.0.1:1", index="127.0.0.1:1", **client_args)
    client._query = Recorder(SERVICES[0], calls)
    client._index = Recorder(SERVICES[1], calls)
    for method, args, kwargs in CALLS:
        result = getattr(client, method)(*args, **kwargs)
        if hasattr(result, "result"):
            result.result()
    client.close()
    return calls


@pytest.fixture(scope="module")
def recorded() -> list:
    return record()


# RPCs for routers, not clients (docs/scale-out.md): no client method calls them.
ROUTER_ONLY = {"deepeverest.v1.QueryService.TopKShard"}
CLIENT_METHODS = [m for service in SERVICES for m in service.methods if m.full_name not in ROUTER_ONLY]


def test_every_rpc_is_called_by_a_public_method(recorded: list) -> None:
    every = {m.full_name for m in CLIENT_METHODS}
    assert every - {name for name, _, _ in recorded} == set(), "RPCs no client method calls"


@pytest.mark.parametrize("method", CLIENT_METHODS, ids=lambda m: m.name)
def test_every_request_field_is_reachable(recorded: list, method) -> None:  # noqa: ANN001
    expected = field_paths(method.input_type)
    reached = set().union(*(set_paths(r) for name, requests, _ in recorded if name == method.full_name for r in requests))
    missing = sorted(expected - reached)
    assert not missing, f"{method.input_type.name} fields the Python client cannot set: {missing}"


def test_the_walk_finds_nested_fields() -> None:
    # The test above is only as good as this walk: nested messages, oneofs and maps are leaves it reaches.
    paths = field_paths(qpb.TopKSimilarRequest.DESCRIPTOR)
    assert {"target.input_id", "target.stored_tensor.values", "group.rectangle.ranges.open_end",
            "group.neurons.neurons.coordinates.values", "filter.id_range.open_end",
            "options.fixed_batches", "layer.dataset"} <= paths
    assert "label_names" in field_paths(ipb.ImportDatasetRequest.DESCRIPTOR)
    assert set_paths(qpb.Target(input_id=3)) == {"input_id"}
    assert set_paths(qpb.TopKSimilarRequest(k=0)) == set(), "a default value is not a set field"


def test_an_api_key_goes_with_every_call(recorded: list, monkeypatch) -> None:  # noqa: ANN001
    assert all(metadata == () for _, _, metadata in recorded), "no key, no authorization header"
    keyed = record(api_key="k" * 16)
    assert len(keyed) == len(recorded)
    assert all(metadata == (("authorization", "Bearer " + "k" * 16),) for _, _, metadata in keyed)
    monkeypatch.setenv("DEEPEVEREST_API_KEY", "from-the-environment")
    assert {metadata for _, _, metadata in record()} == {(("authorization", "Bearer from-the-environment"),)}
