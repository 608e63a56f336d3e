"""What the client returns: frozen dataclasses, with numpy arrays for tensors."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Optional

import numpy as np

from ._proto.deepeverest.v1 import common_pb2, index_service_pb2 as ipb, query_service_pb2 as qpb

STRATEGIES = {"bounds": qpb.STRATEGY_BOUNDS, "nta": qpb.STRATEGY_NTA,
              "reprocess_all": qpb.STRATEGY_REPROCESS_ALL, "materialized": qpb.STRATEGY_MATERIALIZED}
DISTANCES = {"l2": qpb.DISTANCE_L2, "l1": qpb.DISTANCE_L1, "linf": qpb.DISTANCE_LINF}
AGGREGATES = {"sum": qpb.AGGREGATE_SUM, "mean": qpb.AGGREGATE_MEAN, "l2_norm": qpb.AGGREGATE_L2_NORM}
_STRATEGY_NAMES = {v: k for k, v in STRATEGIES.items()}
_PHASES = {ipb.BUILD_PHASE_QUEUED: "queued", ipb.BUILD_PHASE_INFERENCE: "inference",
           ipb.BUILD_PHASE_CONSTRUCTION: "construction", ipb.BUILD_PHASE_PUBLISHING: "publishing",
           ipb.BUILD_PHASE_DONE: "done"}
_ELEMENT_TYPES = {ipb.ELEMENT_TYPE_UINT8: "uint8", ipb.ELEMENT_TYPE_FLOAT32: "float32"}


def _utf16_index(text: str, units: int) -> int:
    """The index in `text` of the character at UTF-16 code unit `units` (the service's offsets)."""
    count = 0
    for index, char in enumerate(text):
        if count >= units:
            return index
        count += 2 if ord(char) > 0xFFFF else 1
    return len(text)


@dataclass(frozen=True)
class TextContext:
    """A token item of a text dataset in its context (docs/text.md): its document, window and
    token, and `text` around it, the document's own characters. On a hit `text` is an extract of
    the window (at most 80 characters either side of the token; `cut_before`/`cut_after` say where
    it goes on); from `Client.input` it is the whole window. `token_start` and `token_end` index
    `text` as a Python string (the service counts UTF-16 code units; they are converted here);
    `text_start` is where `text` starts in the document, in UTF-16 code units as the service gives it."""

    document: int
    document_name: str
    window: int
    position: int
    token: str
    text: str
    token_start: int
    token_end: int
    text_start: int
    cut_before: bool
    cut_after: bool

    @property
    def before(self) -> str:
        """The text before the token."""
        return self.text[:self.token_start]

    @property
    def token_text(self) -> str:
        """The token's characters in the text (e.g. "Whale" for the token "whale")."""
        return self.text[self.token_start:self.token_end]

    @property
    def after(self) -> str:
        """The text after the token."""
        return self.text[self.token_end:]

    def marked(self, left: str = "[", right: str = "]") -> str:
        """The text on one line with the token marked, e.g. "… Call me [Ishmael]. Some years ago …"."""
        line = self.before + left + self.token_text + right + self.after
        line = " ".join(line.split())
        return ("… " if self.cut_before else "") + line + (" …" if self.cut_after else "")

    @classmethod
    def from_proto(cls, t: qpb.TextContext) -> "TextContext":
        return cls(t.document, t.document_name, t.window, t.position, t.token, t.text,
                   _utf16_index(t.text, t.token_start), _utf16_index(t.text, t.token_end), t.text_start,
                   t.cut_before, t.cut_after)


@dataclass(frozen=True)
class Hit:
    """One result row. `score` is the exact distance (similar) or aggregate (highest), NaN while
    only the interval [lower_bound, upper_bound] is known; `final` hits never change again. Over a
    text dataset `text` is the token in its context (:class:`TextContext`), else None."""

    input_id: int
    score: float
    lower_bound: float
    upper_bound: float
    final: bool
    label: int
    text: Optional[TextContext] = None

    @property
    def exact(self) -> bool:
        """Whether the score is known exactly."""
        return not math.isnan(self.score)

    @classmethod
    def from_proto(cls, h: qpb.Hit) -> "Hit":
        return cls(h.input_id, h.score, h.lower_bound, h.upper_bound, h.final, h.label,
                   TextContext.from_proto(h.text) if h.HasField("text") else None)


@dataclass(frozen=True)
class QueryStats:
    """Counters of a query so far."""

    inputs_total: int
    inputs_inferred: int
    inputs_pruned: int
    cache_hits: int
    elapsed_ms: int
    inputs_exact_from_index: int
    strategy: str
    group_size: int
    # Shards the query spans and those whose part is complete, when a router over input-range
    # shards answers (docs/scale-out.md); 0 from a single store.
    shards_total: int = 0
    shards_done: int = 0

    @classmethod
    def from_proto(cls, s: qpb.QueryStats) -> "QueryStats":
        return cls(s.inputs_total, s.inputs_inferred, s.inputs_pruned, s.cache_hits, s.elapsed_ms,
                   s.inputs_exact_from_index, _STRATEGY_NAMES.get(s.strategy, "unspecified"), s.group_size,
                   s.shards_total, s.shards_done)


@dataclass(frozen=True)
class Update:
    """One progressive update of a top-k query; the last has `done` set and is the exact answer.

    `threshold` is the best score an unverified input could still reach (NaN when none is left);
    it never gets worse. `group` (first update only) is the resolved neuron group as flat indices.
    """

    hits: tuple[Hit, ...]
    threshold: float
    done: bool
    stats: QueryStats
    message: str
    group: Optional[np.ndarray] = field(default=None, compare=False)

    @property
    def ids(self) -> np.ndarray:
        """Input ids of the hits, in rank order."""
        return np.array([h.input_id for h in self.hits], dtype=np.int64)

    @property
    def scores(self) -> np.ndarray:
        """Scores of the hits (NaN where not yet exact)."""
        return np.array([h.score for h in self.hits], dtype=np.float64)

    @property
    def final_count(self) -> int:
        """How many leading hits are final."""
        return sum(1 for h in self.hits if h.final)

    @classmethod
    def from_proto(cls, u: qpb.TopKUpdate) -> "Update":
        return cls(tuple(Hit.from_proto(h) for h in u.hits), u.threshold, u.done, QueryStats.from_proto(u.stats),
                   u.message, np.array(u.group, dtype=np.int64) if len(u.group) else None)


@dataclass(frozen=True)
class Activations:
    """A layer's activations for one input, shaped like the layer (no batch axis)."""

    values: np.ndarray
    top_neurons: np.ndarray

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self.values.shape)


