from deepeverest_client._proto.deepeverest.v1 import common_pb2 as _common_pb2
from deepeverest_client._proto.google.api import annotations_pb2 as _annotations_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Iterable as _Iterable, Mapping as _Mapping, Optional as _Optional, Union as _Union

AGGREGATE_L2_NORM: Aggregate
AGGREGATE_MEAN: Aggregate
AGGREGATE_SUM: Aggregate
AGGREGATE_UNSPECIFIED: Aggregate
DESCRIPTOR: _descriptor.FileDescriptor
DISTANCE_L1: Distance
DISTANCE_L2: Distance
DISTANCE_LINF: Distance
DISTANCE_UNSPECIFIED: Distance
STRATEGY_BOUNDS: Strategy
STRATEGY_MATERIALIZED: Strategy
STRATEGY_NTA: Strategy
STRATEGY_REPROCESS_ALL: Strategy
STRATEGY_UNSPECIFIED: Strategy

class Coordinates(_message.Message):
    __slots__ = ["values"]
    VALUES_FIELD_NUMBER: _ClassVar[int]
    values: _containers.RepeatedScalarFieldContainer[int]
    def __init__(self, values: _Optional[_Iterable[int]] = ...) -> None: ...

class Filter(_message.Message):
    __slots__ = ["documents", "id_range", "ids", "labels"]
    DOCUMENTS_FIELD_NUMBER: _ClassVar[int]
    IDS_FIELD_NUMBER: _ClassVar[int]
    ID_RANGE_FIELD_NUMBER: _ClassVar[int]
    LABELS_FIELD_NUMBER: _ClassVar[int]
    documents: _containers.RepeatedCompositeFieldContainer[MetadataMatch]
    id_range: Range
    ids: _containers.RepeatedScalarFieldContainer[int]
    labels: _containers.RepeatedScalarFieldContainer[int]
    def __init__(self, labels: _Optional[_Iterable[int]] = ..., ids: _Optional[_Iterable[int]] = ..., id_range: _Optional[_Union[Range, _Mapping]] = ..., documents: _Optional[_Iterable[_Union[MetadataMatch, _Mapping]]] = ...) -> None: ...

class GetActivationsRequest(_message.Message):
    __slots__ = ["layer", "target", "top_m"]
    LAYER_FIELD_NUMBER: _ClassVar[int]
    TARGET_FIELD_NUMBER: _ClassVar[int]
    TOP_M_FIELD_NUMBER: _ClassVar[int]
    layer: _common_pb2.LayerRef
    target: Target
    top_m: int
    def __init__(self, layer: _Optional[_Union[_common_pb2.LayerRef, _Mapping]] = ..., target: _Optional[_Union[Target, _Mapping]] = ..., top_m: _Optional[int] = ...) -> None: ...

class GetActivationsResponse(_message.Message):
    __slots__ = ["shape", "top_neurons", "values"]
    SHAPE_FIELD_NUMBER: _ClassVar[int]
    TOP_NEURONS_FIELD_NUMBER: _ClassVar[int]
    VALUES_FIELD_NUMBER: _ClassVar[int]
    shape: _containers.RepeatedScalarFieldContainer[int]
    top_neurons: _containers.RepeatedScalarFieldContainer[int]
    values: _containers.RepeatedScalarFieldContainer[float]
    def __init__(self, shape: _Optional[_Iterable[int]] = ..., values: _Optional[_Iterable[float]] = ..., top_neurons: _Optional[_Iterable[int]] = ...) -> None: ...

class GetInputRequest(_message.Message):
    __slots__ = ["dataset", "input_id"]
    DATASET_FIELD_NUMBER: _ClassVar[int]
    INPUT_ID_FIELD_NUMBER: _ClassVar[int]
    dataset: str
    input_id: int
    def __init__(self, dataset: _Optional[str] = ..., input_id: _Optional[int] = ...) -> None: ...

class GetInputResponse(_message.Message):
    __slots__ = ["label", "tensor", "text"]
    LABEL_FIELD_NUMBER: _ClassVar[int]
    TENSOR_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    label: int
    tensor: _common_pb2.Tensor
    text: TextContext
    def __init__(self, tensor: _Optional[_Union[_common_pb2.Tensor, _Mapping]] = ..., label: _Optional[int] = ..., text: _Optional[_Union[TextContext, _Mapping]] = ...) -> None: ...

