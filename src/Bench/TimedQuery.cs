using System.Diagnostics;
using DeepEverest.Core.Query;

namespace DeepEverest.Bench;

/// <summary>A query run to completion with the times of its first and last update.</summary>
/// <param name="First">The first update (it carries the resolved group).</param>
/// <param name="Last">The final update (Done, exact).</param>
/// <param name="FirstMs">Milliseconds from the call to the first update.</param>
/// <param name="FinalMs">Milliseconds from the call to the final update.</param>
internal sealed record TimedQuery(TopKUpdateInfo First, TopKUpdateInfo Last, double FirstMs, double FinalMs)
{
    /// <summary>Runs <paramref name="query"/> on <paramref name="engine"/>, consuming every update.</summary>
    public static TimedQuery Run(QueryEngine engine, TopKQuery query, CancellationToken cancellationToken)
    {
        long start = Stopwatch.GetTimestamp();
        TopKUpdateInfo? first = null;
        TopKUpdateInfo? last = null;
        double firstMs = 0;
        foreach (TopKUpdateInfo update in engine.Execute(query, cancellationToken))
        {
            if (first is null)
            {
                first = update;
                firstMs = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            }

            last = update;
        }

        double finalMs = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        if (last is null || !last.Done)
        {
            throw new InvalidOperationException($"The query on {query.Layer} ended without a final update.");
        }

        return new TimedQuery(first!, last, firstMs, finalMs);
    }

    /// <summary>The resolved group (flat neuron indices).</summary>
    public int[] Group => First.Group ?? throw new InvalidOperationException("The first update carries no group.");

    /// <summary>The final answer as (id, score) pairs in rank order.</summary>
    public IReadOnlyList<(int Id, double Score)> Answer => Last.Hits.Select(h => (h.InputId, h.Score)).ToList();
}
