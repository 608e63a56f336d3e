namespace DeepEverest.Core.Query;

/// <summary>One result row of an update.</summary>
/// <param name="InputId">Dataset input id.</param>
/// <param name="Score">Exact distance or aggregate, or NaN while unknown.</param>
/// <param name="Lower">Lower end of the interval holding the score.</param>
/// <param name="Upper">Upper end of the interval holding the score.</param>
/// <param name="Final">In the exact answer at this rank; never changes again.</param>
/// <param name="Label">Label of the input, -1 when none.</param>
public sealed record HitInfo(int InputId, double Score, double Lower, double Upper, bool Final, int Label)
{
    /// <summary>
    /// Over a text dataset: the token item in its context, an extract of its window
    /// (<see cref="TextItemInfo.Around"/>, <see cref="TextItemInfo.HitContextChars"/>); null over a
    /// dataset of arrays or images. Set as updates leave the engine (<see cref="QueryEngine.Start"/>).
    /// </summary>
    public TextItemInfo? Text { get; init; }
}

/// <summary>Counters of a query so far.</summary>
/// <remarks>
/// Over a text dataset the inputs are token items: <c>InputsInferred</c> counts the items whose
/// activations were computed, <c>WindowsInferred</c> the windows run for them (the candidates of
/// one window share one run) and <c>TokensInferred</c> those windows' real tokens. Both are 0 over
/// a dataset of arrays or images.
/// </remarks>
public sealed record QueryStatsInfo(
    long InputsTotal,
    long InputsInferred,
    long InputsPruned,
    long CacheHits,
    long ElapsedMs,
    long ExactFromIndex,
    QueryStrategy Strategy,
    int GroupSize,
    long WindowsInferred = 0,
    long TokensInferred = 0);

/// <summary>A progressive update of a top-k query; the last one has <see cref="Done"/> set.</summary>
/// <param name="Hits">Current top-k in rank order: final hits first, then provisional ones.</param>
/// <param name="Threshold">Best score an unverified input could still reach (NaN when none is left).</param>
/// <param name="Done">True on the last update: every hit is final.</param>
/// <param name="Stats">Counters.</param>
/// <param name="Message">A note for the user, or empty.</param>
/// <param name="Group">The resolved group (first update only), else null.</param>
public sealed record TopKUpdateInfo(
    IReadOnlyList<HitInfo> Hits,
    double Threshold,
    bool Done,
    QueryStatsInfo Stats,
    string Message,
    int[]? Group)
{
    /// <summary>Where the query's time went (bounds strategy, final update only), else null.</summary>
    public QueryProfile? Profile { get; init; }

    /// <summary>
    /// On the done update of a query with <see cref="TopKQuery.Limits"/> only: the query stopped
    /// because nothing it had not verified could beat the limits. Its exact hits are exact; the
    /// answer is not its own top k (unverified hits are left out of it).
    /// </summary>
    public bool StoppedByLimits { get; init; }
}
