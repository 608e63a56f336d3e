namespace DeepEverest.Core.Query;

/// <summary>One consistent reading of the limits.</summary>
/// <param name="KthCost">The k-th best exact cost known across the shards, NaN when none.</param>
/// <param name="KthId">Its global id.</param>
/// <param name="AnswerBound">A lower bound of the whole answer's k-th cost, NaN when unknown.</param>
public sealed record ExternalLimitValues(double KthCost, long KthId, double AnswerBound)
{
    /// <summary>Whether a candidate with lower bound <paramref name="lower"/> and global id
    /// <paramref name="id"/> can no longer enter the answer: it does not order before the k-th.</summary>
    public bool Excludes(double lower, long id) =>
        !double.IsNaN(KthCost) && !(lower < KthCost || (lower == KthCost && id < KthId));
}
