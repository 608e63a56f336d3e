
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

    [LoggerMessage(3006, LogLevel.Warning, "Could not follow the IndexService's writes (queries keep reading the last generation; retrying)")]
    public static partial void FollowFailed(ILogger logger, Exception error);
}
