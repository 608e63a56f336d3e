namespace DeepEverest.QueryService.Limits;

/// <summary>
/// How many queries may run at once, bound from <c>DeepEverest:Limits</c> and checked at start-up.
/// A query beyond a limit fails at once with RESOURCE_EXHAUSTED (HTTP 429 over JSON), its message
/// naming the limit and its setting. A client is the API key's id when authentication is on, else
/// the peer's IP address. 0 turns a limit off.
/// </summary>
public sealed class QueryLimitsOptions
{
    /// <summary>The configuration section these options bind from.</summary>
    public const string SectionName = "DeepEverest:Limits";

    /// <summary>Largest value a limit accepts.</summary>
    public const int MaxLimit = 100_000;

    /// <summary>TopKSimilar/TopKHighest calls running at once on this service. Default 64.</summary>
    public int MaxConcurrentQueries { get; set; } = 64;

    /// <summary>Queries one client may run at once. Default 16.</summary>
    public int MaxConcurrentQueriesPerClient { get; set; } = 16;

    /// <summary>
    /// Queries answered by ReprocessAll or NTA (which run the model over all or much of the dataset,
    /// unlike the bounds strategy) running at once on this service, whether asked for or because
    /// the layer has no index. Default 4.
    /// </summary>
    public int MaxConcurrentScans { get; set; } = 4;

    /// <summary>ReprocessAll/NTA queries one client may run at once. Default 2.</summary>
    public int MaxConcurrentScansPerClient { get; set; } = 2;

    /// <summary>Checks the settings; throws with a message naming the setting.</summary>
    public void Validate()
    {
        foreach ((string name, int value) in new[]
        {
            (nameof(MaxConcurrentQueries), MaxConcurrentQueries),
            (nameof(MaxConcurrentQueriesPerClient), MaxConcurrentQueriesPerClient),
            (nameof(MaxConcurrentScans), MaxConcurrentScans),
            (nameof(MaxConcurrentScansPerClient), MaxConcurrentScansPerClient),
        })
        {
            if (value is < 0 or > MaxLimit)
            {
                throw new InvalidOperationException($"{SectionName}:{name} must be in [0, {MaxLimit}] (0 = no limit), got {value}.");
            }
        }
    }
}
