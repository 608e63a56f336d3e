using DeepEverest.Contracts.V1;
using DeepEverest.Kernels;
using Google.Protobuf.Collections;

namespace DeepEverest.Router.Merge;

/// <summary>
/// Merges the progressive streams of one query's shards into one stream with the contract of a
/// single store (docs/scale-out.md, "The router"). All of the merge's rules live here:
/// <list type="bullet">
/// <item>Scores become costs (distance as is, aggregate negated) so that every order is
/// <see cref="TopKOrder"/>'s: cost ascending, then global id.</item>
/// <item>Hits: the top k of the union of the shards' latest exact hits, then, while fewer than k
/// are exact, the live shards' unverified hits by their optimistic bound (as a store lists them).</item>
/// <item>A hit is final when every hit before it is final, it is final in its shard (or its shard
/// has stopped), and no other live shard can still send an input ahead of it: that shard's
/// threshold is a strictly worse cost, or an equal cost where every id of the shard is larger
/// (ties go to the smaller id). A shard that has sent nothing yet can send anything.</item>
/// <item>Pushdown: once k exact hits are known, a live shard whose threshold is worse than the
/// k-th (same tie rule) cannot send anything that enters the answer: it is stopped
/// (<see cref="Prunable"/>); its exact hits stay, its unverified hits go.</item>
/// <item>Limits (<see cref="Limits"/>) that the router sends every live shard: the k-th exact hit of
/// the union, and a bound that no answer member beats (docs/scale-out.md, "Limits from the
/// router"). A shard that stops on them (<c>stopped_by_limits</c>) is stopped as above.</item>
/// <item>The threshold is the best of the live shards' thresholds; done when no shard is live.</item>
/// <item>Partial answers (QueryOptions.allow_partial): a failed shard (<see cref="Fail"/>) leaves
/// the merge like a stopped one but with nothing kept, and from then on no hit is final and no
/// update is done; stats.shards_missing names it.</item>
/// </list>
/// Not thread-safe: one query's loop drives it.
/// </summary>
internal sealed class ShardMerge
{
    private readonly bool _highest;
    private readonly int _k;
    private readonly long[] _starts;
    private readonly ShardState[] _shards;
    private readonly List<string> _messages = [];
    private readonly List<string> _missing = [];
    private RepeatedField<long>? _group;

    /// <summary>A merge of <paramref name="starts"/>.Length shards.</summary>
    /// <param name="highest">TopKHighest (higher aggregates first) rather than TopKSimilar.</param>
    /// <param name="k">The request's k.</param>
    /// <param name="starts">Each shard's first global id (for the tie rule).</param>
    public ShardMerge(bool highest, int k, IReadOnlyList<long> starts)
    {
        _highest = highest;
        _k = k;
        _starts = [.. starts];
        _shards = [.. starts.Select(_ => new ShardState())];
    }

    /// <summary>Whether no shard is live: every one is done, stopped, left out or missing. The stream ends.</summary>
    public bool Finished => _shards.All(s => s.Phase != Phase.Live);

    /// <summary>Whether the answer is exact and complete: <see cref="Finished"/> and no shard missing.</summary>
    public bool Done => Finished && _missing.Count == 0;

    /// <summary>Shards whose part of the answer is complete (missing ones are not).</summary>
    public int ShardsDone => _shards.Count(s => s.Phase is Phase.Done or Phase.Stopped);

    /// <summary>Whether every live shard has sent an update.</summary>
    public bool AllReported => _shards.All(s => s.Phase != Phase.Live || s.Last is not null);

    /// <summary>Leaves shard <paramref name="shard"/> out (the filter keeps none of its inputs): it counts as done.</summary>
    public void LeaveOut(int shard) => _shards[shard].Phase = Phase.Done;

    /// <summary>Takes shard <paramref name="shard"/>'s latest update.</summary>
    public void Apply(int shard, TopKUpdate update)
    {
        ShardState state = _shards[shard];
        if (state.Phase != Phase.Live)
        {
            return;
        }

        state.Last = update;
        state.Exact = [.. update.Hits.Where(h => !double.IsNaN(h.Score)).Select(h => new Entry(shard, Cost(h.Score), h))];
        state.Unverified = [.. update.Hits.Where(h => double.IsNaN(h.Score)).Select(h => new Entry(shard, _highest ? -h.UpperBound : h.LowerBound, h))];
        state.ThresholdCost = double.IsNaN(update.Threshold) ? double.NaN : Cost(update.Threshold);
        state.Phase = update.Done ? Phase.Done : Phase.Live;
        if (update.StoppedByLimits)
        {
            Stop(shard);
        }

        _group ??= update.Group.Count > 0 ? update.Group : null;
        if (update.Message.Length > 0 && !_messages.Contains(update.Message))
        {
            _messages.Add(update.Message);
        }
    }

    /// <summary>
    /// Live shards that nothing not yet sent can enter the answer from: the k-th exact cost of the
    /// union is better than their threshold. The caller cancels their streams and calls <see cref="Stop"/>.
    /// </summary>
    public IEnumerable<int> Prunable()
    {
        List<Entry> exact = [.. _shards.SelectMany(s => s.Exact).Order(EntryOrder.Instance)];
        if (exact.Count < _k)
        {
            yield break;
        }

        Entry kth = exact[_k - 1];
        for (int s = 0; s < _shards.Length; s++)
        {
            if (_shards[s].Phase == Phase.Live && _shards[s].Last is not null && CannotPrecede(s, kth.Cost, kth.Hit.InputId))
            {
                yield return s;
            }
        }
    }

    /// <summary>
    /// What the router knows of the answer, for the live shards (scores, as in the requests): the
    /// k-th exact hit of the union (NaN before k are known) and the answer bound, the k-th smallest
    /// cost of a multiset in which every answer member has a distinct element at most its cost
    /// (NaN while a live shard has sent nothing). A shard's answer members are among its best k
    /// exact hits (which it lists) and its unverified candidates, which it lists in (bound, id)
    /// order until k hits, every other having a bound no better than the last listed one or than
    /// its threshold: so each shard contributes its exact costs, its listed bounds and k copies of
    /// the worst of those bounds and its threshold; a done or stopped shard only its exact costs.
    /// </summary>
    public ShardLimits Limits()
    {
        var limits = new ShardLimits { KthScore = double.NaN, AnswerBound = double.NaN };
        List<Entry> exact = [.. _shards.SelectMany(s => s.Exact).Order(EntryOrder.Instance)];
        if (exact.Count >= _k && _k > 0)
        {
            limits.KthScore = Cost(exact[_k - 1].Cost);
            limits.KthInputId = exact[_k - 1].Hit.InputId;
        }

        if (_k == 0 || !AllReported)
        {
            return limits;
        }

        var values = new List<double>(exact.Select(e => e.Cost));
        foreach (ShardState s in _shards.Where(s => s.Phase == Phase.Live && !double.IsNaN(s.ThresholdCost)))
        {
            double rest = s.Unverified.Select(e => e.Cost).Append(s.ThresholdCost).Max();
            values.AddRange(s.Unverified.Select(e => e.Cost));
            values.AddRange(Enumerable.Repeat(rest, _k));
        }

        if (values.Count >= _k)
        {
            values.Sort();
            limits.AnswerBound = Cost(values[_k - 1]);
        }

        return limits;
    }

    /// <summary>
    /// Takes shard <paramref name="shard"/> out of a partial answer after it failed: everything it
    /// sent is dropped (its exact hits are only exact with the rest of its range), and the answer is
    /// no longer exact. Returns false when no shard that was asked is left to answer.
    /// </summary>
    /// <param name="shard">The failed shard.</param>
    /// <param name="reason">Its name and failure, as stats.shards_missing lists it.</param>
    public bool Fail(int shard, string reason)
    {
        _shards[shard].Phase = Phase.Missing;
        _shards[shard].Last = null;
        _shards[shard].Exact = [];
        _shards[shard].Unverified = [];
        _missing.Add(reason);
        return _shards.Any(s => s.Phase is Phase.Live or Phase.Stopped || (s.Phase == Phase.Done && s.Last is not null));
    }

    /// <summary>Stops shard <paramref name="shard"/>: its exact hits stand as sent, its unverified ones are dropped.</summary>
    public void Stop(int shard)
    {
        _shards[shard].Phase = Phase.Stopped;
        _shards[shard].Unverified = [];
    }

