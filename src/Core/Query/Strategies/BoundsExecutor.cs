using DeepEverest.Core.Query.Bounds;
using DeepEverest.Core.Query.Planning;
using DeepEverest.Core.Query.Results;
using DeepEverest.Kernels;

namespace DeepEverest.Core.Query.Strategies;

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
/// running the model truncated at the layer (or reading the shared activation cache). Batches
/// start small and grow, and take at once every candidate the answer certainly needs
/// (<see cref="VerificationBatches"/>), so a query infers close to the oracle minimum.</item>
/// <item>Stop as soon as the k-th best exact (cost, id) is below the next unverified (lower bound,
/// id): nothing unverified can beat it. Every exact hit below that frontier is final.</item>
/// </list>
/// A shard's part of a routed query may carry limits from the router (<see cref="TopKQuery.Limits"/>):
/// they size the batches (<see cref="VerificationBatches"/>) and stop the query as soon as the next
/// unverified (lower bound, id) does not order before the router's k-th exact (cost, id); that done
/// update says so (<see cref="TopKUpdateInfo.StoppedByLimits"/>) and lists only exact hits.
/// Exact costs and tight bounds share one arithmetic (see <see cref="CostFunction"/>), so
/// lower &lt;= exact &lt;= upper holds bit for bit, coarse bounds contain tight ones (see
/// <see cref="BoundsProblem"/>), and the answer equals brute force, ties by id.
/// </summary>
internal static class BoundsExecutor
{
    /// <summary>The longest a shard waits for the router's first limits before its first batch.</summary>
    private static readonly TimeSpan _firstLimitsWait = TimeSpan.FromSeconds(2);

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
        IndexBounds bounds = IndexBounds.Read(ctx);
        long boundsStarted = QueryProfile.Start();
        double boundsBefore = ctx.Profile.BoundsMs;
        int n = bounds.Inputs;
        var lower = new double[n];
        var upper = new double[n];
        bounds.Coarse(lower, upper);
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
        // The costliest refinement (l2 over summary segments) waits until a candidate is about to be
        // verified (step 4): most candidates are never reached.
        bounds.Tight(coarseIds, tightLower, tightUpper, double.NegativeInfinity);
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
        var sortedIds = new int[order.Length];
        var sortedLower = new double[order.Length];
        var sortedUpper = new double[order.Length];
        for (int i = 0; i < order.Length; i++)
        {
            sortedIds[i] = pendingIds[order[i]];
            sortedLower[i] = pendingLower[order[i]];
            sortedUpper[i] = pendingUpper[order[i]];
        }

        var pending = new Pending(sortedIds, sortedLower, sortedUpper, new bool[sortedIds.Length]);
        // Coarse and Tight time themselves; the rest of this phase (selection, ordering) is added here.
        ctx.Profile.BoundsMs = boundsBefore + QueryProfile.Elapsed(boundsStarted);
        int next = 0;
        ExternalLimits? limits = ctx.Query.Limits;
        long idOffset = limits is null ? 0 : InputIdSpace.Of(ctx.Probe.Dataset).Start;
        bool OwnFinished() => next >= pending.Count || (collector.IsFull && TopKCollector.Compare(collector.Worst, pending.At(next)) < 0);
        bool Limited() => limits is not null && next < pending.Count && limits.Current.Excludes(pending.Lower[next], pending.Ids[next] + idOffset);
        bool Finished() => OwnFinished() || Limited();

        TopKUpdateInfo last = Update(ctx, collector, pending, next, exactFromIndex, pruned, Finished(), ctx.Message, ctx.Group, !OwnFinished());
        yield return last.Done ? last with { Profile = ctx.Profile } : last;

        // 4. Verify in batches until nothing unverified can enter the top k (sizes: VerificationBatches).
        var batches = new VerificationBatches(ctx.BatchSize, ctx.Query.FixedBatches, ctx.BatchCosts);
        if (limits is not null && !Finished())
        {
            // The router's first limits bound the whole answer; without them the first batch would
            // take every candidate below this shard's own (much weaker) L*.
            limits.WaitForFirst(_firstLimitsWait, cancellationToken);
            cancellationToken.ThrowIfCancellationRequested();
        }

        var activations = new float[ctx.BatchSize * g];
        var costs = new double[ctx.BatchSize];
        var ids = new int[ctx.BatchSize];
        while (!Finished())
        {
            cancellationToken.ThrowIfCancellationRequested();
            int count = batches.Next(
                collector, new ArraySegment<double>(sortedLower, next, pending.Count - next), new ArraySegment<int>(sortedIds, next, pending.Count - next), k, limits?.Current, idOffset);
            if (bounds.CanRefine && pending.Refine(bounds, next, count))
            {
                // Some lower bounds rose: the order, and maybe the end, changed. Look again.
                continue;
            }

            batches.Completed();
            Array.Copy(sortedIds, next, ids, 0, count);
            long inferredBefore = ctx.Source.Inferred;
            double readAndInference = ctx.Profile.InputReadMs + ctx.Profile.InferenceMs;
            long started = QueryProfile.Start();
            ctx.Source.GroupRows(ids.AsSpan(0, count), ctx.Group, activations.AsSpan(0, count * g), cancellationToken);
            ctx.Kernels.ExactCosts(ctx.Cost, activations.AsSpan(0, count * g), count, costs.AsSpan(0, count));
            bool changed = false;
            for (int i = 0; i < count; i++)
            {
                changed |= collector.Add(costs[i], ids[i]);
            }

            double batchMs = QueryProfile.Elapsed(started);
            ctx.BatchCosts?.Record((int)(ctx.Source.Inferred - inferredBefore), batchMs);
            ctx.Profile.VerifyOtherMs += batchMs - (ctx.Profile.InputReadMs + ctx.Profile.InferenceMs - readAndInference);
            ctx.Profile.Batches++;

            next += count;
            bool done = Finished();
            double threshold = next < pending.Count ? ctx.ThresholdOf(sortedLower[next]) : double.NaN;
            if (changed || done || !threshold.Equals(last.Threshold))
            {
                last = Update(ctx, collector, pending, next, exactFromIndex, pruned, done, "", null, done && !OwnFinished());
                yield return done ? last with { Profile = ctx.Profile } : last;
            }
        }

        if (!last.Done)
        {
            // A refinement or the router's limits, not a batch, finished the query.
            last = Update(ctx, collector, pending, next, exactFromIndex, pruned, done: true, "", null, !OwnFinished());
            yield return last with { Profile = ctx.Profile };
        }
    }

    private static TopKUpdateInfo Update(
        QueryContext ctx,
        TopKCollector collector,
        Pending pending,
        int next,
        long exactFromIndex,
        long prunedBeforeVerification,
        bool done,
        string message,
        int[]? group,
        bool limited)
    {
        // Stopped by the router's limits: only the exact hits are this shard's part of the answer.
        limited &= done;
        (double Cost, int Id) frontier = pending.At(next);
        var hits = new List<HitInfo>(ctx.K);
        foreach ((double cost, int id) in collector.Sorted())
        {
            // Final: nothing unverified can come before it (and earlier ranks are final too).
            bool final = done || TopKCollector.Compare((cost, id), frontier) < 0;
            hits.Add(ctx.ExactHit(cost, id, final && (hits.Count == 0 || hits[^1].Final)));
        }

        for (int i = next; !limited && hits.Count < ctx.K && i < pending.Count; i++)
        {
            hits.Add(ctx.BoundedHit(pending.Lower[i], pending.Upper[i], pending.Ids[i]));
        }

        double threshold = done || next >= pending.Count ? double.NaN : ctx.ThresholdOf(frontier.Cost);
        long pruned = done ? ctx.Allowed.Length - ctx.Source.Inferred - ctx.Source.CacheHits - exactFromIndex : prunedBeforeVerification;
        return new TopKUpdateInfo(hits, threshold, done, ctx.Stats(exactFromIndex, pruned), message, group) { StoppedByLimits = limited };
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

    /// <summary>
    /// The unverified candidates in verification order, and which lower bounds were refined
    /// (<see cref="IndexBounds.RefineLower"/>).
    /// </summary>
    private sealed record Pending(int[] Ids, double[] Lower, double[] Upper, bool[] Refined)
    {
        public int Count => Ids.Length;

        /// <summary>(lower bound, id) of candidate i, or (+inf, max) past the end.</summary>
        public (double Cost, int Id) At(int i) => i < Ids.Length ? (Lower[i], Ids[i]) : (double.PositiveInfinity, int.MaxValue);

        /// <summary>
        /// Refines the unrefined candidates among [from, from + count); when a lower bound rose,
        /// re-sorts the candidates from <paramref name="from"/> on and returns true.
        /// </summary>
        public bool Refine(IndexBounds bounds, int from, int count)
        {
            var positions = new List<int>();
            for (int i = from; i < from + count; i++)
            {
                if (!Refined[i])
                {
                    positions.Add(i);
                }
            }

            if (positions.Count == 0)
            {
                return false;
            }

            int[] ids = positions.Select(i => Ids[i]).ToArray();
            double[] lower = positions.Select(i => Lower[i]).ToArray();
            bounds.RefineLower(ids, lower);
            bool rose = false;
            for (int q = 0; q < positions.Count; q++)
            {
                int i = positions[q];
                Refined[i] = true;
                if (lower[q] > Lower[i])
                {
                    Lower[i] = lower[q];
                    rose = true;
                }
            }

            if (rose)
            {
                int length = Count - from;
                var keys = new (double, int)[length];
                var order = new int[length];
                for (int i = 0; i < length; i++)
                {
                    keys[i] = (Lower[from + i], Ids[from + i]);
                    order[i] = from + i;
                }

                Array.Sort(keys, order, Comparer<(double Cost, int Id)>.Create(TopKCollector.Compare));
                int[] ids2 = order.Select(i => Ids[i]).ToArray();
                double[] lower2 = order.Select(i => Lower[i]).ToArray();
                double[] upper2 = order.Select(i => Upper[i]).ToArray();
                bool[] refined2 = order.Select(i => Refined[i]).ToArray();
                ids2.CopyTo(Ids, from);
                lower2.CopyTo(Lower, from);
                upper2.CopyTo(Upper, from);
                refined2.CopyTo(Refined, from);
            }

            return rose;
        }
    }
}
