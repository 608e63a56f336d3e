using Microsoft.Extensions.Logging;

namespace DeepEverest.Hosting;

/// <summary>Log messages shared by both services (event ids 4000-4999).</summary>
internal static partial class HostingLog
{
    [LoggerMessage(4001, LogLevel.Information, "{Method} refused ({Kind}): {Message}")]
    public static partial void RequestRefused(ILogger logger, string method, string kind, string message);

    [LoggerMessage(4002, LogLevel.Error, "{Method} failed unexpectedly")]
    public static partial void UnexpectedFailure(ILogger logger, string method, Exception exception);

    [LoggerMessage(4003, LogLevel.Information, "{Service} endpoint {Endpoint} ({Serves}) listening on {Address}")]
    public static partial void EndpointListening(ILogger logger, string service, string endpoint, string serves, string address);

    [LoggerMessage(4004, LogLevel.Information, "{Service} endpoint {Endpoint} is disabled (Kestrel:Endpoints:{Endpoint}:Url is empty)")]
    public static partial void EndpointDisabled(ILogger logger, string service, string endpoint);
}
