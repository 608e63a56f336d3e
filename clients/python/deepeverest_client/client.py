"""The DeepEverest client: one object holding channels to both services."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Iterable, Mapping, Optional, Sequence, Tuple, Union

import grpc
import numpy as np

from ._proto.deepeverest.v1 import common_pb2 as cpb
from ._proto.deepeverest.v1 import index_service_pb2 as ipb
from ._proto.deepeverest.v1 import index_service_pb2_grpc as igrpc
from ._proto.deepeverest.v1 import query_service_pb2 as qpb
from ._proto.deepeverest.v1 import query_service_pb2_grpc as qgrpc
from .errors import from_rpc_error
from .groups import Group, parse, top
from .streams import Stream
from .types import (AGGREGATES, DISTANCES, STRATEGIES, Activations, BuildProgress, DatasetInfo, ImportProgress,
                    IndexInfo, Input, LayerInfo, ModelInfo, TextContext, Update)

@dataclass(frozen=True)
class StoredInput:
    """A raw target in the dataset's stored units (e.g. uint8 pixels, as :meth:`Client.get_input`
    returns them): the service applies the dataset's preprocessing, as to a stored input, so a
    picture of a dataset input gives that input's activations bit for bit. Build with :func:`stored`."""

    values: np.ndarray


def stored(values: Union[np.ndarray, Sequence[float]]) -> StoredInput:
    """Marks a raw target as being in the dataset's stored units (``Target.stored_tensor``), so the
    client needs no copy of the dataset's preprocessing: ``client.similar(layer, stored(pixels))``."""
    return StoredInput(np.asarray(values, dtype=np.float32))


@dataclass(frozen=True)
class TextToken:
    """A token of raw text as a target over a text dataset (``Target.text``): the service
    tokenizes `text` with the dataset's tokenizer and runs it as one window; `token` is the target
    token's index among its WordPiece tokens, [CLS] not counted. Build with :func:`text_token`."""

    text: str
    token: int


def text_token(text: str, token: int) -> TextToken:
    """A raw-text target: ``client.similar(layer, text_token("Call me Ishmael.", 2))`` (token 2 is
    "is", the first piece of "Ishmael"; docs/text.md, "Raw-text targets")."""
    return TextToken(text, int(token))


#: A query target: a dataset input id, a raw model input (array of the dataset's input shape,
#: preprocessing applied), a raw input in the dataset's stored units (:func:`stored`), or a token
#: of raw text over a text dataset (:func:`text_token`).
Target = Union[int, np.integer, np.ndarray, Sequence[float], StoredInput, TextToken]

#: Document metadata to keep (``Filter.documents``, text datasets): ``{key: values}``, e.g.
#: ``{"party": ["d", "dr"]}``; entries combine by AND, values of one key by OR.
Documents = Optional[Mapping[str, Iterable[str]]]

#: A stream of query updates.
QueryStream = Stream[Update]

#: A stream of index build (or materialization) progress.
BuildStream = Stream[BuildProgress]

#: A stream of dataset import progress.
ImportStream = Stream[ImportProgress]

#: Names of labels: ``{label: name}``, or a sequence of names for labels 0, 1, ...
LabelNames = Union[Mapping[int, str], Sequence[str], None]

DEFAULT_QUERY_ADDRESS = "127.0.0.1:50052"
DEFAULT_INDEX_ADDRESS = "127.0.0.1:50051"


