using DeepEverest.Core.Query.Results;

namespace DeepEverest.Core.Query.Strategies;

/// <summary>
/// Sizes the verification batches of <see cref="BoundsExecutor"/>. Candidates are verified in
/// ascending (lower bound, id) order; this decides how many of the next ones one batch takes.
/// </summary>
/// <remarks>
/// <para><b>Fixed</b> (<see cref="TopKQuery.FixedBatches"/>): always the maximum batch, as the
/// engine did before adaptive batches (and as the paper's prototype does).</para>
/// <para><b>Adaptive</b> (the default): the batch is the largest of
/// <list type="bullet">
/// <item><i>needed</i>: the next candidates whose lower bound is below L*, the k-th smallest value
/// among the exact costs known so far (the collector's) and the lower bounds of the unverified
/// candidates. Every answer member's exact cost is at least a distinct one of those values, so the
/// k-th answer cost c* is at least L*, and a candidate with lower bound &lt; L* &lt;= c* is one that
/// every exact algorithm using this index must infer (the oracle minimum counts it): taking it
/// early never costs an extra inference;</item>
/// <item><i>speculative</i>: 1 for the first batch, doubling after each batch, but never above the
/// layer's efficient batch (<see cref="BatchCostModel.EfficientBatch"/>), where a batch's fixed
/// overhead falls to a tenth of its time. So a query whose answer needs 5 inferences makes about 5
/// (1 + 2 + 4 at most 7, fewer when the needed set is known), an expensive model verifies one
/// input at a time beyond the needed set (each inference is worth more than any overhead), and a
/// cheap model reaches batches of about 50 within six batches;</item>
/// </list>
/// and never more than the maximum batch (the request's <c>batch_size</c>, else the service's) nor
/// than the candidates that could still enter the top k: once k exact costs are known, a candidate
/// whose (lower bound, id) is not below the k-th of them can never enter, since the k-th only improves.
/// The overshoot over the oracle minimum is therefore at most the speculative part of the last
/// batch.</para>
/// <para><b>Limits from a router</b> (<see cref="ExternalLimits"/>, a shard's part of a routed
/// query): L* becomes the smaller of the shard's own and the router's bound of the whole answer's
/// k-th cost (both are at most that cost, so a candidate below it is still one every exact plan
/// infers), and a candidate that does not order before the router's k-th exact (cost, id) is not
/// enterable, exactly as one not before the shard's own k-th.</para>
/// </remarks>
internal sealed class VerificationBatches
{
    private readonly int _maximum;
    private readonly bool _fixed;
    private readonly BatchCostModel? _costs;
    private int _speculative = 1;

    /// <summary>Creates the sizing of one query.</summary>
    /// <param name="maximum">The largest batch (at least 1).</param>
    /// <param name="fixedBatches">True for fixed batches of <paramref name="maximum"/>.</param>
    /// <param name="costs">The layer's measured batch costs, or null (no speculative cap).</param>
    public VerificationBatches(int maximum, bool fixedBatches, BatchCostModel? costs)
    {
        _maximum = Math.Max(1, maximum);
        _fixed = fixedBatches;
        _costs = costs;
    }

    /// <summary>
    /// The size of the next batch: at least 1 and at most the candidates left.
    /// </summary>
    /// <param name="collector">The exact costs known so far (best k).</param>
    /// <param name="lower">Lower bounds of the unverified candidates, in verification order from the next one.</param>
    /// <param name="ids">Their ids, in the same order.</param>
    /// <param name="k">k of the query.</param>
    /// <param name="external">The router's limits now, or null.</param>
    /// <param name="idOffset">Global id of local position 0 (the limits' ids are global).</param>
    public int Next(TopKCollector collector, IReadOnlyList<double> lower, IReadOnlyList<int> ids, int k, ExternalLimitValues? external = null, long idOffset = 0)
    {
        int left = lower.Count;
        if (_fixed || left <= 1)
        {
            return Math.Min(_maximum, left);
        }

        // Candidates that can still enter: (lower, id) before the current k-th exact result.
        int enterable = left;
        if (collector.IsFull || !double.IsNaN(external?.KthCost ?? double.NaN))
        {
            enterable = 0;
            int scan = Math.Min(left, _maximum);
            while (enterable < scan
                && (!collector.IsFull || TopKCollector.Compare((lower[enterable], ids[enterable]), collector.Worst) < 0)
                && external?.Excludes(lower[enterable], ids[enterable] + idOffset) != true)
            {
                enterable++;
            }
        }

        int needed = Needed(collector, lower, k, external?.AnswerBound ?? double.NaN);
        int size = Math.Max(1, Math.Max(needed, _speculative));
        size = Math.Min(size, Math.Min(_maximum, Math.Max(1, enterable)));
        return size;
    }

    /// <summary>Records that a batch of the size <see cref="Next"/> gave ran: the speculative part doubles (up to the cap).</summary>
    public void Completed()
    {
        int cap = _costs?.EfficientBatch(_maximum) ?? _maximum;
        _speculative = Math.Min(Math.Max(1, cap), _speculative * 2);
    }

    /// <summary>
    /// Candidates (a prefix of <paramref name="lower"/>) whose lower bound is below L*, the smaller
    /// of the shard's own and <paramref name="externalBound"/> (NaN: none).
    /// </summary>
    private static int Needed(TopKCollector collector, IReadOnlyList<double> lower, int k, double externalBound)
    {
        double kth = OwnBound(collector, lower, k);
        if (!double.IsNaN(externalBound) && !(kth <= externalBound))
        {
            kth = externalBound;
        }

        if (double.IsNaN(kth))
        {
            return lower.Count;
        }

        int needed = 0;
        while (needed < lower.Count && lower[needed] < kth)
        {
            needed++;
        }

        return needed;
    }

    /// <summary>The k-th smallest of the known exact costs and the lower bounds; NaN when there are fewer than k.</summary>
    private static double OwnBound(TopKCollector collector, IReadOnlyList<double> lower, int k)
    {
        (double Cost, int Id)[] known = collector.Sorted();
        if (known.Length + lower.Count < k)
        {
            return double.NaN;
        }

        // The k-th smallest of the merged sorted sequences.
        int a = 0;
        int b = 0;
        double kth = double.NaN;
        for (int taken = 0; taken < k; taken++)
        {
            if (b >= lower.Count || (a < known.Length && known[a].Cost <= lower[b]))
            {
                kth = known[a++].Cost;
            }
            else
            {
                kth = lower[b++];
            }
        }

        return kth;
    }
}
