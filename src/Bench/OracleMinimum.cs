using DeepEverest.Core.Query;
using DeepEverest.Core.Storage;
using DeepEverest.Core.Storage.Records;
using DeepEverest.Kernels;

namespace DeepEverest.Bench;

/// <summary>
/// The fewest inferences any exact algorithm needs to answer a query from a given index, when it
/// learns activations only by running the network.
/// </summary>
/// <remarks>
/// From the index, input i is known to have a cost in [lower_i, upper_i] (its partitions' ranges,
/// or exact values where it is in a neuron's MAI), and any cost in that box is consistent with the
/// index. Let (c, id) be the k-th of the exact answer, ranked by (cost, id). Every input with
/// (lower_i, i) &lt;= (c, id) in that order could still be at rank k or better, so an exact
/// algorithm must learn its cost; it can do so without inference only when lower_i == upper_i.
/// Inputs after (c, id) need never be inferred. So the minimum is the number of considered inputs
/// with (lower_i, i) &lt;= (c, id) and lower_i &lt; upper_i; the answer's own members are among them.
/// The target of a similarity query is not considered (it is excluded from its answer).
/// </remarks>
internal static class OracleMinimum
{
    /// <summary>Counts the oracle minimum of one query.</summary>
    /// <param name="store">The store holding <paramref name="index"/>.</param>
    /// <param name="index">The layer's index.</param>
    /// <param name="kernels">Kernels (the tight bounds the engine verifies by).</param>
    /// <param name="type">Query type.</param>
    /// <param name="target">Target id (excluded for similarity queries).</param>
    /// <param name="group">Resolved group, flat indices.</param>
    /// <param name="targetGroup">The target's activations of the group (similarity queries).</param>
    /// <param name="kth">The k-th hit of the exact answer.</param>
    public static long Count(
        DeepEverestStore store,
        IndexRecord index,
        IKernels kernels,
        QueryType type,
        int target,
        int[] group,
        float[] targetGroup,
        (int Id, double Score) kth)
    {
        bool similar = type == QueryType.Similar;
        var cost = new CostFunction(similar ? ScoreKind.L2 : ScoreKind.Sum, group.Length, similar ? targetGroup : [], []);
        int n = (int)index.Inputs;
        GroupIndexData data = store.ReadGroup(index, group);
        BoundsProblem problem = BoundsProblem.Create(cost, n, (int)index.Partitions, data.Codes, data.PartMin, data.PartMax, data.MaiIds, data.MaiValues);
        var lower = new double[n];
        var upper = new double[n];
        kernels.RefineBounds(problem, Enumerable.Range(0, n).ToArray(), lower, upper);

        // Scores are costs for distances and negated costs for aggregates (negation is exact).
        double kthCost = similar ? kth.Score : -kth.Score;
        long count = 0;
        for (int i = 0; i < n; i++)
        {
            if (similar && i == target)
            {
                continue;
            }

            bool before = lower[i] < kthCost || (lower[i] == kthCost && i <= kth.Id);
            if (before && lower[i] != upper[i])
            {
                count++;
            }
        }

        return count;
    }
}