class Hit(_message.Message):
    __slots__ = ["final", "input_id", "label", "lower_bound", "score", "text", "upper_bound"]
    FINAL_FIELD_NUMBER: _ClassVar[int]
    INPUT_ID_FIELD_NUMBER: _ClassVar[int]
    LABEL_FIELD_NUMBER: _ClassVar[int]
    LOWER_BOUND_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    UPPER_BOUND_FIELD_NUMBER: _ClassVar[int]
    final: bool
    input_id: int
    label: int
    lower_bound: float
    score: float
    text: TextContext
    upper_bound: float
    def __init__(self, input_id: _Optional[int] = ..., score: _Optional[float] = ..., lower_bound: _Optional[float] = ..., upper_bound: _Optional[float] = ..., final: bool = ..., label: _Optional[int] = ..., text: _Optional[_Union[TextContext, _Mapping]] = ...) -> None: ...

class HyperRectangle(_message.Message):
    __slots__ = ["ranges"]
    RANGES_FIELD_NUMBER: _ClassVar[int]
    ranges: _containers.RepeatedCompositeFieldContainer[Range]
    def __init__(self, ranges: _Optional[_Iterable[_Union[Range, _Mapping]]] = ...) -> None: ...

class MetadataMatch(_message.Message):
    __slots__ = ["key", "values"]
    KEY_FIELD_NUMBER: _ClassVar[int]
    VALUES_FIELD_NUMBER: _ClassVar[int]
    key: str
    values: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, key: _Optional[str] = ..., values: _Optional[_Iterable[str]] = ...) -> None: ...

class Neuron(_message.Message):
    __slots__ = ["coordinates", "flat"]
    COORDINATES_FIELD_NUMBER: _ClassVar[int]
    FLAT_FIELD_NUMBER: _ClassVar[int]
    coordinates: Coordinates
    flat: int
    def __init__(self, flat: _Optional[int] = ..., coordinates: _Optional[_Union[Coordinates, _Mapping]] = ...) -> None: ...

class NeuronGroup(_message.Message):
    __slots__ = ["neurons", "rectangle", "top_of_target"]
    NEURONS_FIELD_NUMBER: _ClassVar[int]
    RECTANGLE_FIELD_NUMBER: _ClassVar[int]
    TOP_OF_TARGET_FIELD_NUMBER: _ClassVar[int]
    neurons: NeuronList
    rectangle: HyperRectangle
    top_of_target: int
    def __init__(self, neurons: _Optional[_Union[NeuronList, _Mapping]] = ..., rectangle: _Optional[_Union[HyperRectangle, _Mapping]] = ..., top_of_target: _Optional[int] = ...) -> None: ...

class NeuronList(_message.Message):
    __slots__ = ["neurons"]
    NEURONS_FIELD_NUMBER: _ClassVar[int]
    neurons: _containers.RepeatedCompositeFieldContainer[Neuron]
    def __init__(self, neurons: _Optional[_Iterable[_Union[Neuron, _Mapping]]] = ...) -> None: ...

class QueryOptions(_message.Message):
    __slots__ = ["allow_partial", "batch_size", "fixed_batches", "min_update_interval_ms", "no_cache", "strategy"]
    ALLOW_PARTIAL_FIELD_NUMBER: _ClassVar[int]
    BATCH_SIZE_FIELD_NUMBER: _ClassVar[int]
    FIXED_BATCHES_FIELD_NUMBER: _ClassVar[int]
    MIN_UPDATE_INTERVAL_MS_FIELD_NUMBER: _ClassVar[int]
    NO_CACHE_FIELD_NUMBER: _ClassVar[int]
    STRATEGY_FIELD_NUMBER: _ClassVar[int]
    allow_partial: bool
    batch_size: int
    fixed_batches: bool
    min_update_interval_ms: int
    no_cache: bool
    strategy: Strategy
    def __init__(self, strategy: _Optional[_Union[Strategy, str]] = ..., batch_size: _Optional[int] = ..., min_update_interval_ms: _Optional[int] = ..., no_cache: bool = ..., fixed_batches: bool = ..., allow_partial: bool = ...) -> None: ...

