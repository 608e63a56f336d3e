using DeepEverest.Core;
using DeepEverest.Core.Query;
using DeepEverest.Core.Query.Bounds;
using DeepEverest.Core.Query.Planning;
using DeepEverest.Core.Query.Results;

namespace DeepEverest.Bench;

/// <summary>
/// The oracle minimum of a bounds query: the fewest inferences any exact algorithm that learns
/// activations only by running the network must make, given this index and the bounds the engine
/// derives from it (docs/benchmarks.md, "Oracle minimum"). From the index, input i has a cost in
/// [lower_i, upper_i]; with (c, id) the k-th of the exact answer ranked by (cost, id), every
/// considered input with (lower_i, i) &lt;= (c, id) and lower_i &lt; upper_i could still be in
/// the answer and must be inferred. The target is inferred (not counted).
/// </summary>
internal static class OracleMinimum
{
    /// <summary>Counts the oracle minimum of <paramref name="query"/> (planned with the bounds strategy).</summary>
    /// <param name="engine">The engine whose planner and index bounds the query uses.</param>
    /// <param name="query">A query on an indexed layer.</param>
    /// <param name="kthCost">The cost (not score) of the k-th hit of its exact answer.</param>
    /// <param name="kthId">The id of that hit.</param>
    /// <param name="cancellationToken">Cancels the target's inference.</param>
    public static long Of(QueryEngine engine, TopKQuery query, double kthCost, int kthId, CancellationToken cancellationToken) =>
        Inputs(engine, query, kthCost, kthId, cancellationToken).Count;

    /// <summary>
    /// The inputs <see cref="Of"/> counts, ascending: over a text dataset, the token items whose
    /// windows any exact algorithm must run (the oracle minimum in windows is their distinct windows).
    /// </summary>
    public static List<int> Inputs(QueryEngine engine, TopKQuery query, double kthCost, int kthId, CancellationToken cancellationToken) =>
        engine.WithPlan(query with { Strategy = QueryStrategy.Bounds }, ctx => Needed(ctx, query.Layer, kthCost, kthId), cancellationToken);

    private static List<int> Needed(QueryContext ctx, string layer, double kthCost, int kthId)
    {
        if (ctx.Strategy != QueryStrategy.Bounds)
        {
            throw DeepEverestException.Precondition($"Layer '{layer}' has no index: the oracle minimum is defined for indexed layers.");
        }

        IndexBounds bounds = IndexBounds.Read(ctx);
        var lower = new double[ctx.Allowed.Length];
        var upper = new double[ctx.Allowed.Length];
        // Refinement only raises lower bounds: inputs already past the k-th cost need none.
        bounds.Tight(ctx.Allowed, lower, upper, kthCost);
        var needed = new List<int>();
        for (int r = 0; r < ctx.Allowed.Length; r++)
        {
            bool before = TopKCollector.Compare((lower[r], ctx.Allowed[r]), (kthCost, kthId)) <= 0;
            if (before && lower[r] != upper[r])
            {
                needed.Add(ctx.Allowed[r]);
            }
        }

        return needed;
    }
}
