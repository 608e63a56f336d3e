
namespace DeepEverest.QueryService;

/// <summary>Log messages of the QueryService (event ids 3000-3999).</summary>
internal static partial class QueryServiceLog
{
    [LoggerMessage(3001, LogLevel.Information, "QueryService serving data root {DataRoot} with kernels {Kernels}")]
    public static partial void Started(ILogger logger, string dataRoot, string kernels);

    [LoggerMessage(3002, LogLevel.Information, "{Kind} query on {Layer} ({Strategy}, group {Group}, k {K}) done in {ElapsedMs} ms: inferred {Inferred}, cache hits {CacheHits}, pruned {Pruned}")]
    public static partial void QueryDone(ILogger logger, string kind, string layer, string strategy, int group, int k, long elapsedMs, long inferred, long cacheHits, long pruned);

    [LoggerMessage(3003, LogLevel.Information, "{Kind} query on {Layer} stopped: {Reason}")]
    public static partial void QueryStopped(ILogger logger, string kind, string layer, string reason);

    [LoggerMessage(3004, LogLevel.Information, "Web console served from {Path}")]
    public static partial void ConsoleServed(ILogger logger, string path);

    [LoggerMessage(3005, LogLevel.Information, "No web console: {Path} does not exist (set {Section}:Path to the console's files)")]
    public static partial void ConsoleMissing(ILogger logger, string path, string section);
}
