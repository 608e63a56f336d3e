using System.Diagnostics;
using DeepEverest.Hosting.Security;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace DeepEverest.Hosting.Internal;

/// <summary>
/// One log line per RPC, whatever the transport: method, status, duration, transport, client (the
/// API key's id, never the key) and peer address, under the category <see cref="Category"/> so an
/// operator sets its level alone (<c>Logging:LogLevel:DeepEverest.Requests</c>). Calls that ended
/// well or with a client's mistake log at Information, refusals by authentication or limits and
/// server failures at Warning, health checks at Debug. The outermost interceptor: it sees the
/// status the client sees.
/// </summary>
internal sealed class RequestLogInterceptor(ILoggerFactory loggerFactory) : Interceptor
{
    /// <summary>The log category of request lines.</summary>
    public const string Category = "DeepEverest.Requests";

    private readonly ILogger _logger = loggerFactory.CreateLogger(Category);

    /// <inheritdoc />
    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        long started = Stopwatch.GetTimestamp();
        try
        {
            TResponse response = await continuation(request, context).ConfigureAwait(false);
            Log(context, StatusCode.OK, started);
            return response;
        }
        catch (Exception e)
        {
            Log(context, CodeOf(e, context), started);
            throw;
        }
    }

    /// <inheritdoc />
    public override async Task<TResponse> ClientStreamingServerHandler<TRequest, TResponse>(IAsyncStreamReader<TRequest> requestStream, ServerCallContext context, ClientStreamingServerMethod<TRequest, TResponse> continuation)
    {
        long started = Stopwatch.GetTimestamp();
        try
        {
            TResponse response = await continuation(requestStream, context).ConfigureAwait(false);
            Log(context, StatusCode.OK, started);
            return response;
        }
        catch (Exception e)
        {
            Log(context, CodeOf(e, context), started);
            throw;
        }
    }

    /// <inheritdoc />
    public override async Task ServerStreamingServerHandler<TRequest, TResponse>(TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        long started = Stopwatch.GetTimestamp();
        try
        {
            await continuation(request, responseStream, context).ConfigureAwait(false);
            Log(context, StatusCode.OK, started);
        }
        catch (Exception e)
        {
            Log(context, CodeOf(e, context), started);
            throw;
        }
    }

    /// <inheritdoc />
    public override async Task DuplexStreamingServerHandler<TRequest, TResponse>(IAsyncStreamReader<TRequest> requestStream, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, DuplexStreamingServerMethod<TRequest, TResponse> continuation)
    {
        long started = Stopwatch.GetTimestamp();
        try
        {
            await continuation(requestStream, responseStream, context).ConfigureAwait(false);
            Log(context, StatusCode.OK, started);
        }
        catch (Exception e)
        {
            Log(context, CodeOf(e, context), started);
            throw;
        }
    }

    /// <summary>The level of a request line.</summary>
    public static LogLevel LevelOf(string method, StatusCode code) => code switch
    {
        _ when method.StartsWith("/grpc.health.v1.Health/", StringComparison.Ordinal) => LogLevel.Debug,
        StatusCode.OK or StatusCode.Cancelled or StatusCode.InvalidArgument or StatusCode.NotFound or StatusCode.AlreadyExists
            or StatusCode.FailedPrecondition or StatusCode.OutOfRange or StatusCode.Aborted => LogLevel.Information,
        _ => LogLevel.Warning,
    };

    private static StatusCode CodeOf(Exception e, ServerCallContext context) => e switch
    {
        RpcException rpc => rpc.StatusCode,
        OperationCanceledException when context.Deadline <= DateTime.UtcNow => StatusCode.DeadlineExceeded,
        OperationCanceledException => StatusCode.Cancelled,
        _ => StatusCode.Internal,
    };

    private void Log(ServerCallContext context, StatusCode code, long started)
    {
        LogLevel level = LevelOf(context.Method, code);
        if (!_logger.IsEnabled(level))
        {
            return;
        }

        HttpContext? http = ClientIdentity.HttpContextOf(context);
        string client = ClientIdentity.ApiKey(context) is { } key ? "key " + key.Id : "no key";
        HostingLog.Request(
            _logger,
            level,
            context.Method,
            code.ToString(),
            Stopwatch.GetElapsedTime(started).TotalMilliseconds,
            TransportOf(http?.Request),
            client,
            ClientIdentity.PeerAddress(context));
    }

    private static string TransportOf(HttpRequest? request)
    {
        string contentType = request?.ContentType ?? "";
        if (contentType.StartsWith("application/grpc-web", StringComparison.OrdinalIgnoreCase))
        {
            return "grpc-web";
        }

        return contentType.StartsWith("application/grpc", StringComparison.OrdinalIgnoreCase) ? "grpc" : "json";
    }
}