class QueryStats(_message.Message):
    __slots__ = ["cache_hits", "elapsed_ms", "group_size", "inputs_exact_from_index", "inputs_inferred", "inputs_pruned", "inputs_total", "shards_done", "shards_missing", "shards_total", "strategy", "tokens_inferred", "windows_inferred"]
    CACHE_HITS_FIELD_NUMBER: _ClassVar[int]
    ELAPSED_MS_FIELD_NUMBER: _ClassVar[int]
    GROUP_SIZE_FIELD_NUMBER: _ClassVar[int]
    INPUTS_EXACT_FROM_INDEX_FIELD_NUMBER: _ClassVar[int]
    INPUTS_INFERRED_FIELD_NUMBER: _ClassVar[int]
    INPUTS_PRUNED_FIELD_NUMBER: _ClassVar[int]
    INPUTS_TOTAL_FIELD_NUMBER: _ClassVar[int]
    SHARDS_DONE_FIELD_NUMBER: _ClassVar[int]
    SHARDS_MISSING_FIELD_NUMBER: _ClassVar[int]
    SHARDS_TOTAL_FIELD_NUMBER: _ClassVar[int]
    STRATEGY_FIELD_NUMBER: _ClassVar[int]
    TOKENS_INFERRED_FIELD_NUMBER: _ClassVar[int]
    WINDOWS_INFERRED_FIELD_NUMBER: _ClassVar[int]
    cache_hits: int
    elapsed_ms: int
    group_size: int
    inputs_exact_from_index: int
    inputs_inferred: int
    inputs_pruned: int
    inputs_total: int
    shards_done: int
    shards_missing: _containers.RepeatedScalarFieldContainer[str]
    shards_total: int
    strategy: Strategy
    tokens_inferred: int
    windows_inferred: int
    def __init__(self, inputs_total: _Optional[int] = ..., inputs_inferred: _Optional[int] = ..., inputs_pruned: _Optional[int] = ..., cache_hits: _Optional[int] = ..., elapsed_ms: _Optional[int] = ..., inputs_exact_from_index: _Optional[int] = ..., strategy: _Optional[_Union[Strategy, str]] = ..., group_size: _Optional[int] = ..., shards_total: _Optional[int] = ..., shards_done: _Optional[int] = ..., windows_inferred: _Optional[int] = ..., tokens_inferred: _Optional[int] = ..., shards_missing: _Optional[_Iterable[str]] = ...) -> None: ...

class Range(_message.Message):
    __slots__ = ["end", "open_end", "start"]
    END_FIELD_NUMBER: _ClassVar[int]
    OPEN_END_FIELD_NUMBER: _ClassVar[int]
    START_FIELD_NUMBER: _ClassVar[int]
    end: int
    open_end: bool
    start: int
    def __init__(self, start: _Optional[int] = ..., end: _Optional[int] = ..., open_end: bool = ...) -> None: ...

class ShardLimits(_message.Message):
    __slots__ = ["answer_bound", "kth_input_id", "kth_score"]
    ANSWER_BOUND_FIELD_NUMBER: _ClassVar[int]
    KTH_INPUT_ID_FIELD_NUMBER: _ClassVar[int]
    KTH_SCORE_FIELD_NUMBER: _ClassVar[int]
    answer_bound: float
    kth_input_id: int
    kth_score: float
    def __init__(self, kth_score: _Optional[float] = ..., kth_input_id: _Optional[int] = ..., answer_bound: _Optional[float] = ...) -> None: ...

class ShardQueryMessage(_message.Message):
    __slots__ = ["highest", "limits", "similar"]
    HIGHEST_FIELD_NUMBER: _ClassVar[int]
    LIMITS_FIELD_NUMBER: _ClassVar[int]
    SIMILAR_FIELD_NUMBER: _ClassVar[int]
    highest: TopKHighestRequest
    limits: ShardLimits
    similar: TopKSimilarRequest
    def __init__(self, similar: _Optional[_Union[TopKSimilarRequest, _Mapping]] = ..., highest: _Optional[_Union[TopKHighestRequest, _Mapping]] = ..., limits: _Optional[_Union[ShardLimits, _Mapping]] = ...) -> None: ...

class Target(_message.Message):
    __slots__ = ["input_id", "stored_tensor", "tensor", "text"]
    INPUT_ID_FIELD_NUMBER: _ClassVar[int]
    STORED_TENSOR_FIELD_NUMBER: _ClassVar[int]
    TENSOR_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    input_id: int
    stored_tensor: _common_pb2.Tensor
    tensor: _common_pb2.Tensor
    text: TextTarget
    def __init__(self, input_id: _Optional[int] = ..., tensor: _Optional[_Union[_common_pb2.Tensor, _Mapping]] = ..., stored_tensor: _Optional[_Union[_common_pb2.Tensor, _Mapping]] = ..., text: _Optional[_Union[TextTarget, _Mapping]] = ...) -> None: ...

class TextContext(_message.Message):
    __slots__ = ["cut_after", "cut_before", "document", "document_name", "position", "text", "text_start", "token", "token_end", "token_start", "window"]
    CUT_AFTER_FIELD_NUMBER: _ClassVar[int]
    CUT_BEFORE_FIELD_NUMBER: _ClassVar[int]
    DOCUMENT_FIELD_NUMBER: _ClassVar[int]
    DOCUMENT_NAME_FIELD_NUMBER: _ClassVar[int]
    POSITION_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    TEXT_START_FIELD_NUMBER: _ClassVar[int]
    TOKEN_END_FIELD_NUMBER: _ClassVar[int]
    TOKEN_FIELD_NUMBER: _ClassVar[int]
    TOKEN_START_FIELD_NUMBER: _ClassVar[int]
    WINDOW_FIELD_NUMBER: _ClassVar[int]
    cut_after: bool
    cut_before: bool
    document: int
    document_name: str
    position: int
    text: str
    text_start: int
    token: str
    token_end: int
    token_start: int
    window: int
    def __init__(self, document: _Optional[int] = ..., document_name: _Optional[str] = ..., window: _Optional[int] = ..., position: _Optional[int] = ..., token: _Optional[str] = ..., text: _Optional[str] = ..., token_start: _Optional[int] = ..., token_end: _Optional[int] = ..., text_start: _Optional[int] = ..., cut_before: bool = ..., cut_after: bool = ...) -> None: ...

