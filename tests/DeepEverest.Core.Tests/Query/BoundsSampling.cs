using DeepEverest.Core.Query;
using DeepEverest.Core.Query.Bounds;

namespace DeepEverest.Core.Tests.Query;

/// <summary>The bounds a bounds query starts from, read through the engine's planner (test hook).</summary>
internal static class BoundsSampling
{
    /// <summary>
    /// Coarse bounds of every input, tight bounds of the considered ones, and whether channel
    /// summaries took part, for <paramref name="query"/> planned with the bounds strategy.
    /// </summary>
    public static IndexBoundsSample SampleBounds(this QueryEngine engine, TopKQuery query, CancellationToken cancellationToken) =>
        engine.WithPlan(query with { Strategy = QueryStrategy.Bounds }, ctx =>
        {
            IndexBounds bounds = IndexBounds.Read(ctx);
            var coarseLower = new double[bounds.Inputs];
            var coarseUpper = new double[bounds.Inputs];
            bounds.Coarse(coarseLower, coarseUpper);
            var tightLower = new double[ctx.Allowed.Length];
            var tightUpper = new double[ctx.Allowed.Length];
            bounds.Tight(ctx.Allowed, tightLower, tightUpper);
            return new IndexBoundsSample(ctx.Group, ctx.Allowed, coarseLower, coarseUpper, tightLower, tightUpper, bounds.UsesSummaries);
        },
        cancellationToken);
}
