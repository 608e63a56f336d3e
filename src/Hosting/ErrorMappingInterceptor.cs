using DeepEverest.Core;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Microsoft.Extensions.Logging;

namespace DeepEverest.Hosting;

/// <summary>
/// Turns <see cref="DeepEverestException"/> into the gRPC status of the same name with its
/// message, cancellation into CANCELLED / DEADLINE_EXCEEDED, and anything else into INTERNAL with
/// a generic message (logged with its stack), so every service answers bad input the same way.
/// </summary>
public sealed class ErrorMappingInterceptor(ILogger<ErrorMappingInterceptor> logger) : Interceptor
{
    /// <inheritdoc />
    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            return await continuation(request, context);
        }
        catch (Exception e) when (e is not RpcException)
        {
            throw Map(e, context);
        }
    }

    /// <inheritdoc />
    public override async Task<TResponse> ClientStreamingServerHandler<TRequest, TResponse>(IAsyncStreamReader<TRequest> requestStream, ServerCallContext context, ClientStreamingServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            return await continuation(requestStream, context);
        }
        catch (Exception e) when (e is not RpcException)
        {
            throw Map(e, context);
        }
    }

    /// <inheritdoc />
    public override async Task ServerStreamingServerHandler<TRequest, TResponse>(TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            await continuation(request, responseStream, context);
        }
        catch (Exception e) when (e is not RpcException)
        {
            throw Map(e, context);
        }
    }

    /// <inheritdoc />
    public override async Task DuplexStreamingServerHandler<TRequest, TResponse>(IAsyncStreamReader<TRequest> requestStream, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, DuplexStreamingServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            await continuation(requestStream, responseStream, context);
        }
        catch (Exception e) when (e is not RpcException)
        {
            throw Map(e, context);
        }
    }

    /// <summary>Longest status message sent to a client, in characters (longer ones are cut, the rest counted).</summary>
    public const int MaxClientMessageChars = 2000;

    /// <summary>The status a failure maps to.</summary>
    public static StatusCode CodeOf(ErrorKind kind) => kind switch
    {
        ErrorKind.InvalidArgument => StatusCode.InvalidArgument,
        ErrorKind.NotFound => StatusCode.NotFound,
        ErrorKind.FailedPrecondition => StatusCode.FailedPrecondition,
        ErrorKind.ResourceExhausted => StatusCode.ResourceExhausted,
        ErrorKind.AlreadyExists => StatusCode.AlreadyExists,
        _ => StatusCode.Unknown,
    };

    private RpcException Map(Exception e, ServerCallContext context)
    {
        switch (e)
        {
            case DeepEverestException de:
                HostingLog.RequestRefused(logger, context.Method, de.Kind.ToString(), LogText.Truncate(de.Message));

                // The message travels in a header (grpc-message): one that echoes a hostile
                // megabyte-long name would break the client's header decoding.
                return new RpcException(new Status(CodeOf(de.Kind), LogText.Truncate(de.Message, MaxClientMessageChars)));
            case OperationCanceledException when context.Deadline <= DateTime.UtcNow:
                return new RpcException(new Status(StatusCode.DeadlineExceeded, "The deadline passed before the work finished."));
            case OperationCanceledException:
                return new RpcException(new Status(StatusCode.Cancelled, "The call was cancelled."));
            default:
                HostingLog.UnexpectedFailure(logger, context.Method, e);
                return new RpcException(new Status(StatusCode.Internal, $"Internal error ({e.GetType().Name}); see the service log."));
        }
    }
}
