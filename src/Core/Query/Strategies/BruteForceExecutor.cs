using DeepEverest.Core.Query.Planning;
using DeepEverest.Core.Query.Results;

namespace DeepEverest.Core.Query.Strategies;

/// <summary>
/// The baselines: ReprocessAll (run the model over every considered input) and PreprocessAll
/// (scan the layer's materialized activations). Both compute every exact cost with the same
/// kernel as the other strategies, then select the top k by (cost, id).
/// </summary>
internal static class BruteForceExecutor
{
    /// <summary>Inputs per inference batch of ReprocessAll.</summary>
    private const int InferenceBatch = 256;

    /// <summary>Runs the query by inferring every considered input (no cache: it is the baseline).</summary>
    public static IEnumerable<TopKUpdateInfo> ReprocessAll(QueryContext ctx, CancellationToken cancellationToken)
    {
        int g = ctx.Group.Length;
        int[] allowed = ctx.Allowed;
        var costs = new double[allowed.Length];
        var collector = new TopKCollector(ctx.K);
        var activations = new float[InferenceBatch * g];
        yield return Provisional(ctx, collector, 0);
        var lastUpdate = ctx.Clock.ElapsedMilliseconds;
        for (int start = 0; start < allowed.Length; start += InferenceBatch)
        {
            cancellationToken.ThrowIfCancellationRequested();
            int count = Math.Min(InferenceBatch, allowed.Length - start);
            ReadOnlySpan<int> ids = allowed.AsSpan(start, count);
            ctx.Source.GroupRows(ids, ctx.Group, activations.AsSpan(0, count * g), cancellationToken);
            ctx.Kernels.ExactCosts(ctx.Cost, activations.AsSpan(0, count * g), count, costs.AsSpan(start, count));
            for (int i = 0; i < count; i++)
            {
                collector.Add(costs[start + i], ids[i]);
            }

            // A provisional view about once a second: nothing is final before the last input.
            if (ctx.Clock.ElapsedMilliseconds - lastUpdate > 1000 && start + count < allowed.Length)
            {
                lastUpdate = ctx.Clock.ElapsedMilliseconds;
                yield return Provisional(ctx, collector, start + count);
            }
        }

        yield return Final(ctx, costs);
    }

    /// <summary>Runs the query over materialized activations (no inference).</summary>
    public static IEnumerable<TopKUpdateInfo> Materialized(QueryContext ctx, CancellationToken cancellationToken)
    {
        var materialization = ctx.Store.GetMaterialization(ctx.Query.Model, ctx.Query.Dataset, ctx.Query.Layer)
            ?? throw DeepEverestException.Precondition(
                $"layer '{ctx.Query.Layer}' is not materialized: STRATEGY_MATERIALIZED needs IndexService.MaterializeLayer first.");
        yield return Provisional(ctx, new TopKCollector(ctx.K), 0);
        int g = ctx.Group.Length;
        int n = (int)materialization.Inputs;
        float[] columns = ctx.Store.ReadActivationColumns(materialization, ctx.Group);
        int[] allowed = ctx.Allowed;
        var costs = new double[allowed.Length];
        const int Chunk = 4096;
        var rows = new float[Chunk * g];
        for (int start = 0; start < allowed.Length; start += Chunk)
        {
            cancellationToken.ThrowIfCancellationRequested();
            int count = Math.Min(Chunk, allowed.Length - start);
            for (int i = 0; i < count; i++)
            {
                int id = allowed[start + i];
                for (int j = 0; j < g; j++)
                {
                    rows[i * g + j] = columns[(long)j * n + id];
                }
            }

            ctx.Kernels.ExactCosts(ctx.Cost, rows.AsSpan(0, count * g), count, costs.AsSpan(start, count));
        }

        yield return Final(ctx, costs);
    }

    private static TopKUpdateInfo Provisional(QueryContext ctx, TopKCollector collector, int seen)
    {
        var hits = collector.Sorted().Select(h => ctx.ExactHit(h.Cost, h.Id, final: false)).ToList();
        // Without bounds, an unseen input could still score anything: the threshold is the best
        // possible cost (0 for distances, unbounded for aggregates).
        double threshold = seen < ctx.Allowed.Length ? ctx.ThresholdOf(ctx.Cost.IsDistance ? 0 : double.NegativeInfinity) : double.NaN;
        return new TopKUpdateInfo(hits, threshold, false, ctx.Stats(0, 0), ctx.Message, seen == 0 ? ctx.Group : null);
    }

    private static TopKUpdateInfo Final(QueryContext ctx, double[] costs)
    {
        var positions = new int[ctx.K];
        int found = ctx.Kernels.SelectTopK(costs, ctx.Allowed, ctx.K, positions);
        var hits = new List<HitInfo>(found);
        for (int i = 0; i < found; i++)
        {
            hits.Add(ctx.ExactHit(costs[positions[i]], ctx.Allowed[positions[i]], final: true));
        }

        return new TopKUpdateInfo(hits, double.NaN, true, ctx.Stats(0, 0), "", null);
    }
}
