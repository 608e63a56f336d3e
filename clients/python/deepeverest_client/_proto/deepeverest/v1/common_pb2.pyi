from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Iterable as _Iterable, Mapping as _Mapping, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class LayerInfo(_message.Message):
    __slots__ = ["name", "neurons", "op_type", "order", "shape", "tensor_shape"]
    NAME_FIELD_NUMBER: _ClassVar[int]
    NEURONS_FIELD_NUMBER: _ClassVar[int]
    OP_TYPE_FIELD_NUMBER: _ClassVar[int]
    ORDER_FIELD_NUMBER: _ClassVar[int]
    SHAPE_FIELD_NUMBER: _ClassVar[int]
    TENSOR_SHAPE_FIELD_NUMBER: _ClassVar[int]
    name: str
    neurons: int
    op_type: str
    order: int
    shape: _containers.RepeatedScalarFieldContainer[int]
    tensor_shape: _containers.RepeatedCompositeFieldContainer[TensorDim]
    def __init__(self, name: _Optional[str] = ..., op_type: _Optional[str] = ..., shape: _Optional[_Iterable[int]] = ..., neurons: _Optional[int] = ..., order: _Optional[int] = ..., tensor_shape: _Optional[_Iterable[_Union[TensorDim, _Mapping]]] = ...) -> None: ...

class LayerRef(_message.Message):
    __slots__ = ["dataset", "layer", "model"]
    DATASET_FIELD_NUMBER: _ClassVar[int]
    LAYER_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    dataset: str
    layer: str
    model: str
    def __init__(self, model: _Optional[str] = ..., dataset: _Optional[str] = ..., layer: _Optional[str] = ...) -> None: ...

class Tensor(_message.Message):
    __slots__ = ["shape", "values"]
    SHAPE_FIELD_NUMBER: _ClassVar[int]
    VALUES_FIELD_NUMBER: _ClassVar[int]
    shape: _containers.RepeatedScalarFieldContainer[int]
    values: _containers.RepeatedScalarFieldContainer[float]
    def __init__(self, shape: _Optional[_Iterable[int]] = ..., values: _Optional[_Iterable[float]] = ...) -> None: ...

class TensorDim(_message.Message):
    __slots__ = ["size", "symbol"]
    SIZE_FIELD_NUMBER: _ClassVar[int]
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    size: int
    symbol: str
    def __init__(self, size: _Optional[int] = ..., symbol: _Optional[str] = ...) -> None: ...
