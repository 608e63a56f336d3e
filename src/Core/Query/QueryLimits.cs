namespace DeepEverest.Core.Query;

/// <summary>
/// The hard limits and defaults of a query, each defined here once: <see cref="QueryEngineOptions"/>
/// takes its defaults from these and is validated against them at start-up, and the planner
/// (<see cref="Planning.QueryPlanner"/>) checks requests against them, its messages quoting them.
/// </summary>
public static class QueryLimits
{
    /// <summary>Largest k any engine serves (<see cref="QueryEngineOptions.MaxK"/> may lower it).</summary>
    public const int MaxK = 10_000;

    /// <summary>Most neurons in a resolved group (a larger group is refused with RESOURCE_EXHAUSTED).</summary>
    public const int MaxGroupSize = 1 << 20;

    /// <summary>Largest verification batch a request or the settings may ask for.</summary>
    public const int MaxBatchSize = 4096;

    /// <summary>Most inputs verified per batch when neither the request nor the settings say.</summary>
    public const int DefaultBatchSize = 64;

    /// <summary>Most ONNX Runtime sessions per layer (<see cref="QueryEngineOptions.InferenceSessions"/>).</summary>
    public const int MaxInferenceSessions = 64;

    /// <summary>The strategy of a request that names none (STRATEGY_UNSPECIFIED).</summary>
    public const QueryStrategy DefaultStrategy = QueryStrategy.Bounds;
}