@dataclass(frozen=True)
class Input:
    """One dataset input as stored (preprocessing not applied) and its label (-1 when none). Over a
    text dataset, whose inputs are token items, `values` is empty and `text` is the item with its
    whole window (:class:`TextContext`); None otherwise."""

    input_id: int
    values: np.ndarray
    label: int
    text: Optional[TextContext] = None


@dataclass(frozen=True)
class ModelInfo:
    """A registered model. `sha256` and `bytes` are of the registered file (after composing a
    preprocessing model); `source_sha256` of the model as given; `preprocessing_sha256` of the
    preprocessing model composed in front, or empty."""

    name: str
    bytes: int
    sha256: str
    input_name: str
    input_shape: tuple[int, ...]
    layer_count: int
    source_sha256: str = ""
    preprocessing_sha256: str = ""

    @classmethod
    def from_proto(cls, m: ipb.ModelInfo) -> "ModelInfo":
        return cls(m.name, m.bytes, m.sha256, m.input_name, tuple(m.input_shape), m.layer_count,
                   m.source_sha256, m.preprocessing_sha256)


@dataclass(frozen=True)
class DatasetInfo:
    """An imported dataset. The model sees ``(stored * scale + shift - mean[c]) / std[c]``
    (`mean`/`std` empty: no normalization); `label_names` maps labels to the names given at import."""

    name: str
    count: int
    input_shape: tuple[int, ...]
    has_labels: bool
    labels: tuple[int, ...]
    stored_bytes: int
    scale: float
    shift: float
    mean: tuple[float, ...] = ()
    std: tuple[float, ...] = ()
    label_names: dict[int, str] = field(default_factory=dict, hash=False)  # hash=False: stays hashable
    element_type: str = "unspecified"
    # The global ids held, [start, end): (0, count) for a whole dataset, the slice for an
    # input-range shard (docs/scale-out.md); `total_count`: the whole source's inputs.
    input_range: tuple[int, int] = (0, 0)
    total_count: int = 0

    def label_name(self, label: int) -> str:
        """The name of a label, or its number when it has none."""
        return self.label_names.get(label, str(label))

    @classmethod
    def from_proto(cls, d: ipb.DatasetInfo) -> "DatasetInfo":
        p = d.preprocessing
        return cls(d.name, d.count, tuple(d.input_shape), d.has_labels, tuple(d.labels), d.stored_bytes,
                   p.scale or 1.0, p.shift, tuple(p.mean), tuple(p.std), dict(sorted(d.label_names.items())),
                   _ELEMENT_TYPES.get(d.element_type, "unspecified"),
                   (d.input_range.start, d.input_range.end) if d.HasField("input_range") else (0, d.count),
                   d.total_count or d.count)


