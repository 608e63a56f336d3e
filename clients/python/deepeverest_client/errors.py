"""Errors raised by the client: one exception type per gRPC status a caller may want to catch."""

from __future__ import annotations

import grpc


class DeepEverestError(Exception):
    """A call failed. `code` is the gRPC status, `details` the service's message.

    Catch a subclass for one status (``except NotFound``) or this class for any.
    """

    def __init__(self, code: grpc.StatusCode, details: str, method: str = "") -> None:
        super().__init__(f"{code.name}: {details}")
        self.code = code
        self.details = details
        self.method = method


class InvalidArgument(DeepEverestError):
    """The request is malformed; the message names the field (INVALID_ARGUMENT)."""


class NotFound(DeepEverestError):
    """A model, dataset, layer, index or input does not exist (NOT_FOUND)."""


class FailedPrecondition(DeepEverestError):
    """Something must be done first, e.g. a materialization (FAILED_PRECONDITION)."""


class ResourceExhausted(DeepEverestError):
    """Over a limit of the service, e.g. the per-query memory budget (RESOURCE_EXHAUSTED)."""


class AlreadyExists(DeepEverestError):
    """A model or dataset of that name exists (ALREADY_EXISTS)."""


class DeadlineExceeded(DeepEverestError):
    """The call's timeout, or the service's time cap, passed (DEADLINE_EXCEEDED)."""


class Cancelled(DeepEverestError):
    """The call was cancelled (CANCELLED)."""


class Unavailable(DeepEverestError):
    """The service cannot be reached (UNAVAILABLE)."""


_BY_CODE: dict[grpc.StatusCode, type[DeepEverestError]] = {
    grpc.StatusCode.INVALID_ARGUMENT: InvalidArgument,
    grpc.StatusCode.NOT_FOUND: NotFound,
    grpc.StatusCode.FAILED_PRECONDITION: FailedPrecondition,
    grpc.StatusCode.RESOURCE_EXHAUSTED: ResourceExhausted,
    grpc.StatusCode.ALREADY_EXISTS: AlreadyExists,
    grpc.StatusCode.DEADLINE_EXCEEDED: DeadlineExceeded,
    grpc.StatusCode.CANCELLED: Cancelled,
    grpc.StatusCode.UNAVAILABLE: Unavailable,
}


def from_rpc_error(error: grpc.RpcError, method: str = "") -> DeepEverestError:
    """The exception for a failed call (`error` is a grpc.Call as well as an RpcError)."""
    code = error.code() if hasattr(error, "code") else grpc.StatusCode.UNKNOWN
    details = (error.details() if hasattr(error, "details") else None) or str(error)
    return _BY_CODE.get(code, DeepEverestError)(code, details, method)
