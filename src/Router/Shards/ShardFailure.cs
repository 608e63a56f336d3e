using Grpc.Core;

namespace DeepEverest.Router.Shards;

/// <summary>
/// What a client sees when a shard fails: the shard is always named. A request the shard refuses
/// (INVALID_ARGUMENT, NOT_FOUND, FAILED_PRECONDITION, RESOURCE_EXHAUSTED, OUT_OF_RANGE) keeps its
/// status; a shard past the deadline is DEADLINE_EXCEEDED; anything else (unreachable, crashed,
/// refusing the router's key) is UNAVAILABLE: the answer would lack that shard's inputs.
/// </summary>
internal static class ShardFailure
{
    /// <summary>The status to fail the call with.</summary>
    /// <param name="shard">The shard that failed.</param>
    /// <param name="error">Its failure.</param>
    /// <param name="doing">What the router asked of it, e.g. "answering the query".</param>
    public static RpcException Of(ShardClient shard, RpcException error, string doing)
    {
        StatusCode code = error.StatusCode switch
        {
            StatusCode.InvalidArgument or StatusCode.NotFound or StatusCode.FailedPrecondition or StatusCode.ResourceExhausted or StatusCode.OutOfRange => error.StatusCode,
            StatusCode.DeadlineExceeded => StatusCode.DeadlineExceeded,
            _ => StatusCode.Unavailable,
        };
        string detail = error.Status.Detail.Length > 0 ? error.Status.Detail : error.StatusCode.ToString();
        string message = code == error.StatusCode
            ? $"{shard.Name}: {detail}"
            : $"{shard.Name} failed while {doing} ({error.StatusCode}: {detail}); the answer would lack its inputs.";
        if (IsTlsHandshake(error.Status.DebugException))
        {
            message += $" The TLS handshake failed: if the shard's certificate is signed by a private CA, set {RouterOptions.SectionName}:{nameof(RouterOptions.ShardCaFile)} to that CA's PEM file.";
        }

        return new RpcException(new Status(code, message));
    }

    private static bool IsTlsHandshake(Exception? error)
    {
        for (Exception? e = error; e is not null; e = e.InnerException)
        {
            if (e is System.Security.Authentication.AuthenticationException)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// A shard whose call ended after the query's deadline passed, however it ended: at the deadline
    /// the shard's server may reset the stream rather than send DEADLINE_EXCEEDED, which would read
    /// as a shard gone (UNAVAILABLE) when it is the client's deadline that ended the query.
    /// </summary>
    public static RpcException PastDeadline(ShardClient shard) =>
        new(new Status(StatusCode.DeadlineExceeded, $"{shard.Name} had not finished its part of the answer when the query's deadline passed."));

    /// <summary>A shard whose stream ended without its done update.</summary>
    public static RpcException Truncated(ShardClient shard) =>
        new(new Status(StatusCode.Unavailable, $"{shard.Name} ended its stream before the exact answer; the answer would lack its inputs."));
}
