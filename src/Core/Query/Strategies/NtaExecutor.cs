using DeepEverest.Core.Query.Planning;
using DeepEverest.Core.Query.Results;
using DeepEverest.Core.Storage;
using DeepEverest.Kernels;

namespace DeepEverest.Core.Query.Strategies;

/// <summary>
/// The paper's Neural Threshold Algorithm (NTA) on our index, for comparison with
/// <see cref="BoundsExecutor"/>. Per neuron it reads inputs in order of closeness to the target's
/// activation (for "highest": from the top), first one MAI entry per neuron per round (phase 1),
/// then whole partitions (phase 2), verifying every input it meets. The threshold combines each
/// neuron's nearest unread activation; it stops when the k-th exact cost is below it.
/// Unlike the paper's rule (k-th &lt;= threshold) it requires a strict inequality, because an
/// unread input tied with the k-th cost could have a smaller id.
/// </summary>
internal static class NtaExecutor
{
    /// <summary>Runs the query, yielding progressive updates; the last has Done set.</summary>
    public static IEnumerable<TopKUpdateInfo> Run(QueryContext ctx, CancellationToken cancellationToken)
    {
        float[] targetGroupActivations = ctx.TargetGroup;
        long? targetId = ctx.TargetId;
        int k = ctx.K;
        int g = ctx.Group.Length;
        int n = (int)ctx.Index!.Inputs;
        int partitions = (int)ctx.Index.Partitions;
        CostFunction cost = ctx.Cost;
        bool similar = cost.IsDistance;
        GroupIndexData data = ctx.Store.ReadGroup(ctx.Index, ctx.Group);
        var allowed = new bool[n];
        foreach (int id in ctx.Allowed)
        {
            allowed[id] = true;
        }

        var seen = new bool[n];
        var collector = new TopKCollector(k);
        var batch = new List<int>(ctx.BatchSize);
        var activations = new float[ctx.BatchSize * g];
        var costs = new double[ctx.BatchSize];
        double lastThreshold = double.NegativeInfinity;
        var stride = CodeLayout.StrideBytes(n, (int)ctx.Index.Bits);
        var codes = new byte[g][];
        var unpackedCodes = new byte[g][];

        yield return Update(ctx, collector, double.NegativeInfinity, false, ctx.Message, ctx.Group);
        if (k == 0)
        {
            yield return Update(ctx, collector, double.NaN, true, "", null);
            yield break;
        }

        // Phase 1: walk each neuron's MAI (values descending) outward from the target's position
        // (similar, target in that MAI) or from the top (highest).
        var walking = new bool[g];
        var left = new int[g];   // next MAI position towards higher values (similar only)
        var right = new int[g];  // next MAI position towards lower values
        for (int j = 0; j < g; j++)
        {
            int[] ids = data.MaiIds[j];
            if (similar)
            {
                int at = targetId is { } tid ? Array.IndexOf(ids, (int)tid) : -1;
                walking[j] = at >= 0;
                left[j] = at - 1;
                right[j] = at + 1;
                if (at >= 0)
                {
                    Offer((int)targetId!.Value);
                }
            }
            else
            {
                walking[j] = ids.Length > 0;
                left[j] = -1;
                right[j] = 0;
            }
        }

        bool stop = false;
        while (!stop && Enumerable.Range(0, g).Any(j => walking[j] && (left[j] >= 0 || right[j] < data.MaiIds[j].Length)))
        {
            bool exhausted = false;
            for (int j = 0; j < g; j++)
            {
                if (!walking[j])
                {
                    continue;
                }

                float[] values = data.MaiValues[j];
                bool hasLeft = left[j] >= 0;
                bool hasRight = right[j] < values.Length;
                if (!hasLeft && !hasRight)
                {
                    continue;
                }

                bool takeLeft = hasLeft && (!hasRight || cost.Term(j, values[left[j]]) <= cost.Term(j, values[right[j]]));
                Offer(data.MaiIds[j][takeLeft ? left[j]-- : right[j]++]);
                exhausted |= left[j] < 0 && right[j] >= values.Length;
            }

            if (batch.Count >= ctx.BatchSize || exhausted)
            {
                foreach (var update in FlushAndCheck(Phase1Threshold()))
                {
                    yield return update;
                }
            }

            if (exhausted)
            {
                break;
            }
        }

        // Transition: the rest of the walked MAIs.
        for (int j = 0; j < g && !stop; j++)
        {
            if (walking[j])
            {
                foreach (int id in data.MaiIds[j])
                {
                    Offer(id);
                }
            }
        }

        // Phase 2: whole partitions, nearest first. Explored partitions form a range [lo, hi] of
        // codes (code 0 = the MAI, higher codes = lower activations).
        var lo = new int[g];
        var hi = new int[g];
        for (int j = 0; j < g && !stop; j++)
        {
            codes[j] = data.Codes.AsSpan(j * stride, stride).ToArray();
            int start = walking[j] ? 0 : StartPartition(j);
            lo[j] = start;
            hi[j] = start;
            VisitPartition(j, start);
        }

        if (!stop)
        {
            foreach (var update in FlushAndCheck(Phase2Threshold()))
            {
                yield return update;
            }
        }

        while (!stop)
        {
            bool any = false;
            for (int j = 0; j < g; j++)
            {
                int above = NonEmptyBefore(j, lo[j]);
                int below = NonEmptyAfter(j, hi[j]);
                if (above < 0 && below < 0)
                {
                    continue;
                }

                bool takeAbove = above >= 0 && (below < 0 || cost.Term(j, data.PartMin[j * partitions + above]) <= cost.Term(j, data.PartMax[j * partitions + below]));
                int p = takeAbove ? above : below;
                if (takeAbove)
                {
                    lo[j] = p;
                }
                else
                {
                    hi[j] = p;
                }

                VisitPartition(j, p);
                any = true;
            }

            foreach (var update in FlushAndCheck(any ? Phase2Threshold() : double.PositiveInfinity))
            {
                yield return update;
            }

            if (!any)
            {
                break;
            }
        }

        yield return Update(ctx, collector, double.NaN, true, "", null);

        void Offer(int id)
        {
            if (!seen[id] && allowed[id])
            {
                seen[id] = true;
                batch.Add(id);
            }
        }

        void VisitPartition(int j, int p)
        {
            if (p == 0)
            {
                foreach (int id in data.MaiIds[j])
                {
                    Offer(id);
                }

                return;
            }

            if (unpackedCodes[j] is not { } unpacked)
            {
                unpacked = unpackedCodes[j] = new byte[n];
                ctx.Kernels.UnpackCodes(codes[j], (int)ctx.Index.Bits, 0, n, unpacked);
            }

            for (int id = 0; id < n; id++)
            {
                if (unpacked[id] == p)
                {
                    Offer(id);
                }
            }
        }

        IEnumerable<TopKUpdateInfo> FlushAndCheck(double threshold)
        {
            for (int s = 0; s < batch.Count; s += ctx.BatchSize)
            {
                cancellationToken.ThrowIfCancellationRequested();
                int count = Math.Min(ctx.BatchSize, batch.Count - s);
                int[] ids = batch.GetRange(s, count).ToArray();
                ctx.Source.GroupRows(ids, ctx.Group, activations.AsSpan(0, count * g), cancellationToken);
                ctx.Kernels.ExactCosts(cost, activations.AsSpan(0, count * g), count, costs.AsSpan(0, count));
                for (int i = 0; i < count; i++)
                {
                    collector.Add(costs[i], ids[i]);
                }
            }

            batch.Clear();
            lastThreshold = Math.Max(lastThreshold, threshold);
            stop = collector.IsFull && collector.Worst.Cost < lastThreshold;
            if (!stop)
            {
                yield return Update(ctx, collector, lastThreshold, false, "", null);
            }
        }

        // Nearest unread activation per neuron during phase 1: the walk's next MAI value; neurons
        // that do not walk contribute their best possible term (the target's own value, or for
        // "highest" their largest value).
        double Phase1Threshold()
        {
            double acc = 0;
            for (int j = 0; j < g; j++)
            {
                double term;
                float[] values = data.MaiValues[j];
                if (walking[j])
                {
                    double l = left[j] >= 0 ? cost.Term(j, values[left[j]]) : double.PositiveInfinity;
                    double r = right[j] < values.Length ? cost.Term(j, values[right[j]]) : RightOfMai(j);
                    term = Math.Min(l, r);
                }
                else
                {
                    term = similar ? cost.Term(j, targetGroupActivations[j]) : cost.IntervalTerm(j, LowestValue(j), HighestValue(j)).Lower;
                }

                acc = cost.Combine(acc, term);
            }

            return cost.Finish(acc);
        }

        double Phase2Threshold()
        {
            double acc = 0;
            for (int j = 0; j < g; j++)
            {
                int above = NonEmptyBefore(j, lo[j]);
                int below = NonEmptyAfter(j, hi[j]);
                if (above < 0 && below < 0)
                {
                    return double.PositiveInfinity; // every input has been read
                }

                double term = similar
                    ? Math.Min(
                        above >= 0 ? cost.Term(j, data.PartMin[j * partitions + above]) : double.PositiveInfinity,
                        below >= 0 ? cost.Term(j, data.PartMax[j * partitions + below]) : double.PositiveInfinity)
                    : cost.IntervalTerm(j, LowestValue(j), data.PartMax[j * partitions + (below >= 0 ? below : above)]).Lower;
                acc = cost.Combine(acc, term);
            }

            return cost.Finish(acc);
        }

        double RightOfMai(int j)
        {
            int p = NonEmptyAfter(j, 0);
            return p < 0 ? double.PositiveInfinity
                : similar ? cost.Term(j, data.PartMax[j * partitions + p])
                : cost.IntervalTerm(j, LowestValue(j), data.PartMax[j * partitions + p]).Lower;
        }

        float HighestValue(int j) => data.MaiValues[j].Length > 0 ? data.MaiValues[j][0] : data.PartMax[j * partitions + Math.Max(0, NonEmptyAfter(j, 0))];

        float LowestValue(int j)
        {
            for (int p = partitions - 1; p >= 0; p--)
            {
                float min = data.PartMin[j * partitions + p];
                if (min <= data.PartMax[j * partitions + p])
                {
                    return min;
                }
            }

            return 0;
        }

        int NonEmptyBefore(int j, int p)
        {
            for (int q = p - 1; q >= 0; q--)
            {
                if (data.PartMin[j * partitions + q] <= data.PartMax[j * partitions + q])
                {
                    return q;
                }
            }

            return -1;
        }

        int NonEmptyAfter(int j, int p)
        {
            for (int q = p + 1; q < partitions; q++)
            {
                if (data.PartMin[j * partitions + q] <= data.PartMax[j * partitions + q])
                {
                    return q;
                }
            }

            return -1;
        }

        // The partition the target falls in (or the nearest one), for neurons that do not walk.
        int StartPartition(int j)
        {
            if (!similar)
            {
                return Math.Max(0, data.MaiIds[j].Length > 0 ? 0 : NonEmptyAfter(j, 0));
            }

            if (targetId is { } tid)
            {
                var one = new byte[1];
                ctx.Kernels.UnpackCodes(codes[j], (int)ctx.Index.Bits, (int)tid, 1, one);
                return one[0];
            }

            float t = targetGroupActivations[j];
            int best = 0;
            double bestTerm = double.PositiveInfinity;
            for (int p = 0; p < partitions; p++)
            {
                float pMin = data.PartMin[j * partitions + p];
                float pMax = data.PartMax[j * partitions + p];
                if (pMin > pMax)
                {
                    continue;
                }

                double term = cost.IntervalTerm(j, pMin, pMax).Lower;
                if (term < bestTerm)
                {
                    (best, bestTerm) = (p, term);
                }
            }

            return best;
        }
    }

    private static TopKUpdateInfo Update(QueryContext ctx, TopKCollector collector, double thresholdCost, bool done, string message, int[]? group)
    {
        var hits = new List<HitInfo>(collector.Count);
        foreach ((double c, int id) in collector.Sorted())
        {
            bool final = done || (c < thresholdCost && (hits.Count == 0 || hits[^1].Final));
            hits.Add(ctx.ExactHit(c, id, final));
        }

        double threshold = done || double.IsNegativeInfinity(thresholdCost) ? (done ? double.NaN : ctx.ThresholdOf(ctx.Cost.IsDistance ? 0 : double.NegativeInfinity)) : ctx.ThresholdOf(thresholdCost);
        long pruned = done ? ctx.Allowed.Length - ctx.Source.Inferred - ctx.Source.CacheHits : 0;
        return new TopKUpdateInfo(hits, threshold, done, ctx.Stats(0, pruned), message, group);
    }
}
