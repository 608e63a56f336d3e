namespace DeepEverest.Core;

/// <summary>Why a request failed; the services map each kind to the gRPC status of the same name.</summary>
public enum ErrorKind
{
    /// <summary>The request itself is wrong (bad parameter, malformed file, out-of-range value).</summary>
    InvalidArgument,

    /// <summary>A named model, dataset, layer or index does not exist.</summary>
    NotFound,

    /// <summary>The request is valid but the system is not in a state to serve it.</summary>
    FailedPrecondition,

    /// <summary>The request would exceed a configured budget (memory, k, time).</summary>
    ResourceExhausted,

    /// <summary>Something with that name already exists.</summary>
    AlreadyExists,
}
