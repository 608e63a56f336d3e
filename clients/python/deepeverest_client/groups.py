"""Neuron groups: which neurons of a layer a query looks at.

    top(3)                      the target's 3 most activated neurons (highest first, ties by index)
    neurons(17, 42, 99)         flat indices into the layer's row-major tensor, in this order
    at((5, 0, 1), (5, 2, 2))    coordinates, one per layer dimension
    rect(5, ..., ...)           a hyper-rectangle: an int, a (start, stop) pair, a slice or ...
                                (the whole dimension) per layer dimension; row-major order
    parse("rect:5,*,*")         the same, from the group syntax every text front end shares
                                (grammar: the comment on NeuronGroup in query_service.proto)

Open ends (``...``, ``slice(2, None)``) go out as open ranges the service resolves: no group needs
the layer's shape.
"""

from __future__ import annotations

import re
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
        """Always False now: open ends go out as open ranges (kept for callers that asked)."""
        return False

    def to_proto(self, layer_shape: Sequence[int] | None = None) -> pb.NeuronGroup:
        """The request message. Open ends of a rectangle stay open (the service resolves them);
        `layer_shape` is ignored, kept so that older callers still work."""
        if self.kind == "top":
            return pb.NeuronGroup(top_of_target=self.top)
        if self.kind == "neurons":
            return pb.NeuronGroup(neurons=pb.NeuronList(neurons=[pb.Neuron(flat=f) for f in self.flat]))
        if self.kind == "at":
            return pb.NeuronGroup(neurons=pb.NeuronList(
                neurons=[pb.Neuron(coordinates=pb.Coordinates(values=list(c))) for c in self.coordinates]))
        return pb.NeuronGroup(rectangle=pb.HyperRectangle(ranges=[_range(e) for e in self.extents]))


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


def _range(extent: Extent) -> pb.Range:
    if extent is ...:
        return pb.Range(open_end=True)
    if isinstance(extent, slice):
        if extent.step not in (None, 1):
            raise ValueError("rect: slices with a step are not supported")
        start = 0 if extent.start is None else int(extent.start)
        if extent.stop is None:
            return pb.Range(start=start, open_end=True)
        return pb.Range(start=start, end=int(extent.stop))
    if isinstance(extent, tuple):
        return pb.Range(start=int(extent[0]), end=int(extent[1]))
    return pb.Range(start=int(extent), end=int(extent) + 1)


# -- the group syntax ----------------------------------------------------------------------------
# The one grammar of the comment on NeuronGroup (protos/deepeverest/v1/query_service.proto), as the
# CLI (DeepEverest.Contracts.GroupSyntax) and the console (console/src/groupSyntax.ts) parse it;
# all three are tested against tests/fixtures/group-syntax.json.

_INT32_MAX = 2**31 - 1
_INT64_MAX = 2**63 - 1
_FORMS = ("top:M, neurons:I,J,..., at:C.H.W;C.H.W;... or rect:E,E,... (one extent per dimension: "
          "N, A:B for [A, B), A: or :B, or * for the whole dimension)")


def parse(text: str) -> Group:
    """The group a line of the shared group syntax names, e.g. ``parse("rect:5,*,*")``.

    Checks syntax only (whether the group fits the layer is the service's to say); raises
    ValueError saying what is wrong otherwise."""
    trimmed = text.strip()
    kind, colon, body = trimmed.partition(":")
    kind = kind.strip()
    if not colon:
        raise _error(text, f"use {_FORMS}")
    if kind == "top":
        m = _uint(body, text, "top:M")
        if m > _INT32_MAX:
            raise _error(text, f"top:{m} is too large (at most {_INT32_MAX})")
        return top(m)
    if kind == "neurons":
        return neurons([_uint(x, text, "a flat index") for x in body.split(",")])
    if kind == "at":
        return at(*[[_uint(x, text, "a coordinate") for x in item.split(".")] for item in body.split(";")])
    if kind == "rect":
        return rect(*[_extent(x, text) for x in body.split(",")])
    raise _error(text, f"use {_FORMS}")


def format_group(group: pb.NeuronGroup) -> str | None:
    """The canonical text of a request message (what :func:`parse` reads back into an equal
    message), or None for one the syntax cannot write (no selection, an empty list, or a list
    mixing flat indices and coordinates)."""
    which = group.WhichOneof("selection")
    if which == "top_of_target" and group.top_of_target >= 0:
        return f"top:{group.top_of_target}"
    if which == "neurons" and len(group.neurons.neurons) > 0:
        items = group.neurons.neurons
        if all(n.WhichOneof("location") == "flat" and n.flat >= 0 for n in items):
            return "neurons:" + ",".join(str(n.flat) for n in items)
        if all(n.WhichOneof("location") == "coordinates" and len(n.coordinates.values) > 0
               and all(v >= 0 for v in n.coordinates.values) for n in items):
            return "at:" + ";".join(".".join(str(v) for v in n.coordinates.values) for n in items)
        return None
    if which == "rectangle" and len(group.rectangle.ranges) > 0:
        extents = [_format_extent(r) for r in group.rectangle.ranges]
        return None if any(e is None for e in extents) else "rect:" + ",".join(extents)  # type: ignore[arg-type]
    return None


def _format_extent(r: pb.Range) -> str | None:
    if r.start < 0 or r.end < 0 or (r.open_end and r.end != 0):
        return None
    if r.open_end:
        return "*" if r.start == 0 else f"{r.start}:"
    return str(r.start) if r.end - r.start == 1 else f"{r.start}:{r.end}"


def _extent(item: str, text: str) -> Extent:
    extent = item.strip()
    if extent == "*":
        return ...
    start, colon, end = extent.partition(":")
    if not colon:
        index = _uint(extent, text, "an extent (N, A:B, A:, :B or *)")
        if index >= _INT64_MAX:
            raise _error(text, f"index {index} is too large")
        return index
    first = 0 if not start.strip() else _uint(start, text, "a range start")
    if not end.strip():
        return slice(first, None)
    return (first, _uint(end, text, "a range end"))


def _uint(item: str, text: str, what: str) -> int:
    digits = item.strip()
    if not re.fullmatch(r"[0-9]+", digits, flags=re.ASCII):
        raise _error(text, f"{what} is missing" if not digits else f"'{digits}' is not {what} (a non-negative decimal integer)")
    value = int(digits)
    if value > _INT64_MAX:
        raise _error(text, f"{digits} is too large (at most {_INT64_MAX})")
    return value


def _error(text: str, why: str) -> ValueError:
    return ValueError(f"'{text}' is not a neuron group: {why}.")
