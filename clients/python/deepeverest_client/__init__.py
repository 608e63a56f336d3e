"""Python client of DeepEverest: exact top-k queries over the activations of a DNN.

    from deepeverest_client import Client, top

    with Client("127.0.0.1:50052", index="127.0.0.1:50051") as client:
        for update in client.similar("/block3/block3.2/Relu_output_0", target=42, group=top(3), k=20):
            print(f"{update.final_count}/{len(update.hits)} final, threshold {update.threshold:.4g}")
        print(update.ids, update.scores)   # the exact answer (update.done)

Queries stream :class:`Update` objects whose hits are :class:`Hit` dataclasses; activations and
inputs come back as numpy arrays. Leaving a loop early cancels the call on the server. Errors are
:class:`DeepEverestError` subclasses (``InvalidArgument``, ``NotFound``, ...) carrying the gRPC
status code and the service's message.
"""

try:
    from ._proto.deepeverest.v1 import query_service_pb2 as _check  # noqa: F401
except ImportError as error:  # pragma: no cover - the committed generated code was deleted
    raise ImportError(
        "deepeverest_client's generated code is missing: run `make python-client` at the repository root "
        "(or /usr/bin/python3 clients/python/build_protos.py)") from error

from .client import (BuildStream, Client, Documents, ImportStream, QueryStream, StoredInput, Target, TextToken, stored,
                     text_token)
from .errors import (AlreadyExists, Cancelled, DeadlineExceeded, DeepEverestError, FailedPrecondition,
                     InvalidArgument, NotFound, ResourceExhausted, Unavailable)
from .groups import Group, at, format_group, neurons, parse, rect, top
from .streams import Stream
from .types import (Activations, BuildProgress, DatasetInfo, Hit, ImportProgress, IndexInfo, Input, LayerInfo,
                    ModelInfo, QueryStats, TextContext, Update)

__all__ = [
    "Client", "QueryStream", "BuildStream", "ImportStream", "Stream", "Target", "StoredInput", "stored",
    "TextToken", "text_token", "Documents",
    "Group", "top", "neurons", "at", "rect", "parse", "format_group",
    "Update", "Hit", "TextContext", "QueryStats", "Activations", "Input", "ModelInfo", "DatasetInfo", "LayerInfo", "IndexInfo",
    "BuildProgress", "ImportProgress",
    "DeepEverestError", "InvalidArgument", "NotFound", "FailedPrecondition", "ResourceExhausted", "AlreadyExists",
    "DeadlineExceeded", "Cancelled", "Unavailable",
]