@dataclass(frozen=True)
class ImportProgress:
    """One progress message of a dataset import; `dataset` is set on the last."""

    parts_done: int
    parts_total: int
    inputs_done: int
    inputs_total: int
    bytes_done: int
    bytes_total: int
    elapsed_ms: int
    estimated_remaining_ms: int
    message: str
    dataset: Optional[DatasetInfo]

    @property
    def fraction(self) -> float:
        """Completion in [0, 1] by bytes read."""
        return 1.0 if self.dataset is not None else (self.bytes_done / self.bytes_total if self.bytes_total else 0.0)

    @classmethod
    def from_proto(cls, p: ipb.ImportProgress) -> "ImportProgress":
        return cls(p.parts_done, p.parts_total, p.inputs_done, p.inputs_total, p.bytes_done, p.bytes_total,
                   p.elapsed_ms, p.estimated_remaining_ms, p.message,
                   DatasetInfo.from_proto(p.dataset) if p.HasField("dataset") else None)


@dataclass(frozen=True)
class LayerInfo:
    name: str
    op_type: str
    shape: tuple[int, ...]
    neurons: int
    order: int

    @classmethod
    def from_proto(cls, l: common_pb2.LayerInfo) -> "LayerInfo":
        return cls(l.name, l.op_type, tuple(l.shape), l.neurons, l.order)


@dataclass(frozen=True)
class IndexInfo:
    model: str
    dataset: str
    layer: str
    partitions: int
    ratio: float
    inputs: int
    neurons: int
    layer_shape: tuple[int, ...]
    index_bytes: int
    full_materialization_bytes: int
    storage_fraction: float
    inference_ms: int
    construction_ms: int
    materialized: bool
    bits_per_code: int = 0
    mai_per_neuron: int = 0
    built_at_unix_ms: int = 0
    spilled: bool = False
    kernel_backend: str = ""

    @classmethod
    def from_proto(cls, i: ipb.IndexInfo) -> "IndexInfo":
        return cls(i.layer.model, i.layer.dataset, i.layer.layer, i.partitions, i.ratio, i.inputs, i.neurons,
                   tuple(i.layer_shape), i.index_bytes, i.full_materialization_bytes, i.storage_fraction,
                   i.inference_ms, i.construction_ms, i.materialized, i.bits_per_code, i.mai_per_neuron,
                   i.built_at_unix_ms, i.spilled, i.kernel_backend)


@dataclass(frozen=True)
class BuildProgress:
    """One progress message of an index build; `index` is set on the last (phase "done")."""

    phase: str
    inputs_done: int
    inputs_total: int
    neurons_done: int
    neurons_total: int
    elapsed_ms: int
    estimated_remaining_ms: int
    message: str
    index: Optional[IndexInfo]

    @property
    def fraction(self) -> float:
        """Rough completion in [0, 1]: inference counts for the first half, construction the second."""
        inference = self.inputs_done / self.inputs_total if self.inputs_total else 0.0
        construction = self.neurons_done / self.neurons_total if self.neurons_total else 0.0
        return 1.0 if self.phase == "done" else 0.5 * inference + 0.5 * construction

    @classmethod
    def from_proto(cls, p: ipb.BuildProgress) -> "BuildProgress":
        return cls(_PHASES.get(p.phase, "unspecified"), p.inputs_done, p.inputs_total, p.neurons_done,
                   p.neurons_total, p.elapsed_ms, p.estimated_remaining_ms, p.message,
                   IndexInfo.from_proto(p.index) if p.HasField("index") else None)