class Client:
    """Talks to a QueryService and an IndexService over gRPC.

    >>> from deepeverest_client import Client, top
    >>> with Client("127.0.0.1:50052", index="127.0.0.1:50051") as client:
    ...     for update in client.similar("/block3/block3.2/Relu_output_0", target=42, group=top(3), k=20):
    ...         print(update.final_count, update.threshold)

    Addresses (``host:port``, ``http://host:port`` or ``https://host:port``) default to the
    environment variables ``DEEPEVEREST_QUERY`` and ``DEEPEVEREST_INDEX``, then to the services'
    defaults. ``model`` and ``dataset`` name what every call uses unless it says otherwise; left
    empty, the service uses the only registered model (dataset). ``timeout`` (seconds) bounds
    every call unless the call gives its own; None = no deadline.

    ``api_key`` (default: the environment variable ``DEEPEVEREST_API_KEY``) goes with every call
    as ``authorization: Bearer <key>``, for services that require keys. An ``https://`` address
    connects with TLS, trusting the system's CAs, or the PEM file ``ca_file`` (default:
    ``DEEPEVEREST_CA_FILE``) for a private CA; ``credentials`` (e.g.
    ``grpc.ssl_channel_credentials(...)`` with a client certificate) forces TLS with those.
    ``options`` are extra gRPC channel options.
    """

    def __init__(self, query: Optional[str] = None, index: Optional[str] = None, *, model: str = "",
                 dataset: str = "", timeout: Optional[float] = None, api_key: Optional[str] = None,
                 ca_file: Optional[str] = None, credentials: Optional[grpc.ChannelCredentials] = None,
                 options: Sequence[tuple[str, object]] = ()) -> None:
        query = query or os.environ.get("DEEPEVEREST_QUERY") or DEFAULT_QUERY_ADDRESS
        index = index or os.environ.get("DEEPEVEREST_INDEX") or DEFAULT_INDEX_ADDRESS
        self.query_address = _address(query)
        self.index_address = _address(index)
        self.model = model
        self.dataset = dataset
        self.timeout = timeout
        key = api_key if api_key is not None else os.environ.get("DEEPEVEREST_API_KEY", "")
        # Metadata on each call rather than call credentials: those need TLS, keys work without too.
        self._metadata = (("authorization", f"Bearer {key}"),) if key else ()
        ca_file = ca_file if ca_file is not None else os.environ.get("DEEPEVEREST_CA_FILE") or None
        # Activation tensors of big layers exceed gRPC's 4 MiB default.
        channel_options = [("grpc.max_receive_message_length", 256 << 20), *options]

        def channel(address: str) -> grpc.Channel:
            tls = credentials
            if tls is None and address.startswith("https://"):
                roots = None
                if ca_file:
                    with open(ca_file, "rb") as f:
                        roots = f.read()
                tls = grpc.ssl_channel_credentials(root_certificates=roots)
            if tls is not None:
                return grpc.secure_channel(_address(address), tls, options=channel_options)
            return grpc.insecure_channel(_address(address), options=channel_options)

        self._query_channel = channel(query)
        self._index_channel = channel(index)
        self._query = qgrpc.QueryServiceStub(self._query_channel)
        self._index = igrpc.IndexServiceStub(self._index_channel)

    # -- lifetime ---------------------------------------------------------------------------

    def close(self) -> None:
        """Closes both channels (cancelling calls in flight)."""
        self._query_channel.close()
        self._index_channel.close()

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- queries ----------------------------------------------------------------------------

    def similar(self, layer: str, target: Target, group: Union[Group, str] = top(3), k: int = 20, *,
                distance: str = "l2", weights: Optional[Sequence[float]] = None, include_target: bool = False,
                labels: Optional[Iterable[int]] = None, ids: Optional[Iterable[int]] = None,
                id_range: Optional[Union[range, tuple[int, Optional[int]]]] = None, documents: Documents = None,
                strategy: str = "bounds", batch_size: int = 0, update_interval_ms: Optional[int] = None,
                no_cache: bool = False, fixed_batches: bool = False, allow_partial: bool = False,
                model: Optional[str] = None, dataset: Optional[str] = None, timeout: Optional[float] = None) -> QueryStream:
        """The `k` inputs nearest to `target` in the activation space of `group` at `layer`.

        Returns a stream of :class:`Update`, refined until the last (``done``) is the exact
        answer; iterate it, or call ``.result()`` for the exact answer alone.

        Args:
            layer: layer (ONNX tensor) name, as listed by :meth:`list_layers`.
            target: a dataset input id, a raw model input (numpy array of the dataset's input
                shape, preprocessing already applied), ``stored(pixels)``: a raw input in the
                dataset's stored units, preprocessed by the service, or (text datasets)
                ``text_token(text, token)``: a token of raw text.
            group: the neurons: :func:`top`, :func:`neurons`, :func:`at` or :func:`rect`, or
                group syntax text such as ``"rect:5,*,*"`` (:func:`parse`).
            k: number of results, 1..10000.
            distance: "l2", "l1" or "linf".
            weights: one non-negative weight per group neuron, in group order (not all zero):
                l2 = sqrt(sum w*d^2), l1 = sum w*|d|, linf = max w*|d|.
            include_target: whether a dataset target may appear in its own answer.
            labels, ids, id_range: keep only inputs with these labels / ids / ids in [start, stop).
            documents: text datasets: keep only items of documents whose metadata matches,
                ``{key: values}`` (e.g. ``{"party": ["d"]}``; keys AND, values OR).
            strategy: "bounds" (default), "nta", "reprocess_all" or "materialized".
            batch_size: inputs verified per inference batch (0 = the service's default).
            update_interval_ms: at most one update per this many ms; None = the service's default
                (50 ms), 0 = every update. The first and last updates always come.
            no_cache: bypass the service's activation cache.
            fixed_batches: verify in batches of exactly `batch_size` instead of adaptive ones
                (for comparisons: same answer, different inference counts).
            allow_partial: through a router over shards only: answer without shards that fail
                (the answer is then never exact, and ``stats.shards_missing`` names them) instead
                of failing with UNAVAILABLE. A single service ignores it.
            model, dataset: override the client's defaults.
            timeout: seconds for the whole stream (None = the client's default).
        """
        request = qpb.TopKSimilarRequest(
            layer=self._layer(layer, model, dataset), target=_target(target), k=k,
            distance=_choice(DISTANCES, distance, "distance"), weights=list(weights or []),
            include_target=include_target, filter=_filter(labels, ids, id_range, documents),
            options=_options(strategy, batch_size, update_interval_ms, no_cache, fixed_batches, allow_partial))
        request.group.CopyFrom(self._group(group, request.layer))
        call = self._query.TopKSimilar(request, timeout=self._timeout(timeout), metadata=self._metadata)
        return Stream(call, Update.from_proto, "TopKSimilar")

    def highest(self, layer: str, group: Union[Group, str], k: int = 20, *, target: Optional[Target] = None,
                aggregate: str = "sum", labels: Optional[Iterable[int]] = None, ids: Optional[Iterable[int]] = None,
                id_range: Optional[Union[range, tuple[int, Optional[int]]]] = None, documents: Documents = None,
                strategy: str = "bounds", batch_size: int = 0, update_interval_ms: Optional[int] = None,
                no_cache: bool = False, fixed_batches: bool = False, allow_partial: bool = False,
                model: Optional[str] = None, dataset: Optional[str] = None, timeout: Optional[float] = None) -> QueryStream:
        """The `k` inputs with the highest aggregate activation of `group` at `layer`.

        `target` is needed only for a :func:`top` group (whose neurons it picks); `aggregate` is
        "sum", "mean" or "l2_norm". Other arguments as in :meth:`similar`.
        """
        request = qpb.TopKHighestRequest(
            layer=self._layer(layer, model, dataset), k=k, aggregate=_choice(AGGREGATES, aggregate, "aggregate"),
            filter=_filter(labels, ids, id_range, documents),
            options=_options(strategy, batch_size, update_interval_ms, no_cache, fixed_batches, allow_partial))
        if target is not None:
            request.target.CopyFrom(_target(target))
        request.group.CopyFrom(self._group(group, request.layer))
        call = self._query.TopKHighest(request, timeout=self._timeout(timeout), metadata=self._metadata)
        return Stream(call, Update.from_proto, "TopKHighest")

    def activations(self, layer: str, target: Target, *, top_m: int = 0, model: Optional[str] = None,
                    dataset: Optional[str] = None, timeout: Optional[float] = None) -> Activations:
        """The activations of one input at `layer`, shaped like the layer, and (with `top_m` > 0)
        the flat indices of its `top_m` most activated neurons."""
        request = qpb.GetActivationsRequest(layer=self._layer(layer, model, dataset), target=_target(target), top_m=top_m)
        response = self._unary(self._query, "GetActivations", request, timeout)
        values = np.array(response.values, dtype=np.float32).reshape(tuple(response.shape))
        return Activations(values, np.array(response.top_neurons, dtype=np.int64))

    def input(self, input_id: int, *, dataset: Optional[str] = None, timeout: Optional[float] = None) -> Input:
        """One dataset input as stored (e.g. pixel values 0..255), shaped, with its label; over a text
        dataset the token item with its window (`Input.text`)."""
        request = qpb.GetInputRequest(dataset=self.dataset if dataset is None else dataset, input_id=int(input_id))
        response = self._unary(self._query, "GetInput", request, timeout)
        if response.HasField("text"):
            # A token item: no array, its window instead.
            return Input(int(input_id), np.zeros((0,), dtype=np.float32), response.label, TextContext.from_proto(response.text))
        values = np.array(response.tensor.values, dtype=np.float32).reshape(tuple(response.tensor.shape))
        return Input(int(input_id), values, response.label)

    def inputs(self, input_ids: Iterable[int], *, dataset: Optional[str] = None,
               timeout: Optional[float] = None) -> list[Input]:
        """Several dataset inputs, in the order given."""
        return [self.input(i, dataset=dataset, timeout=timeout) for i in input_ids]

    # -- catalog and indexes ----------------------------------------------------------------

    def list_models(self, *, timeout: Optional[float] = None) -> list[ModelInfo]:
        """The registered models."""
        return [ModelInfo.from_proto(m) for m in self._unary(self._index, "ListModels", ipb.ListModelsRequest(), timeout).models]

    def list_datasets(self, *, timeout: Optional[float] = None) -> list[DatasetInfo]:
        """The imported datasets."""
        return [DatasetInfo.from_proto(d) for d in self._unary(self._index, "ListDatasets", ipb.ListDatasetsRequest(), timeout).datasets]

    def list_layers(self, model: Optional[str] = None, *, timeout: Optional[float] = None) -> list[LayerInfo]:
        """A model's layers (every node output whose shape is known), in graph order."""
        request = ipb.ListLayersRequest(model=self.model if model is None else model)
        return [LayerInfo.from_proto(layer) for layer in self._unary(self._index, "ListLayers", request, timeout).layers]

    def list_indexes(self, model: Optional[str] = None, dataset: Optional[str] = None, *,
                     timeout: Optional[float] = None) -> list[IndexInfo]:
        """The published indexes, optionally of one model and/or dataset."""
        request = ipb.ListIndexesRequest(model=model or "", dataset=dataset or "")
        return [IndexInfo.from_proto(i) for i in self._unary(self._index, "ListIndexes", request, timeout).indexes]

    def describe_index(self, layer: str, *, model: Optional[str] = None, dataset: Optional[str] = None,
                       timeout: Optional[float] = None) -> IndexInfo:
        """One published index (NotFound when the layer has none)."""
        request = ipb.DescribeIndexRequest(layer=self._layer(layer, model, dataset))
        return IndexInfo.from_proto(self._unary(self._index, "DescribeIndex", request, timeout))

    def delete_index(self, layer: str, *, model: Optional[str] = None, dataset: Optional[str] = None,
                     timeout: Optional[float] = None) -> int:
        """Deletes a layer's index; returns the bytes freed."""
        request = ipb.DeleteIndexRequest(layer=self._layer(layer, model, dataset))
        return self._unary(self._index, "DeleteIndex", request, timeout).bytes_freed

    def build_index(self, layer: str, *, partitions: int = 0, ratio: Optional[float] = None,
                    storage_budget: float = 0.0, batch_size: int = 0, memory_budget_mb: int = 0,
                    model: Optional[str] = None, dataset: Optional[str] = None,
                    timeout: Optional[float] = None) -> BuildStream:
        """Builds (or rebuilds) a layer's index. Returns a stream of :class:`BuildProgress`;
        ``.result().index`` is the published :class:`IndexInfo`. Breaking out of the loop cancels
        the build (nothing is published).

        Args:
            partitions: partitions per neuron, a power of two in [2, 256]; 0 = the default (16)
                or chosen from `storage_budget`.
            ratio: fraction of inputs whose exact activation is kept per neuron, in [0, 0.5];
                None = the default (0.01) or chosen from `storage_budget`.
            storage_budget: when > 0, the index may use at most this fraction of full
                materialization; partitions and ratio are chosen to fit (explicit values win).
            batch_size: inference batch size (0 = the service's default).
            memory_budget_mb: MiB for the activation matrix before the build spills to disk
                (0 = the service's default).
        """
        request = ipb.BuildIndexRequest(layer=self._layer(layer, model, dataset), partitions=partitions,
                                        storage_budget=storage_budget, batch_size=batch_size,
                                        memory_budget_mb=memory_budget_mb)
        if ratio is not None:
            request.ratio = ratio
        call = self._index.BuildIndex(request, timeout=self._timeout(timeout), metadata=self._metadata)
        return Stream(call, BuildProgress.from_proto, "BuildIndex")

    def materialize_layer(self, layer: str, *, batch_size: int = 0, model: Optional[str] = None,
                          dataset: Optional[str] = None, timeout: Optional[float] = None) -> BuildStream:
        """Stores every activation of a layer (what ``strategy="materialized"`` scans). Returns a
        stream of :class:`BuildProgress`, like :meth:`build_index`."""
        request = ipb.MaterializeLayerRequest(layer=self._layer(layer, model, dataset), batch_size=batch_size)
        call = self._index.MaterializeLayer(request, timeout=self._timeout(timeout), metadata=self._metadata)
        return Stream(call, BuildProgress.from_proto, "MaterializeLayer")

    def add_model(self, name: str, path: str, *, preprocessing: str = "", replace: bool = False,
                  timeout: Optional[float] = None) -> ModelInfo:
        """Registers an ONNX model from a path under the service's data root.

        `preprocessing`: optional path (under the data root) of a preprocessing ONNX model
        composed in front of the model: one float input, one float output of exactly the model's
        input shape, same opsets. Datasets can then stay as stored (e.g. uint8 pixels)."""
        request = ipb.AddModelRequest(name=name, path=path, replace=replace, preprocessing_path=preprocessing)
        return ModelInfo.from_proto(self._unary(self._index, "AddModel", request, timeout))

    def upload_model(self, name: str, file: Union[str, os.PathLike, bytes], *,
                     preprocessing: Union[str, os.PathLike, bytes, None] = None, replace: bool = False,
                     timeout: Optional[float] = None) -> ModelInfo:
        """Uploads and registers an ONNX model from a local file (or its bytes), optionally with a
        preprocessing model composed in front of it (as in :meth:`add_model`)."""
        data = _read_bytes(file)
        pre = _read_bytes(preprocessing) if preprocessing is not None else b""
        chunk = 1 << 20

        def chunks() -> Iterable[ipb.UploadModelChunk]:
            yield ipb.UploadModelChunk(name=name, replace=replace, data=data[:chunk], preprocessing_data=pre[:chunk])
            for start in range(chunk, max(len(data), len(pre)), chunk):
                yield ipb.UploadModelChunk(data=data[start:start + chunk], preprocessing_data=pre[start:start + chunk])

        return ModelInfo.from_proto(self._unary(self._index, "UploadModel", chunks(), timeout))

    def import_dataset(self, name: str, inputs: Union[str, Sequence[str]], labels: Union[str, Sequence[str], None] = None,
                       *, scale: float = 0.0, shift: float = 0.0, mean: Sequence[float] = (),
                       std: Sequence[float] = (), label_names: LabelNames = None, input_shape: Sequence[int] = (),
                       replace: bool = False, input_range: Optional[Tuple[int, int]] = None,
                       shard: Optional[Tuple[int, int]] = None, timeout: Optional[float] = None) -> DatasetInfo:
        """Imports a dataset from files under the service's data root (idx or .npy, optionally
        gzip-compressed). Several `inputs` (and as many `labels`) are concatenated in order.

        Args:
            scale, shift, mean, std: the preprocessing applied whenever the model is fed:
                ``(stored * scale + shift - mean[c]) / std[c]``, c the index along the first axis
                of the input shape; scale 0 means 1; `mean`/`std` empty, one value, or one per
                channel. E.g. uint8 ImageNet pixels: ``scale=1/255, mean=[0.485, 0.456, 0.406],
                std=[0.229, 0.224, 0.225]``.
            label_names: names shown beside label numbers: a dict ``{0: "T-shirt/top", ...}`` or
                a sequence (label 0 first); needs `labels`.
            input_shape: the shape the model sees for one input, e.g. ``(1, 28, 28)``; empty =
                the file's per-input shape.
            replace: replace a dataset of that name (refused while indexes use it).
            input_range: ``(start, end)``: import only the source's inputs [start, end) as an
                input-range shard; ids stay global (docs/scale-out.md).
            shard: ``(index, count)``: import shard `index` of `count` near-equal ranges instead.
        """
        request = self._import_request(name, inputs, labels, scale, shift, mean, std, label_names, input_shape, replace,
                                       input_range, shard)
        return DatasetInfo.from_proto(self._unary(self._index, "ImportDataset", request, timeout))

    def import_dataset_with_progress(self, name: str, inputs: Union[str, Sequence[str]],
                                     labels: Union[str, Sequence[str], None] = None, *, scale: float = 0.0,
                                     shift: float = 0.0, mean: Sequence[float] = (), std: Sequence[float] = (),
                                     label_names: LabelNames = None, input_shape: Sequence[int] = (),
                                     replace: bool = False, input_range: Optional[Tuple[int, int]] = None,
                                     shard: Optional[Tuple[int, int]] = None,
                                     timeout: Optional[float] = None) -> ImportStream:
        """:meth:`import_dataset`, streaming :class:`ImportProgress` while the files are read;
        ``.result().dataset`` is the imported :class:`DatasetInfo`. Leaving the loop early
        abandons the import (nothing is stored)."""
        request = self._import_request(name, inputs, labels, scale, shift, mean, std, label_names, input_shape, replace,
                                       input_range, shard)
        call = self._index.ImportDatasetWithProgress(request, timeout=self._timeout(timeout), metadata=self._metadata)
        return Stream(call, ImportProgress.from_proto, "ImportDatasetWithProgress")

    @staticmethod
    def _import_request(name: str, inputs: Union[str, Sequence[str]], labels: Union[str, Sequence[str], None],
                        scale: float, shift: float, mean: Sequence[float], std: Sequence[float],
                        label_names: LabelNames, input_shape: Sequence[int], replace: bool,
                        input_range: Optional[Tuple[int, int]] = None,
                        shard: Optional[Tuple[int, int]] = None) -> ipb.ImportDatasetRequest:
        inputs = [inputs] if isinstance(inputs, str) else list(inputs)
        label_files = [labels] if isinstance(labels, str) else list(labels or [""] * len(inputs))
        if isinstance(label_names, Mapping):
            names = {int(k): str(v) for k, v in label_names.items()}
        else:
            names = {i: str(v) for i, v in enumerate(label_names or [])}
        if input_range is not None and shard is not None:
            raise ValueError("give input_range or shard, not both")
        request = ipb.ImportDatasetRequest(
            name=name, parts=[ipb.DatasetPart(inputs_path=i, labels_path=l) for i, l in zip(inputs, label_files)],
            preprocessing=ipb.Preprocessing(scale=scale, shift=shift, mean=list(mean), std=list(std)),
            input_shape=list(input_shape), replace=replace, label_names=names)
        if input_range is not None:
            request.input_range.CopyFrom(ipb.InputRange(start=int(input_range[0]), end=int(input_range[1])))
        if shard is not None:
            request.shard.CopyFrom(ipb.ShardOf(index=int(shard[0]), count=int(shard[1])))
        return request

    def import_image_folder(self, name: str, folder: str, input_shape: Sequence[int], *, scale: float = 0.0,
                            shift: float = 0.0, mean: Sequence[float] = (), std: Sequence[float] = (),
                            replace: bool = False, timeout: Optional[float] = None) -> DatasetInfo:
        """Imports a folder of PNG/JPEG images under the service's data root, laid out as torchvision's
        ImageFolder (``folder/<class>/<image>``): the class folders, sorted by name, are the labels
        and label names. The service decodes each image and resizes it to ``input_shape``
        ``(channels, height, width)``, 1 channel for grey or 3 for RGB, stored as uint8: give e.g.
        ``scale=1/255``. A bad file raises InvalidArgument naming it, and nothing is stored."""
        request = self._folder_request(name, folder, input_shape, scale, shift, mean, std, replace)
        return DatasetInfo.from_proto(self._unary(self._index, "ImportDataset", request, timeout))

    def import_image_folder_with_progress(self, name: str, folder: str, input_shape: Sequence[int], *,
                                          scale: float = 0.0, shift: float = 0.0, mean: Sequence[float] = (),
                                          std: Sequence[float] = (), replace: bool = False,
                                          timeout: Optional[float] = None) -> ImportStream:
        """:meth:`import_image_folder`, streaming :class:`ImportProgress` (class folders as parts)
        while the images are decoded; ``.result().dataset`` is the imported :class:`DatasetInfo`."""
        request = self._folder_request(name, folder, input_shape, scale, shift, mean, std, replace)
        call = self._index.ImportDatasetWithProgress(request, timeout=self._timeout(timeout), metadata=self._metadata)
        return Stream(call, ImportProgress.from_proto, "ImportDatasetWithProgress")

    def import_text(self, name: str, paths: Union[str, Sequence[str]], *, tokenizer: str = "bert-wordpiece",
                    vocab_path: str = "", window_tokens: int = 0, document_per_line: bool = False,
                    name_pattern: str = "", replace: bool = False, timeout: Optional[float] = None) -> DatasetInfo:
        """Imports UTF-8 text files under the service's data root as a text dataset (docs/text.md):
        one document per file, or per line with ``document_per_line``, tokenized with `tokenizer`
        (the vocabulary at `vocab_path`) and cut into windows of at most `window_tokens` tokens
        (0 = the service's default). Each token position becomes one item a query ranks.
        `name_pattern`: a .NET regex whose named groups, matched against each document's name,
        give the documents metadata to filter on (``documents=`` in queries)."""
        request = self._text_request(name, paths, tokenizer, vocab_path, window_tokens, document_per_line,
                                     name_pattern, replace)
        return DatasetInfo.from_proto(self._unary(self._index, "ImportDataset", request, timeout))

    def import_text_with_progress(self, name: str, paths: Union[str, Sequence[str]], *, tokenizer: str = "bert-wordpiece",
                                  vocab_path: str = "", window_tokens: int = 0, document_per_line: bool = False,
                                  name_pattern: str = "", replace: bool = False,
                                  timeout: Optional[float] = None) -> ImportStream:
        """:meth:`import_text`, streaming :class:`ImportProgress`; ``.result().dataset`` is the
        imported :class:`DatasetInfo`."""
        request = self._text_request(name, paths, tokenizer, vocab_path, window_tokens, document_per_line,
                                     name_pattern, replace)
        call = self._index.ImportDatasetWithProgress(request, timeout=self._timeout(timeout), metadata=self._metadata)
        return Stream(call, ImportProgress.from_proto, "ImportDatasetWithProgress")

    @staticmethod
    def _text_request(name: str, paths: Union[str, Sequence[str]], tokenizer: str, vocab_path: str,
                      window_tokens: int, document_per_line: bool, name_pattern: str,
                      replace: bool) -> ipb.ImportDatasetRequest:
        files = [paths] if isinstance(paths, str) else list(paths)
        return ipb.ImportDatasetRequest(
            name=name, replace=replace,
            text=ipb.TextSource(paths=files, document_per_line=document_per_line, tokenizer=tokenizer,
                                vocab_path=vocab_path, window_tokens=window_tokens, name_pattern=name_pattern))

    @staticmethod
    def _folder_request(name: str, folder: str, input_shape: Sequence[int], scale: float, shift: float,
                        mean: Sequence[float], std: Sequence[float], replace: bool) -> ipb.ImportDatasetRequest:
        return ipb.ImportDatasetRequest(
            name=name, image_folder=folder, input_shape=list(input_shape), replace=replace,
            preprocessing=ipb.Preprocessing(scale=scale, shift=shift, mean=list(mean), std=list(std)))

    # -- helpers ----------------------------------------------------------------------------

    def _layer(self, layer: str, model: Optional[str], dataset: Optional[str]) -> cpb.LayerRef:
        return cpb.LayerRef(model=self.model if model is None else model,
                            dataset=self.dataset if dataset is None else dataset, layer=layer)

    def _group(self, group: Union[Group, str], layer: cpb.LayerRef) -> qpb.NeuronGroup:
        if isinstance(group, str):
            group = parse(group)
        if not isinstance(group, Group):
            raise TypeError("group must be built with top(), neurons(), at(), rect() or parse(), or be group syntax text")
        return group.to_proto()

    def _timeout(self, timeout: Optional[float]) -> Optional[float]:
        return self.timeout if timeout is None else timeout

    def _unary(self, stub: object, method: str, request: object, timeout: Optional[float]):  # noqa: ANN201
        """Calls a unary (or client-streaming) method, raising DeepEverestError on failure."""
        try:
            return getattr(stub, method)(request, timeout=self._timeout(timeout), metadata=self._metadata)
        except grpc.RpcError as error:
            raise from_rpc_error(error, method) from None


def _address(address: str) -> str:
    """host:port of host:port, http://host:port or https://host:port (as the CLI takes)."""
    for prefix in ("http://", "https://"):
        if address.startswith(prefix):
            return address[len(prefix):].rstrip("/")
    return address


def _read_bytes(file: Union[str, os.PathLike, bytes]) -> bytes:
    if isinstance(file, bytes):
        return file
    with open(file, "rb") as f:
        return f.read()


def _target(target: Target) -> qpb.Target:
    if isinstance(target, (int, np.integer)) and not isinstance(target, bool):
        return qpb.Target(input_id=int(target))
    if isinstance(target, TextToken):
        return qpb.Target(text=qpb.TextTarget(text=target.text, token=target.token))
    if isinstance(target, StoredInput):
        array = target.values
    else:
        array = np.asarray(target, dtype=np.float32)
    if array.ndim == 0:
        raise TypeError("target must be an input id or an array of the dataset's input shape")
    tensor = cpb.Tensor(shape=list(array.shape), values=array.ravel().tolist())
    return qpb.Target(stored_tensor=tensor) if isinstance(target, StoredInput) else qpb.Target(tensor=tensor)


def _filter(labels: Optional[Iterable[int]], ids: Optional[Iterable[int]],
            id_range: Optional[Union[range, tuple[int, Optional[int]]]], documents: Documents = None) -> qpb.Filter:
    if isinstance(documents, str):
        raise TypeError("documents must map metadata keys to values, e.g. {\"party\": [\"d\"]}")
    result = qpb.Filter(labels=[int(x) for x in labels or []], ids=[int(x) for x in ids or []],
                        documents=[qpb.MetadataMatch(key=key, values=[values] if isinstance(values, str) else list(values))
                                   for key, values in (documents or {}).items()])
    if id_range is not None:
        if isinstance(id_range, range):
            if id_range.step != 1:
                raise ValueError("id_range must be contiguous")
            start, stop = id_range.start, id_range.stop
        else:
            start, stop = id_range
        # (start, None): every id from start; the service knows the dataset's size.
        result.id_range.CopyFrom(qpb.Range(start=int(start), open_end=True) if stop is None
                                 else qpb.Range(start=int(start), end=int(stop)))
    return result


def _options(strategy: str, batch_size: int, update_interval_ms: Optional[int], no_cache: bool,
             fixed_batches: bool, allow_partial: bool) -> qpb.QueryOptions:
    options = qpb.QueryOptions(strategy=_choice(STRATEGIES, strategy, "strategy"), batch_size=batch_size,
                               no_cache=no_cache, fixed_batches=fixed_batches, allow_partial=allow_partial)
    if update_interval_ms is not None:
        options.min_update_interval_ms = update_interval_ms
    return options


def _choice(choices: dict[str, int], name: str, what: str) -> int:
    try:
        return choices[name.lower()]
    except KeyError:
        raise ValueError(f"{what} must be one of {', '.join(choices)} (got {name!r})") from None
