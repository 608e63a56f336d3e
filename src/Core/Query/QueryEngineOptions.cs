namespace DeepEverest.Core.Query;

/// <summary>Settings of the query engine (bound from the "DeepEverest:Query" configuration section).</summary>
public sealed class QueryEngineOptions
{
    /// <summary>The configuration section these options bind from.</summary>
    public const string SectionName = "DeepEverest:Query";

    /// <summary>MiB of the activation cache shared across queries. Default 512.</summary>
    public long CacheMb { get; set; } = 512;

    /// <summary>ONNX Runtime intra-op threads per runner; 0 = one per core. Default 0.</summary>
    public int InferenceThreads { get; set; }

    /// <summary>
    /// ONNX Runtime sessions per layer: how many verification batches of concurrent queries on one
    /// layer run their inference at once (1-<see cref="QueryLimits.MaxInferenceSessions"/>). Default 1.
    /// </summary>
    public int InferenceSessions { get; set; } = 1;

    /// <summary>Largest k served (at most <see cref="QueryLimits.MaxK"/>). Default 10,000.</summary>
    public int MaxK { get; set; } = QueryLimits.MaxK;

    /// <summary>
    /// MiB one query may hold (its group's index rows or materialized columns, per-input bounds);
    /// a larger query is refused with ResourceExhausted before it reads anything. Default 1024.
    /// </summary>
    public long MaxQueryMemoryMb { get; set; } = 1024;

    /// <summary>
    /// Most inputs verified per batch when a query does not say (its <c>batch_size</c>), in
    /// 1..<see cref="QueryLimits.MaxBatchSize"/>. Batches start at one input and grow up to it
    /// (adaptive verification). Default <see cref="QueryLimits.DefaultBatchSize"/> (64).
    /// </summary>
    public int BatchSize { get; set; } = QueryLimits.DefaultBatchSize;

    /// <summary>Checks the settings at start-up; throws with a message naming the setting.</summary>
    public void Validate()
    {
        if (CacheMb < 0 || MaxK is < 1 or > QueryLimits.MaxK || BatchSize is < 1 or > QueryLimits.MaxBatchSize || InferenceSessions is < 1 or > QueryLimits.MaxInferenceSessions)
        {
            throw new InvalidOperationException(
                $"{SectionName}: CacheMb >= 0, MaxK in 1..{QueryLimits.MaxK}, BatchSize in 1..{QueryLimits.MaxBatchSize}, InferenceSessions in 1..{QueryLimits.MaxInferenceSessions}");
        }
    }
}
