using Grpc.Core;
using Grpc.Core.Interceptors;

namespace DeepEverest.Hosting.Internal;

/// <summary>
/// Counts the server streams open now (<c>deepeverest.streams.open</c>, tagged with the method
/// name), whatever the transport: native gRPC, gRPC-Web or JSON lines.
/// </summary>
internal sealed class StreamMetricsInterceptor(DeepEverestMetrics metrics) : Interceptor
{
    /// <inheritdoc />
    public override async Task ServerStreamingServerHandler<TRequest, TResponse>(TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        // "/deepeverest.v1.QueryService/TopKSimilar" -> "TopKSimilar".
        string rpc = context.Method[(context.Method.LastIndexOf('/') + 1)..];
        metrics.AddOpenStreams(rpc, 1);
        try
        {
            await continuation(request, responseStream, context).ConfigureAwait(false);
        }
        finally
        {
            metrics.AddOpenStreams(rpc, -1);
        }
    }
}