    /// <summary>The merged update now.</summary>
    /// <param name="elapsedMs">The router's time since the query started.</param>
    /// <param name="first">Whether this is the first update sent (it carries the group and the messages).</param>
    public TopKUpdate Current(long elapsedMs, bool first)
    {
        bool done = Done;
        bool partial = _missing.Count > 0;
        List<Entry> ranked = [.. _shards.SelectMany(s => s.Exact).Order(EntryOrder.Instance).Take(_k)];
        if (ranked.Count < _k)
        {
            ranked.AddRange(_shards.SelectMany(s => s.Unverified).Order(EntryOrder.Instance).Take(_k - ranked.Count));
        }

        var update = new TopKUpdate { Done = done, Threshold = Threshold(), Stats = Stats(elapsedMs) };
        bool previousFinal = true;
        foreach (Entry entry in ranked)
        {
            bool final = !partial && previousFinal && !double.IsNaN(entry.Hit.Score) && (done || (FinalInShard(entry) && _shards.Select((_, s) => s).All(
                s => s == entry.Shard || _shards[s].Phase != Phase.Live || (_shards[s].Last is not null && CannotPrecede(s, entry.Cost, entry.Hit.InputId)))));
            Hit hit = entry.Hit.Clone();
            hit.Final = final;
            update.Hits.Add(hit);
            previousFinal = final;
        }

        if (first && _group is not null)
        {
            update.Group.AddRange(_group);
        }

        if (first || Finished)
        {
            update.Message = string.Join(" ", _messages);
        }

        return update;
    }

    private double Cost(double score) => _highest ? -score : score;

    private bool FinalInShard(Entry entry) => _shards[entry.Shard].Phase != Phase.Live || entry.Hit.Final;

    /// <summary>
    /// Whether nothing shard <paramref name="shard"/> has not sent can order before (cost, id): its
    /// threshold is NaN (nothing unverified) or a worse cost, or the same cost with only larger ids.
    /// </summary>
    private bool CannotPrecede(int shard, double cost, long id)
    {
        double threshold = _shards[shard].ThresholdCost;
        return double.IsNaN(threshold) || threshold > cost || (threshold == cost && id < _starts[shard]);
    }

    /// <summary>The best (lowest-cost) threshold of the live shards, as a score; NaN when none is left.</summary>
    private double Threshold()
    {
        double best = double.NaN;
        foreach (ShardState s in _shards)
        {
            if (s.Phase == Phase.Live)
            {
                // A shard that has sent nothing could still send anything.
                double cost = s.Last is null ? (_highest ? double.NegativeInfinity : 0) : s.ThresholdCost;
                if (!double.IsNaN(cost) && (double.IsNaN(best) || cost < best))
                {
                    best = cost;
                }
            }
        }

        return double.IsNaN(best) ? best : Cost(best);
    }

    private QueryStats Stats(long elapsedMs)
    {
        var stats = new QueryStats { ElapsedMs = elapsedMs, ShardsTotal = _shards.Length, ShardsDone = ShardsDone };
        stats.ShardsMissing.AddRange(_missing);
        foreach (QueryStats s in _shards.Select(s => s.Last?.Stats).OfType<QueryStats>())
        {
            stats.InputsTotal += s.InputsTotal;
            stats.InputsInferred += s.InputsInferred;
            stats.InputsPruned += s.InputsPruned;
            stats.CacheHits += s.CacheHits;
            stats.InputsExactFromIndex += s.InputsExactFromIndex;
            stats.WindowsInferred += s.WindowsInferred;
            stats.TokensInferred += s.TokensInferred;
            stats.GroupSize = Math.Max(stats.GroupSize, s.GroupSize);
            stats.Strategy = stats.Strategy == Strategy.Unspecified ? s.Strategy : stats.Strategy;
        }

        return stats;
    }

    private enum Phase
    {
        Live,
        Done,
        Stopped,

        /// <summary>Failed, in a partial answer: nothing of it is kept.</summary>
        Missing,
    }

    private sealed class ShardState
    {
        public Phase Phase { get; set; }

        public TopKUpdate? Last { get; set; }

        public Entry[] Exact { get; set; } = [];

        public Entry[] Unverified { get; set; } = [];

        public double ThresholdCost { get; set; } = double.NaN;
    }

    /// <summary>A shard's hit with its cost (exact, or the optimistic bound of an unverified hit).</summary>
    private sealed record Entry(int Shard, double Cost, Hit Hit);

    private sealed class EntryOrder : IComparer<Entry>
    {
        public static readonly EntryOrder Instance = new();

        public int Compare(Entry? x, Entry? y) => TopKOrder.Compare(x!.Cost, checked((int)x.Hit.InputId), y!.Cost, checked((int)y.Hit.InputId));
    }
}
