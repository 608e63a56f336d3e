using DeepEverest.Core.Query.Planning;

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
        var nta = new NtaRun(ctx, cancellationToken);
        yield return nta.Update(double.NegativeInfinity, false, ctx.Message, ctx.Group);
        if (ctx.K == 0)
        {
            yield return nta.Update(double.NaN, true, "", null);
            yield break;
        }

        foreach (TopKUpdateInfo update in nta.WalkMai())
        {
            yield return update;
        }

        nta.OfferRestOfWalkedMai();
        foreach (TopKUpdateInfo update in nta.ScanPartitions())
        {
            yield return update;
        }

        yield return nta.Update(double.NaN, true, "", null);
    }
}
