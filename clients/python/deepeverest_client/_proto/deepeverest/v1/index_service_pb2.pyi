from deepeverest_client._proto.deepeverest.v1 import common_pb2 as _common_pb2
from deepeverest_client._proto.google.api import annotations_pb2 as _annotations_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Iterable as _Iterable, Mapping as _Mapping, Optional as _Optional, Union as _Union

BUILD_PHASE_CONSTRUCTION: BuildPhase
BUILD_PHASE_DONE: BuildPhase
BUILD_PHASE_INFERENCE: BuildPhase
BUILD_PHASE_PUBLISHING: BuildPhase
BUILD_PHASE_QUEUED: BuildPhase
BUILD_PHASE_UNSPECIFIED: BuildPhase
DESCRIPTOR: _descriptor.FileDescriptor
ELEMENT_TYPE_FLOAT32: ElementType
ELEMENT_TYPE_UINT8: ElementType
ELEMENT_TYPE_UNSPECIFIED: ElementType

class AddModelRequest(_message.Message):
    __slots__ = ["name", "path", "preprocessing_path", "replace"]
    NAME_FIELD_NUMBER: _ClassVar[int]
    PATH_FIELD_NUMBER: _ClassVar[int]
    PREPROCESSING_PATH_FIELD_NUMBER: _ClassVar[int]
    REPLACE_FIELD_NUMBER: _ClassVar[int]
    name: str
    path: str
    preprocessing_path: str
    replace: bool
    def __init__(self, name: _Optional[str] = ..., path: _Optional[str] = ..., replace: bool = ..., preprocessing_path: _Optional[str] = ...) -> None: ...

class BuildIndexRequest(_message.Message):
    __slots__ = ["batch_size", "layer", "memory_budget_mb", "partitions", "ratio", "storage_budget"]
    BATCH_SIZE_FIELD_NUMBER: _ClassVar[int]
    LAYER_FIELD_NUMBER: _ClassVar[int]
    MEMORY_BUDGET_MB_FIELD_NUMBER: _ClassVar[int]
    PARTITIONS_FIELD_NUMBER: _ClassVar[int]
    RATIO_FIELD_NUMBER: _ClassVar[int]
    STORAGE_BUDGET_FIELD_NUMBER: _ClassVar[int]
    batch_size: int
    layer: _common_pb2.LayerRef
    memory_budget_mb: int
    partitions: int
    ratio: float
    storage_budget: float
    def __init__(self, layer: _Optional[_Union[_common_pb2.LayerRef, _Mapping]] = ..., partitions: _Optional[int] = ..., ratio: _Optional[float] = ..., storage_budget: _Optional[float] = ..., batch_size: _Optional[int] = ..., memory_budget_mb: _Optional[int] = ...) -> None: ...

class BuildProgress(_message.Message):
    __slots__ = ["elapsed_ms", "estimated_remaining_ms", "index", "inputs_done", "inputs_total", "message", "neurons_done", "neurons_total", "phase"]
    ELAPSED_MS_FIELD_NUMBER: _ClassVar[int]
    ESTIMATED_REMAINING_MS_FIELD_NUMBER: _ClassVar[int]
    INDEX_FIELD_NUMBER: _ClassVar[int]
    INPUTS_DONE_FIELD_NUMBER: _ClassVar[int]
    INPUTS_TOTAL_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    NEURONS_DONE_FIELD_NUMBER: _ClassVar[int]
    NEURONS_TOTAL_FIELD_NUMBER: _ClassVar[int]
    PHASE_FIELD_NUMBER: _ClassVar[int]
    elapsed_ms: int
    estimated_remaining_ms: int
    index: IndexInfo
    inputs_done: int
    inputs_total: int
    message: str
    neurons_done: int
    neurons_total: int
    phase: BuildPhase
    def __init__(self, phase: _Optional[_Union[BuildPhase, str]] = ..., inputs_done: _Optional[int] = ..., inputs_total: _Optional[int] = ..., neurons_done: _Optional[int] = ..., neurons_total: _Optional[int] = ..., elapsed_ms: _Optional[int] = ..., estimated_remaining_ms: _Optional[int] = ..., index: _Optional[_Union[IndexInfo, _Mapping]] = ..., message: _Optional[str] = ...) -> None: ...

class DatasetInfo(_message.Message):
    __slots__ = ["count", "element_type", "has_labels", "input_range", "input_shape", "label_names", "labels", "name", "preprocessing", "stored_bytes", "text", "total_count"]
    class LabelNamesEntry(_message.Message):
        __slots__ = ["key", "value"]
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: int
        value: str
        def __init__(self, key: _Optional[int] = ..., value: _Optional[str] = ...) -> None: ...
    COUNT_FIELD_NUMBER: _ClassVar[int]
    ELEMENT_TYPE_FIELD_NUMBER: _ClassVar[int]
    HAS_LABELS_FIELD_NUMBER: _ClassVar[int]
    INPUT_RANGE_FIELD_NUMBER: _ClassVar[int]
    INPUT_SHAPE_FIELD_NUMBER: _ClassVar[int]
    LABELS_FIELD_NUMBER: _ClassVar[int]
    LABEL_NAMES_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    PREPROCESSING_FIELD_NUMBER: _ClassVar[int]
    STORED_BYTES_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    TOTAL_COUNT_FIELD_NUMBER: _ClassVar[int]
    count: int
    element_type: ElementType
    has_labels: bool
    input_range: InputRange
    input_shape: _containers.RepeatedScalarFieldContainer[int]
    label_names: _containers.ScalarMap[int, str]
    labels: _containers.RepeatedScalarFieldContainer[int]
    name: str
    preprocessing: Preprocessing
    stored_bytes: int
    text: TextDatasetInfo
    total_count: int
    def __init__(self, name: _Optional[str] = ..., count: _Optional[int] = ..., input_shape: _Optional[_Iterable[int]] = ..., element_type: _Optional[_Union[ElementType, str]] = ..., preprocessing: _Optional[_Union[Preprocessing, _Mapping]] = ..., has_labels: bool = ..., labels: _Optional[_Iterable[int]] = ..., stored_bytes: _Optional[int] = ..., label_names: _Optional[_Mapping[int, str]] = ..., input_range: _Optional[_Union[InputRange, _Mapping]] = ..., total_count: _Optional[int] = ..., text: _Optional[_Union[TextDatasetInfo, _Mapping]] = ...) -> None: ...

class DatasetPart(_message.Message):
    __slots__ = ["inputs_path", "labels_path"]
    INPUTS_PATH_FIELD_NUMBER: _ClassVar[int]
    LABELS_PATH_FIELD_NUMBER: _ClassVar[int]
    inputs_path: str
    labels_path: str
    def __init__(self, inputs_path: _Optional[str] = ..., labels_path: _Optional[str] = ...) -> None: ...

class DeleteIndexRequest(_message.Message):
    __slots__ = ["layer"]
    LAYER_FIELD_NUMBER: _ClassVar[int]
    layer: _common_pb2.LayerRef
    def __init__(self, layer: _Optional[_Union[_common_pb2.LayerRef, _Mapping]] = ...) -> None: ...

class DeleteIndexResponse(_message.Message):
    __slots__ = ["bytes_freed"]
    BYTES_FREED_FIELD_NUMBER: _ClassVar[int]
    bytes_freed: int
    def __init__(self, bytes_freed: _Optional[int] = ...) -> None: ...

class DescribeIndexRequest(_message.Message):
    __slots__ = ["layer"]
    LAYER_FIELD_NUMBER: _ClassVar[int]
    layer: _common_pb2.LayerRef
    def __init__(self, layer: _Optional[_Union[_common_pb2.LayerRef, _Mapping]] = ...) -> None: ...

class ImportDatasetRequest(_message.Message):
    __slots__ = ["image_folder", "input_range", "input_shape", "label_names", "name", "parts", "preprocessing", "replace", "shard", "text"]
    class LabelNamesEntry(_message.Message):
        __slots__ = ["key", "value"]
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: int
        value: str
        def __init__(self, key: _Optional[int] = ..., value: _Optional[str] = ...) -> None: ...
    IMAGE_FOLDER_FIELD_NUMBER: _ClassVar[int]
    INPUT_RANGE_FIELD_NUMBER: _ClassVar[int]
    INPUT_SHAPE_FIELD_NUMBER: _ClassVar[int]
    LABEL_NAMES_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    PARTS_FIELD_NUMBER: _ClassVar[int]
    PREPROCESSING_FIELD_NUMBER: _ClassVar[int]
    REPLACE_FIELD_NUMBER: _ClassVar[int]
    SHARD_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    image_folder: str
    input_range: InputRange
    input_shape: _containers.RepeatedScalarFieldContainer[int]
    label_names: _containers.ScalarMap[int, str]
    name: str
    parts: _containers.RepeatedCompositeFieldContainer[DatasetPart]
    preprocessing: Preprocessing
    replace: bool
    shard: ShardOf
    text: TextSource
    def __init__(self, name: _Optional[str] = ..., parts: _Optional[_Iterable[_Union[DatasetPart, _Mapping]]] = ..., preprocessing: _Optional[_Union[Preprocessing, _Mapping]] = ..., input_shape: _Optional[_Iterable[int]] = ..., replace: bool = ..., label_names: _Optional[_Mapping[int, str]] = ..., image_folder: _Optional[str] = ..., input_range: _Optional[_Union[InputRange, _Mapping]] = ..., shard: _Optional[_Union[ShardOf, _Mapping]] = ..., text: _Optional[_Union[TextSource, _Mapping]] = ...) -> None: ...

class ImportProgress(_message.Message):
    __slots__ = ["bytes_done", "bytes_total", "dataset", "elapsed_ms", "estimated_remaining_ms", "inputs_done", "inputs_total", "message", "parts_done", "parts_total"]
    BYTES_DONE_FIELD_NUMBER: _ClassVar[int]
    BYTES_TOTAL_FIELD_NUMBER: _ClassVar[int]
    DATASET_FIELD_NUMBER: _ClassVar[int]
    ELAPSED_MS_FIELD_NUMBER: _ClassVar[int]
    ESTIMATED_REMAINING_MS_FIELD_NUMBER: _ClassVar[int]
    INPUTS_DONE_FIELD_NUMBER: _ClassVar[int]
    INPUTS_TOTAL_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    PARTS_DONE_FIELD_NUMBER: _ClassVar[int]
    PARTS_TOTAL_FIELD_NUMBER: _ClassVar[int]
    bytes_done: int
    bytes_total: int
    dataset: DatasetInfo
    elapsed_ms: int
    estimated_remaining_ms: int
    inputs_done: int
    inputs_total: int
    message: str
    parts_done: int
    parts_total: int
    def __init__(self, parts_done: _Optional[int] = ..., parts_total: _Optional[int] = ..., inputs_done: _Optional[int] = ..., inputs_total: _Optional[int] = ..., bytes_done: _Optional[int] = ..., bytes_total: _Optional[int] = ..., elapsed_ms: _Optional[int] = ..., estimated_remaining_ms: _Optional[int] = ..., message: _Optional[str] = ..., dataset: _Optional[_Union[DatasetInfo, _Mapping]] = ...) -> None: ...

class IndexInfo(_message.Message):
    __slots__ = ["bits_per_code", "built_at_unix_ms", "construction_ms", "full_materialization_bytes", "generation", "index_bytes", "inference_ms", "inputs", "kernel_backend", "layer", "layer_shape", "mai_per_neuron", "materialized", "neurons", "partitions", "ratio", "shards", "spilled", "storage_fraction"]
    BITS_PER_CODE_FIELD_NUMBER: _ClassVar[int]
    BUILT_AT_UNIX_MS_FIELD_NUMBER: _ClassVar[int]
    CONSTRUCTION_MS_FIELD_NUMBER: _ClassVar[int]
    FULL_MATERIALIZATION_BYTES_FIELD_NUMBER: _ClassVar[int]
    GENERATION_FIELD_NUMBER: _ClassVar[int]
    INDEX_BYTES_FIELD_NUMBER: _ClassVar[int]
    INFERENCE_MS_FIELD_NUMBER: _ClassVar[int]
    INPUTS_FIELD_NUMBER: _ClassVar[int]
    KERNEL_BACKEND_FIELD_NUMBER: _ClassVar[int]
    LAYER_FIELD_NUMBER: _ClassVar[int]
    LAYER_SHAPE_FIELD_NUMBER: _ClassVar[int]
    MAI_PER_NEURON_FIELD_NUMBER: _ClassVar[int]
    MATERIALIZED_FIELD_NUMBER: _ClassVar[int]
    NEURONS_FIELD_NUMBER: _ClassVar[int]
    PARTITIONS_FIELD_NUMBER: _ClassVar[int]
    RATIO_FIELD_NUMBER: _ClassVar[int]
    SHARDS_FIELD_NUMBER: _ClassVar[int]
    SPILLED_FIELD_NUMBER: _ClassVar[int]
    STORAGE_FRACTION_FIELD_NUMBER: _ClassVar[int]
    bits_per_code: int
    built_at_unix_ms: int
    construction_ms: int
    full_materialization_bytes: int
    generation: int
    index_bytes: int
    inference_ms: int
    inputs: int
    kernel_backend: str
    layer: _common_pb2.LayerRef
    layer_shape: _containers.RepeatedScalarFieldContainer[int]
    mai_per_neuron: int
    materialized: bool
    neurons: int
    partitions: int
    ratio: float
    shards: _containers.RepeatedCompositeFieldContainer[ShardIndexState]
    spilled: bool
    storage_fraction: float
    def __init__(self, layer: _Optional[_Union[_common_pb2.LayerRef, _Mapping]] = ..., partitions: _Optional[int] = ..., bits_per_code: _Optional[int] = ..., ratio: _Optional[float] = ..., mai_per_neuron: _Optional[int] = ..., inputs: _Optional[int] = ..., neurons: _Optional[int] = ..., layer_shape: _Optional[_Iterable[int]] = ..., index_bytes: _Optional[int] = ..., full_materialization_bytes: _Optional[int] = ..., storage_fraction: _Optional[float] = ..., inference_ms: _Optional[int] = ..., construction_ms: _Optional[int] = ..., built_at_unix_ms: _Optional[int] = ..., generation: _Optional[int] = ..., spilled: bool = ..., kernel_backend: _Optional[str] = ..., materialized: bool = ..., shards: _Optional[_Iterable[_Union[ShardIndexState, _Mapping]]] = ...) -> None: ...

class InputRange(_message.Message):
    __slots__ = ["end", "start"]
    END_FIELD_NUMBER: _ClassVar[int]
    START_FIELD_NUMBER: _ClassVar[int]
    end: int
    start: int
    def __init__(self, start: _Optional[int] = ..., end: _Optional[int] = ...) -> None: ...

class ListDatasetsRequest(_message.Message):
    __slots__ = []
    def __init__(self) -> None: ...

class ListDatasetsResponse(_message.Message):
    __slots__ = ["datasets"]
    DATASETS_FIELD_NUMBER: _ClassVar[int]
    datasets: _containers.RepeatedCompositeFieldContainer[DatasetInfo]
    def __init__(self, datasets: _Optional[_Iterable[_Union[DatasetInfo, _Mapping]]] = ...) -> None: ...

class ListIndexesRequest(_message.Message):
    __slots__ = ["dataset", "model"]
    DATASET_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    dataset: str
    model: str
    def __init__(self, model: _Optional[str] = ..., dataset: _Optional[str] = ...) -> None: ...

class ListIndexesResponse(_message.Message):
    __slots__ = ["indexes"]
    INDEXES_FIELD_NUMBER: _ClassVar[int]
    indexes: _containers.RepeatedCompositeFieldContainer[IndexInfo]
    def __init__(self, indexes: _Optional[_Iterable[_Union[IndexInfo, _Mapping]]] = ...) -> None: ...

class ListLayersRequest(_message.Message):
    __slots__ = ["model"]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    model: str
    def __init__(self, model: _Optional[str] = ...) -> None: ...

class ListLayersResponse(_message.Message):
    __slots__ = ["layers"]
    LAYERS_FIELD_NUMBER: _ClassVar[int]
    layers: _containers.RepeatedCompositeFieldContainer[_common_pb2.LayerInfo]
    def __init__(self, layers: _Optional[_Iterable[_Union[_common_pb2.LayerInfo, _Mapping]]] = ...) -> None: ...

class ListModelsRequest(_message.Message):
    __slots__ = []
    def __init__(self) -> None: ...

class ListModelsResponse(_message.Message):
    __slots__ = ["models"]
    MODELS_FIELD_NUMBER: _ClassVar[int]
    models: _containers.RepeatedCompositeFieldContainer[ModelInfo]
    def __init__(self, models: _Optional[_Iterable[_Union[ModelInfo, _Mapping]]] = ...) -> None: ...

class MaterializeLayerRequest(_message.Message):
    __slots__ = ["batch_size", "layer"]
    BATCH_SIZE_FIELD_NUMBER: _ClassVar[int]
    LAYER_FIELD_NUMBER: _ClassVar[int]
    batch_size: int
    layer: _common_pb2.LayerRef
    def __init__(self, layer: _Optional[_Union[_common_pb2.LayerRef, _Mapping]] = ..., batch_size: _Optional[int] = ...) -> None: ...

class MetadataKey(_message.Message):
    __slots__ = ["documents", "key", "values"]
    DOCUMENTS_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    VALUES_FIELD_NUMBER: _ClassVar[int]
    documents: _containers.RepeatedScalarFieldContainer[int]
    key: str
    values: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, key: _Optional[str] = ..., values: _Optional[_Iterable[str]] = ..., documents: _Optional[_Iterable[int]] = ...) -> None: ...

class ModelInfo(_message.Message):
    __slots__ = ["bytes", "input_name", "input_shape", "inputs", "layer_count", "name", "preprocessing_sha256", "sha256", "source_sha256"]
    BYTES_FIELD_NUMBER: _ClassVar[int]
    INPUTS_FIELD_NUMBER: _ClassVar[int]
    INPUT_NAME_FIELD_NUMBER: _ClassVar[int]
    INPUT_SHAPE_FIELD_NUMBER: _ClassVar[int]
    LAYER_COUNT_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    PREPROCESSING_SHA256_FIELD_NUMBER: _ClassVar[int]
    SHA256_FIELD_NUMBER: _ClassVar[int]
    SOURCE_SHA256_FIELD_NUMBER: _ClassVar[int]
    bytes: int
    input_name: str
    input_shape: _containers.RepeatedScalarFieldContainer[int]
    inputs: _containers.RepeatedCompositeFieldContainer[ModelInput]
    layer_count: int
    name: str
    preprocessing_sha256: str
    sha256: str
    source_sha256: str
    def __init__(self, name: _Optional[str] = ..., bytes: _Optional[int] = ..., sha256: _Optional[str] = ..., input_name: _Optional[str] = ..., input_shape: _Optional[_Iterable[int]] = ..., layer_count: _Optional[int] = ..., source_sha256: _Optional[str] = ..., preprocessing_sha256: _Optional[str] = ..., inputs: _Optional[_Iterable[_Union[ModelInput, _Mapping]]] = ...) -> None: ...

class ModelInput(_message.Message):
    __slots__ = ["element_type", "name", "shape"]
    ELEMENT_TYPE_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    SHAPE_FIELD_NUMBER: _ClassVar[int]
    element_type: str
    name: str
    shape: _containers.RepeatedCompositeFieldContainer[_common_pb2.TensorDim]
    def __init__(self, name: _Optional[str] = ..., element_type: _Optional[str] = ..., shape: _Optional[_Iterable[_Union[_common_pb2.TensorDim, _Mapping]]] = ...) -> None: ...

class Preprocessing(_message.Message):
    __slots__ = ["mean", "scale", "shift", "std"]
    MEAN_FIELD_NUMBER: _ClassVar[int]
    SCALE_FIELD_NUMBER: _ClassVar[int]
    SHIFT_FIELD_NUMBER: _ClassVar[int]
    STD_FIELD_NUMBER: _ClassVar[int]
    mean: _containers.RepeatedScalarFieldContainer[float]
    scale: float
    shift: float
    std: _containers.RepeatedScalarFieldContainer[float]
    def __init__(self, scale: _Optional[float] = ..., shift: _Optional[float] = ..., mean: _Optional[_Iterable[float]] = ..., std: _Optional[_Iterable[float]] = ...) -> None: ...

class ShardIndexState(_message.Message):
    __slots__ = ["built", "built_at_unix_ms", "generation", "index_bytes", "inputs", "shard"]
    BUILT_AT_UNIX_MS_FIELD_NUMBER: _ClassVar[int]
    BUILT_FIELD_NUMBER: _ClassVar[int]
    GENERATION_FIELD_NUMBER: _ClassVar[int]
    INDEX_BYTES_FIELD_NUMBER: _ClassVar[int]
    INPUTS_FIELD_NUMBER: _ClassVar[int]
    SHARD_FIELD_NUMBER: _ClassVar[int]
    built: bool
    built_at_unix_ms: int
    generation: int
    index_bytes: int
    inputs: int
    shard: str
    def __init__(self, shard: _Optional[str] = ..., built: bool = ..., inputs: _Optional[int] = ..., index_bytes: _Optional[int] = ..., generation: _Optional[int] = ..., built_at_unix_ms: _Optional[int] = ...) -> None: ...

class ShardOf(_message.Message):
    __slots__ = ["count", "index"]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    INDEX_FIELD_NUMBER: _ClassVar[int]
    count: int
    index: int
    def __init__(self, index: _Optional[int] = ..., count: _Optional[int] = ...) -> None: ...

class TextDatasetInfo(_message.Message):
    __slots__ = ["documents", "metadata", "tokenizer", "vocab_sha256", "window_tokens", "windows"]
    DOCUMENTS_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    TOKENIZER_FIELD_NUMBER: _ClassVar[int]
    VOCAB_SHA256_FIELD_NUMBER: _ClassVar[int]
    WINDOWS_FIELD_NUMBER: _ClassVar[int]
    WINDOW_TOKENS_FIELD_NUMBER: _ClassVar[int]
    documents: int
    metadata: _containers.RepeatedCompositeFieldContainer[MetadataKey]
    tokenizer: str
    vocab_sha256: str
    window_tokens: int
    windows: int
    def __init__(self, tokenizer: _Optional[str] = ..., vocab_sha256: _Optional[str] = ..., window_tokens: _Optional[int] = ..., documents: _Optional[int] = ..., windows: _Optional[int] = ..., metadata: _Optional[_Iterable[_Union[MetadataKey, _Mapping]]] = ...) -> None: ...

class TextSource(_message.Message):
    __slots__ = ["document_per_line", "name_pattern", "paths", "tokenizer", "vocab_path", "window_tokens"]
    DOCUMENT_PER_LINE_FIELD_NUMBER: _ClassVar[int]
    NAME_PATTERN_FIELD_NUMBER: _ClassVar[int]
    PATHS_FIELD_NUMBER: _ClassVar[int]
    TOKENIZER_FIELD_NUMBER: _ClassVar[int]
    VOCAB_PATH_FIELD_NUMBER: _ClassVar[int]
    WINDOW_TOKENS_FIELD_NUMBER: _ClassVar[int]
    document_per_line: bool
    name_pattern: str
    paths: _containers.RepeatedScalarFieldContainer[str]
    tokenizer: str
    vocab_path: str
    window_tokens: int
    def __init__(self, paths: _Optional[_Iterable[str]] = ..., document_per_line: bool = ..., tokenizer: _Optional[str] = ..., vocab_path: _Optional[str] = ..., window_tokens: _Optional[int] = ..., name_pattern: _Optional[str] = ...) -> None: ...

class UploadModelChunk(_message.Message):
    __slots__ = ["data", "name", "preprocessing_data", "replace"]
    DATA_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    PREPROCESSING_DATA_FIELD_NUMBER: _ClassVar[int]
    REPLACE_FIELD_NUMBER: _ClassVar[int]
    data: bytes
    name: str
    preprocessing_data: bytes
    replace: bool
    def __init__(self, name: _Optional[str] = ..., data: _Optional[bytes] = ..., replace: bool = ..., preprocessing_data: _Optional[bytes] = ...) -> None: ...

class ElementType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []

class BuildPhase(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []
