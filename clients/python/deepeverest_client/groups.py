"""Neuron groups: which neurons of a layer a query looks at.

    top(3)                      the target's 3 most activated neurons (highest first, ties by index)
    neurons(17, 42, 99)         flat indices into the layer's row-major tensor, in this order
    at((5, 0, 1), (5, 2, 2))    coordinates, one per layer dimension
    rect(5, ..., ...)           a hyper-rectangle: an int, a (start, stop) pair, a slice or ...
                                (the whole dimension) per layer dimension; row-major order
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Sequence, Union

from ._proto.deepeverest.v1 import query_service_pb2 as pb

# What `rect` accepts per dimension.
Extent = Union[int, tuple[int, int], slice, "ellipsis"]


@dataclass(frozen=True)
class Group:
    """A neuron group; build one with top(), neurons(), at() or rect()."""

    kind: str
    top: int = 0
    flat: tuple[int, ...] = ()
    coordinates: tuple[tuple[int, ...], ...] = ()
    extents: tuple[Extent, ...] = ()

    @property
    def needs_shape(self) -> bool:
        """Whether turning it into a request needs the layer's shape (a rectangle with ... or open slices)."""
        return self.kind == "rect" and any(_open(e) for e in self.extents)

    def to_proto(self, layer_shape: Sequence[int] | None = None) -> pb.NeuronGroup:
        """The request message; `layer_shape` fills the open ends of a rectangle."""
        if self.kind == "top":
            return pb.NeuronGroup(top_of_target=self.top)
        if self.kind == "neurons":
            return pb.NeuronGroup(neurons=pb.NeuronList(neurons=[pb.Neuron(flat=f) for f in self.flat]))
        if self.kind == "at":
            return pb.NeuronGroup(neurons=pb.NeuronList(
                neurons=[pb.Neuron(coordinates=pb.Coordinates(values=list(c))) for c in self.coordinates]))
        ranges = []
        for d, extent in enumerate(self.extents):
            size = layer_shape[d] if layer_shape is not None and d < len(layer_shape) else None
            start, end = _range(extent, size)
            ranges.append(pb.Range(start=start, end=end))
        return pb.NeuronGroup(rectangle=pb.HyperRectangle(ranges=ranges))


def top(m: int) -> Group:
    """The target's `m` most activated neurons: highest activation first, ties by flat index."""
    return Group("top", top=int(m))


def neurons(*flat: int | Iterable[int]) -> Group:
    """Neurons by flat index, in the order given: ``neurons(3, 7)`` or ``neurons([3, 7])``."""
    items: list[int] = []
    for f in flat:
        if isinstance(f, Iterable):
            items.extend(int(x) for x in f)
        else:
            items.append(int(f))
    return Group("neurons", flat=tuple(items))


def at(*coordinates: Sequence[int]) -> Group:
    """Neurons by coordinates, one value per layer dimension: ``at((5, 0, 1), (5, 2, 2))``."""
    return Group("at", coordinates=tuple(tuple(int(v) for v in c) for c in coordinates))


def rect(*extents: Extent) -> Group:
    """Every neuron of a hyper-rectangle, one extent per layer dimension: an index, a
    ``(start, stop)`` pair, a slice, or ``...`` for the whole dimension. ``rect(5, ..., ...)``
    is channel 5 at every position of a [C, H, W] layer."""
    return Group("rect", extents=tuple(extents))


def _open(extent: Extent) -> bool:
    return extent is ... or (isinstance(extent, slice) and (extent.start is None or extent.stop is None))


def _range(extent: Extent, size: int | None) -> tuple[int, int]:
    if extent is ...:
        extent = slice(None)
    if isinstance(extent, slice):
        if extent.step not in (None, 1):
            raise ValueError("rect: slices with a step are not supported")
        start = 0 if extent.start is None else int(extent.start)
        if extent.stop is None:
            if size is None:
                raise ValueError("rect: an open range needs the layer's shape")
            return start, int(size)
        return start, int(extent.stop)
    if isinstance(extent, tuple):
        return int(extent[0]), int(extent[1])
    return int(extent), int(extent) + 1
