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

    [LoggerMessage(EventId = 4005, Message = "{Method} {Status} in {ElapsedMs:F1} ms ({Transport}, {Client}, peer {Peer})")]
    public static partial void Request(ILogger logger, LogLevel level, string method, string status, double elapsedMs, string transport, string client, string peer);

    [LoggerMessage(4101, LogLevel.Information, "Authentication on: {Count} API key(s), ids {Ids}; /metrics {Metrics}")]
    public static partial void AuthEnabled(ILogger logger, int count, string ids, string metrics);

    [LoggerMessage(4102, LogLevel.Information, "Authentication off: every call is served without a key (set {Section}:Keys or {Section}:ApiKeysFile to require one)")]
    public static partial void AuthDisabled(ILogger logger, string section);

    [LoggerMessage(4103, LogLevel.Warning, "API keys are configured but {Section}:Enabled is false: calls are served without a key")]
    public static partial void AuthDisabledWithKeys(ILogger logger, string section);

    [LoggerMessage(4104, LogLevel.Information, "API key file changed: {Count} key(s) in force ({Section}:ApiKeysFile)")]
    public static partial void KeysReloaded(ILogger logger, int count, string section);

    [LoggerMessage(4105, LogLevel.Error, "API key file changed but cannot be used; the keys read before stay in force: {Reason}")]
    public static partial void KeysReloadFailed(ILogger logger, string reason);

    [LoggerMessage(4201, LogLevel.Information, "Web console served from {Path}")]
    public static partial void ConsoleServed(ILogger logger, string path);

    [LoggerMessage(4202, LogLevel.Information, "No web console: {Path} does not exist (set {Section}:Path to the console's files)")]
    public static partial void ConsoleMissing(ILogger logger, string path, string section);
}