class TextTarget(_message.Message):
    __slots__ = ["text", "token"]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    TOKEN_FIELD_NUMBER: _ClassVar[int]
    text: str
    token: int
    def __init__(self, text: _Optional[str] = ..., token: _Optional[int] = ...) -> None: ...

class TopKHighestRequest(_message.Message):
    __slots__ = ["aggregate", "filter", "group", "k", "layer", "options", "target"]
    AGGREGATE_FIELD_NUMBER: _ClassVar[int]
    FILTER_FIELD_NUMBER: _ClassVar[int]
    GROUP_FIELD_NUMBER: _ClassVar[int]
    K_FIELD_NUMBER: _ClassVar[int]
    LAYER_FIELD_NUMBER: _ClassVar[int]
    OPTIONS_FIELD_NUMBER: _ClassVar[int]
    TARGET_FIELD_NUMBER: _ClassVar[int]
    aggregate: Aggregate
    filter: Filter
    group: NeuronGroup
    k: int
    layer: _common_pb2.LayerRef
    options: QueryOptions
    target: Target
    def __init__(self, layer: _Optional[_Union[_common_pb2.LayerRef, _Mapping]] = ..., target: _Optional[_Union[Target, _Mapping]] = ..., group: _Optional[_Union[NeuronGroup, _Mapping]] = ..., k: _Optional[int] = ..., aggregate: _Optional[_Union[Aggregate, str]] = ..., filter: _Optional[_Union[Filter, _Mapping]] = ..., options: _Optional[_Union[QueryOptions, _Mapping]] = ...) -> None: ...

class TopKSimilarRequest(_message.Message):
    __slots__ = ["distance", "filter", "group", "include_target", "k", "layer", "options", "target", "weights"]
    DISTANCE_FIELD_NUMBER: _ClassVar[int]
    FILTER_FIELD_NUMBER: _ClassVar[int]
    GROUP_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_TARGET_FIELD_NUMBER: _ClassVar[int]
    K_FIELD_NUMBER: _ClassVar[int]
    LAYER_FIELD_NUMBER: _ClassVar[int]
    OPTIONS_FIELD_NUMBER: _ClassVar[int]
    TARGET_FIELD_NUMBER: _ClassVar[int]
    WEIGHTS_FIELD_NUMBER: _ClassVar[int]
    distance: Distance
    filter: Filter
    group: NeuronGroup
    include_target: bool
    k: int
    layer: _common_pb2.LayerRef
    options: QueryOptions
    target: Target
    weights: _containers.RepeatedScalarFieldContainer[float]
    def __init__(self, layer: _Optional[_Union[_common_pb2.LayerRef, _Mapping]] = ..., target: _Optional[_Union[Target, _Mapping]] = ..., group: _Optional[_Union[NeuronGroup, _Mapping]] = ..., k: _Optional[int] = ..., distance: _Optional[_Union[Distance, str]] = ..., weights: _Optional[_Iterable[float]] = ..., include_target: bool = ..., filter: _Optional[_Union[Filter, _Mapping]] = ..., options: _Optional[_Union[QueryOptions, _Mapping]] = ...) -> None: ...

class TopKUpdate(_message.Message):
    __slots__ = ["done", "group", "hits", "message", "stats", "stopped_by_limits", "threshold"]
    DONE_FIELD_NUMBER: _ClassVar[int]
    GROUP_FIELD_NUMBER: _ClassVar[int]
    HITS_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    STATS_FIELD_NUMBER: _ClassVar[int]
    STOPPED_BY_LIMITS_FIELD_NUMBER: _ClassVar[int]
    THRESHOLD_FIELD_NUMBER: _ClassVar[int]
    done: bool
    group: _containers.RepeatedScalarFieldContainer[int]
    hits: _containers.RepeatedCompositeFieldContainer[Hit]
    message: str
    stats: QueryStats
    stopped_by_limits: bool
    threshold: float
    def __init__(self, hits: _Optional[_Iterable[_Union[Hit, _Mapping]]] = ..., threshold: _Optional[float] = ..., done: bool = ..., stats: _Optional[_Union[QueryStats, _Mapping]] = ..., message: _Optional[str] = ..., group: _Optional[_Iterable[int]] = ..., stopped_by_limits: bool = ...) -> None: ...

class Distance(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []

class Aggregate(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []

class Strategy(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []
