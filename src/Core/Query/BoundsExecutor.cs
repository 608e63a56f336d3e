using DeepEverest.Core.Storage;
using DeepEverest.Kernels;

namespace DeepEverest.Core.Query;

/// <summary>
/// The default query algorithm: exact top-k from per-input bounds ("bin-based bounds").
/// <list type="number">
/// <item>Read the group's index rows (codes, partition min/max, MAI) and compute, for every
/// considered input, a lower and an upper bound of its cost: each neuron contributes the interval of
/// its partition, or its exact value when the input is in that neuron's MAI. This runs twice:
/// coarse (integer-sum) bounds of every input first, then tight (double) bounds of the inputs the coarse
/// ones cannot prune.</item>
/// <item>Let U be the k-th smallest upper bound. An input whose lower bound exceeds U can never be
/// in the answer: it is pruned without inference. An input whose bounds coincide is known exactly
/// from the index alone (ReLU zeros in single-valued partitions, MAI members).</item>
/// <item>Verify the other candidates in ascending (lower bound, id) order, a batch at a time, by
/// running the model truncated at the layer (or reading the shared activation cache).</item>
/// <item>Stop as soon as the k-th best exact (cost, id) is below the next unverified (lower bound,
/// id): nothing unverified can beat it. Every exact hit below that frontier is final.</item>
/// </list>
/// Exact costs and tight bounds share one arithmetic (see <see cref="CostFunction"/>), so
/// lower &lt;= exact &lt;= upper holds bit for bit, coarse bounds contain tight ones (see
/// <see cref="BoundsProblem"/>), and the answer equals brute force, ties by id.
/// </summary>
public static class BoundsExecutor
{
    /// <summary>Runs the query, yielding the progressive updates; the last has Done set.</summary>
    public static IEnumerable<TopKUpdateInfo> Run(QueryContext ctx, CancellationToken cancellationToken)
    {
        int k = ctx.K;
        int g = ctx.Group.Length;
        int[] allowed = ctx.Allowed;
        if (k == 0)
        {
            yield return new TopKUpdateInfo([], double.NaN, true, ctx.Stats(0, 0), ctx.Message, ctx.Group);
            yield break;
        }

        // 1. Coarse bounds of every input from the index alone (exact sums of integer terms
        //    rounded outward: the fast filter).
        int n = (int)ctx.Index!.Inputs;
        GroupIndexData data = ctx.Store.ReadGroup(ctx.Index, ctx.Group);
        BoundsProblem problem = BoundsProblem.Create(ctx.Cost, n, (int)ctx.Index.Partitions, data.Codes, data.PartMin, data.PartMax, data.MaiIds, data.MaiValues);
        var lower = new double[n];
        var upper = new double[n];
        ctx.Kernels.GroupBounds(problem, lower, upper);
        double[] allowedLower = Gather(lower, allowed);
        double[] allowedUpper = Gather(upper, allowed);

        // 2. Prune by the k-th smallest coarse upper bound, tighten the survivors' bounds (double,
        //    exact where every term is), and prune again by the k-th smallest tight upper bound.
        //    The k inputs with the smallest tight upper bounds all survive the first cut (coarse
        //    lower <= tight upper), so the candidates are exactly those tight bounds of every input
        //    would leave.
        var best = new int[k];
        ctx.Kernels.SelectTopK(allowedUpper, allowed, k, best);
        double coarseLimit = allowedUpper[best[k - 1]];
        var coarsePositions = new int[allowed.Length];
        int coarseCount = ctx.Kernels.SelectAtMost(allowedLower, coarseLimit, coarsePositions);
        var coarseIds = new int[coarseCount];
        for (int c = 0; c < coarseCount; c++)
        {
            coarseIds[c] = allowed[coarsePositions[c]];
        }

        var tightLower = new double[coarseCount];
        var tightUpper = new double[coarseCount];
        ctx.Kernels.RefineBounds(problem, coarseIds, tightLower, tightUpper);
        ctx.Kernels.SelectTopK(tightUpper, coarseIds, k, best);
        double limit = tightUpper[best[k - 1]];
        var candidatePositions = new int[coarseCount];
        int candidateCount = ctx.Kernels.SelectAtMost(tightLower, limit, candidatePositions);
        long pruned = allowed.Length - candidateCount;

        var collector = new TopKCollector(k);
        var pendingIds = new List<int>(candidateCount);
        var pendingLower = new List<double>(candidateCount);
        var pendingUpper = new List<double>(candidateCount);
        long exactFromIndex = 0;
        for (int c = 0; c < candidateCount; c++)
        {
            int p = candidatePositions[c];
            if (tightLower[p] == tightUpper[p])
            {
                collector.Add(tightLower[p], coarseIds[p]);
                exactFromIndex++;
            }
            else
            {
                pendingIds.Add(coarseIds[p]);
                pendingLower.Add(tightLower[p]);
                pendingUpper.Add(tightUpper[p]);
            }
        }

        // 3. Verification order: (lower bound, id) ascending.
        int[] order = SortByLowerThenId(pendingLower, pendingIds);
        int next = 0;
        (double Cost, int Id) Frontier() => next < order.Length ? (pendingLower[order[next]], pendingIds[order[next]]) : (double.PositiveInfinity, int.MaxValue);
        bool Finished() => next >= order.Length || (collector.IsFull && TopKCollector.Compare(collector.Worst, Frontier()) < 0);

        TopKUpdateInfo last = Update(ctx, collector, order, next, pendingIds, pendingLower, pendingUpper, exactFromIndex, pruned, Finished(), ctx.Message, ctx.Group);
        yield return last;

        // 4. Verify in batches until nothing unverified can enter the top k.
        var activations = new float[ctx.BatchSize * g];
        var costs = new double[ctx.BatchSize];
        while (!Finished())
        {
            cancellationToken.ThrowIfCancellationRequested();
            int count = Math.Min(ctx.BatchSize, order.Length - next);
            var ids = new int[count];
            for (int i = 0; i < count; i++)
            {
                ids[i] = pendingIds[order[next + i]];
            }

            ctx.Source.GroupRows(ids, ctx.Group, activations.AsSpan(0, count * g), cancellationToken);
            ctx.Kernels.ExactCosts(ctx.Cost, activations.AsSpan(0, count * g), count, costs.AsSpan(0, count));
            bool changed = false;
            for (int i = 0; i < count; i++)
            {
                changed |= collector.Add(costs[i], ids[i]);
            }

            next += count;
            bool done = Finished();
            double threshold = next < order.Length ? ctx.ThresholdOf(pendingLower[order[next]]) : double.NaN;
            if (changed || done || !threshold.Equals(last.Threshold))
            {
                last = Update(ctx, collector, order, next, pendingIds, pendingLower, pendingUpper, exactFromIndex, pruned, done, "", null);
                yield return last;
            }
        }
    }

    private static TopKUpdateInfo Update(
        QueryContext ctx,
        TopKCollector collector,
        int[] order,
        int next,
        List<int> pendingIds,
        List<double> pendingLower,
        List<double> pendingUpper,
        long exactFromIndex,
        long prunedBeforeVerification,
        bool done,
        string message,
        int[]? group)
    {
        (double Cost, int Id) frontier = next < order.Length ? (pendingLower[order[next]], pendingIds[order[next]]) : (double.PositiveInfinity, int.MaxValue);
        var hits = new List<HitInfo>(ctx.K);
        foreach ((double cost, int id) in collector.Sorted())
        {
            // Final: nothing unverified can come before it (and earlier ranks are final too).
            bool final = done || TopKCollector.Compare((cost, id), frontier) < 0;
            hits.Add(ctx.ExactHit(cost, id, final && (hits.Count == 0 || hits[^1].Final)));
        }

        for (int i = next; hits.Count < ctx.K && i < order.Length; i++)
        {
            int o = order[i];
            hits.Add(ctx.BoundedHit(pendingLower[o], pendingUpper[o], pendingIds[o]));
        }

        double threshold = done || next >= order.Length ? double.NaN : ctx.ThresholdOf(frontier.Cost);
        long pruned = done ? ctx.Allowed.Length - ctx.Source.Inferred - ctx.Source.CacheHits - exactFromIndex : prunedBeforeVerification;
        return new TopKUpdateInfo(hits, threshold, done, ctx.Stats(exactFromIndex, pruned), message, group);
    }

    private static double[] Gather(double[] values, int[] ids)
    {
        var result = new double[ids.Length];
        for (int i = 0; i < ids.Length; i++)
        {
            result[i] = values[ids[i]];
        }

        return result;
    }

    private static int[] SortByLowerThenId(List<double> lower, List<int> ids)
    {
        var order = new int[ids.Count];
        for (int i = 0; i < order.Length; i++)
        {
            order[i] = i;
        }

        Array.Sort(order, (a, b) => TopKCollector.Compare((lower[a], ids[a]), (lower[b], ids[b])));
        return order;
    }
}
