"""Server streams as Python iterables that cancel their call when the caller stops reading."""

from __future__ import annotations

from typing import Callable, Generic, Iterator, Optional, TypeVar

import grpc

from .errors import from_rpc_error

T = TypeVar("T")


class Stream(Generic[T]):
    """A server stream of converted messages.

    Iterate it once, e.g. ``for update in stream:``. Leaving the loop early (``break``, an
    exception, or dropping the iterator) cancels the call, which stops the work on the server.
    Use it as a context manager to cancel on exit whatever happens, ``cancel()`` to stop it from
    elsewhere (iteration then raises :class:`~deepeverest_client.Cancelled`), or ``result()`` to
    read to the end and get the last message. Failures raise
    :class:`~deepeverest_client.DeepEverestError` subclasses carrying the gRPC status.
    """

    def __init__(self, call: grpc.Call, convert: Callable[[object], T], method: str) -> None:
        self._call = call
        self._convert = convert
        self._method = method
        self._iterated = False
        self.last: Optional[T] = None
        """The most recent message read, or None."""

    def __iter__(self) -> Iterator[T]:
        if self._iterated:
            raise RuntimeError("a stream can be iterated only once")
        self._iterated = True
        return self._read()

    def _read(self) -> Iterator[T]:
        try:
            for message in self._call:  # type: ignore[attr-defined]
                item = self._convert(message)
                self.last = item
                yield item
        except grpc.RpcError as error:
            raise from_rpc_error(error, self._method) from None
        finally:
            # Nothing happens if the call already ended; otherwise the server stops its work.
            self._call.cancel()

    def result(self) -> T:
        """Reads the stream to its end and returns the last message (for a query: the exact answer)."""
        for _ in self:
            pass
        if self.last is None:
            raise RuntimeError(f"{self._method} ended without a message")
        return self.last

    def cancel(self) -> None:
        """Cancels the call (the server stops its work)."""
        self._call.cancel()

    def __enter__(self) -> "Stream[T]":
        return self

    def __exit__(self, *exc: object) -> None:
        self.cancel()

    def __del__(self) -> None:
        # A stream dropped unread stops its call too; at interpreter exit gRPC may be gone already.
        call = getattr(self, "_call", None)
        if call is not None:
            try:
                call.cancel()
            except Exception:  # noqa: BLE001
                pass
