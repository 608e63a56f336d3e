namespace DeepEverest.Core.Query;

/// <summary>
/// Limits on one shard's part of a routed query, known to the router from the other shards
/// (docs/scale-out.md, "Limits from the router"). Costs are in the engine's scale (a distance, or
/// the negated aggregate of TopKHighest: lower is better) and ids are global. Written by the call
/// that receives them while the query runs on its worker; read by the bounds strategy before
/// each verification batch. Both limits only improve: a worse value than the one held is ignored.
/// </summary>
public sealed class ExternalLimits
{
    private readonly object _gate = new();
    private readonly TaskCompletionSource _received = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile ExternalLimitValues _current = new(double.NaN, long.MaxValue, double.NaN);

    /// <summary>The limits now.</summary>
    public ExternalLimitValues Current => _current;

    /// <summary>
    /// Takes newer limits.
    /// </summary>
    /// <param name="kthCost">Cost of the k-th best exact hit known across the shards (an input some
    /// shard verified), NaN when fewer than k are known.</param>
    /// <param name="kthId">Its global id (ties go to the smaller id).</param>
    /// <param name="answerBound">A lower bound of the whole answer's k-th cost, NaN when unknown.</param>
    public void Improve(double kthCost, long kthId, double answerBound)
    {
        try
        {
            ImproveLocked(kthCost, kthId, answerBound);
        }
        finally
        {
            _received.TrySetResult();
        }
    }

    /// <summary>No limits will come (the router closed its side): nothing waits for them any more.</summary>
    public void Close() => _received.TrySetResult();

    /// <summary>
    /// Waits until limits (even unknown ones) have been received once, at most
    /// <paramref name="timeout"/>: a shard's first batch is sized for the whole answer only when
    /// the router's first limits, sent once every shard has reported its index-only bounds, are in.
    /// </summary>
    /// <param name="timeout">The longest wait.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>Whether limits were received.</returns>
    public bool WaitForFirst(TimeSpan timeout, CancellationToken cancellationToken) => _received.Task.Wait(timeout, cancellationToken);

    private void ImproveLocked(double kthCost, long kthId, double answerBound)
    {
        lock (_gate)
        {
            ExternalLimitValues s = _current;
            bool kthBetter = !double.IsNaN(kthCost) && (double.IsNaN(s.KthCost) || kthCost < s.KthCost || (kthCost == s.KthCost && kthId < s.KthId));
            bool boundBetter = !double.IsNaN(answerBound) && (double.IsNaN(s.AnswerBound) || answerBound > s.AnswerBound);
            if (kthBetter || boundBetter)
            {
                _current = new ExternalLimitValues(kthBetter ? kthCost : s.KthCost, kthBetter ? kthId : s.KthId, boundBetter ? answerBound : s.AnswerBound);
            }
        }
    }
}
