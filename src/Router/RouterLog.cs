namespace DeepEverest.Router;

/// <summary>Log messages of the router (event ids 5000-5999).</summary>
internal static partial class RouterLog
{
    [LoggerMessage(5001, LogLevel.Information, "Router over {Count} shards: {Shards}")]
    public static partial void Started(ILogger logger, int count, string shards);

    [LoggerMessage(5002, LogLevel.Information, "Shards checked: {Datasets}")]
    public static partial void TopologyChecked(ILogger logger, string datasets);

    [LoggerMessage(5003, LogLevel.Warning, "Could not read the shards' datasets at start-up ({Reason}); queries will read them when they run")]
    public static partial void TopologyUnreachable(ILogger logger, string reason);

    [LoggerMessage(5004, LogLevel.Information, "{Kind} query on {Layer} done in {ElapsedMs} ms over {Shards} shards ({Stopped} stopped early): inferred {Inferred}")]
    public static partial void QueryDone(ILogger logger, string kind, string layer, long elapsedMs, int shards, int stopped, long inferred);

    [LoggerMessage(5005, LogLevel.Warning, "{Kind} query on {Layer} answered without some shards (allow_partial): {Missing}")]
    public static partial void QueryPartial(ILogger logger, string kind, string layer, string missing);
}
