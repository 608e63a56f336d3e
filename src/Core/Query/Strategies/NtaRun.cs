using DeepEverest.Core.Query.Planning;
using DeepEverest.Core.Query.Results;
using DeepEverest.Core.Storage;
using DeepEverest.Kernels;

namespace DeepEverest.Core.Query.Strategies;

/// <summary>
/// The state of one NTA query (<see cref="NtaExecutor"/>) and its phases: the MAI walk
/// (<see cref="WalkMai"/>), the transition (<see cref="OfferRestOfWalkedMai"/>) and the partition
/// scan (<see cref="ScanPartitions"/>). Every input met is offered once; offered inputs are
/// verified in batches, each batch followed by the stopping check. Not thread-safe.
/// </summary>
internal sealed partial class NtaRun
{
    private readonly QueryContext _ctx;
    private readonly CancellationToken _cancellationToken;
    private readonly int _g;
    private readonly int _n;
    private readonly int _partitions;
    private readonly CostFunction _cost;
    private readonly bool _similar;
    private readonly GroupIndexData _data;
    private readonly bool[] _allowed;
    private readonly bool[] _seen;
    private readonly TopKCollector _collector;
    private readonly List<int> _batch;
    private readonly float[] _activations;
    private readonly double[] _costs;
    private readonly int _stride;
    private readonly byte[][] _codes;
    private readonly byte[][] _unpackedCodes;

    // Phase 1: per neuron, whether it walks its MAI and the next positions either way.
    private readonly bool[] _walking;
    private readonly int[] _left;   // next MAI position towards higher values (similar only)
    private readonly int[] _right;  // next MAI position towards lower values

    // Phase 2: explored partitions form a range [lo, hi] of codes (code 0 = the MAI, higher codes
    // = lower activations).
    private readonly int[] _lo;
    private readonly int[] _hi;

    private double _lastThreshold = double.NegativeInfinity;
    private bool _stop;

    public NtaRun(QueryContext ctx, CancellationToken cancellationToken)
    {
        _ctx = ctx;
        _cancellationToken = cancellationToken;
        _g = ctx.Group.Length;
        _n = (int)ctx.Index!.Inputs;
        _partitions = (int)ctx.Index.Partitions;
        _cost = ctx.Cost;
        _similar = _cost.IsDistance;
        _data = ctx.Store.ReadGroup(ctx.Index, ctx.Group);
        _allowed = new bool[_n];
        foreach (int id in ctx.Allowed)
        {
            _allowed[id] = true;
        }

        _seen = new bool[_n];
        _collector = new TopKCollector(ctx.K);
        _batch = new List<int>(ctx.BatchSize);
        _activations = new float[ctx.BatchSize * _g];
        _costs = new double[ctx.BatchSize];
        _stride = CodeLayout.StrideBytes(_n, (int)ctx.Index.Bits);
        _codes = new byte[_g][];
        _unpackedCodes = new byte[_g][];
        _walking = new bool[_g];
        _left = new int[_g];
        _right = new int[_g];
        _lo = new int[_g];
        _hi = new int[_g];
    }

    /// <summary>
    /// Phase 1: walks each neuron's MAI (values descending) outward from the target's position
    /// (similar, target in that MAI) or from the top (highest), one entry per neuron per round.
    /// </summary>
    public IEnumerable<TopKUpdateInfo> WalkMai()
    {
        for (int j = 0; j < _g; j++)
        {
            int[] ids = _data.MaiIds[j];
            if (_similar)
            {
                int at = _ctx.TargetId is { } tid ? Array.IndexOf(ids, (int)tid) : -1;
                _walking[j] = at >= 0;
                _left[j] = at - 1;
                _right[j] = at + 1;
                if (at >= 0)
                {
                    Offer((int)_ctx.TargetId!.Value);
                }
            }
            else
            {
                _walking[j] = ids.Length > 0;
                _left[j] = -1;
                _right[j] = 0;
            }
        }

        while (!_stop && Enumerable.Range(0, _g).Any(j => _walking[j] && (_left[j] >= 0 || _right[j] < _data.MaiIds[j].Length)))
        {
            bool exhausted = false;
            for (int j = 0; j < _g; j++)
            {
                if (!_walking[j])
                {
                    continue;
                }

                float[] values = _data.MaiValues[j];
                bool hasLeft = _left[j] >= 0;
                bool hasRight = _right[j] < values.Length;
                if (!hasLeft && !hasRight)
                {
                    continue;
                }

                bool takeLeft = hasLeft && (!hasRight || _cost.Term(j, values[_left[j]]) <= _cost.Term(j, values[_right[j]]));
                Offer(_data.MaiIds[j][takeLeft ? _left[j]-- : _right[j]++]);
                exhausted |= _left[j] < 0 && _right[j] >= values.Length;
            }

            if ((_batch.Count >= _ctx.BatchSize || exhausted) && Flush(Phase1Threshold()) is { } update)
            {
                yield return update;
            }

            if (exhausted)
            {
                break;
            }
        }
    }

    /// <summary>Transition: offers the rest of the walked MAIs (verified with phase 2's first batch).</summary>
    public void OfferRestOfWalkedMai()
    {
        for (int j = 0; j < _g && !_stop; j++)
        {
            if (_walking[j])
            {
                foreach (int id in _data.MaiIds[j])
                {
                    Offer(id);
                }
            }
        }
    }

    /// <summary>
    /// Phase 2: whole partitions, nearest first: each neuron starts at its own partition (the MAI
    /// for neurons that walked it) and each round extends its range by the nearer neighbour.
    /// </summary>
    public IEnumerable<TopKUpdateInfo> ScanPartitions()
    {
        for (int j = 0; j < _g && !_stop; j++)
        {
            _codes[j] = _data.Codes.AsSpan(j * _stride, _stride).ToArray();
            int start = _walking[j] ? 0 : StartPartition(j);
            _lo[j] = start;
            _hi[j] = start;
            VisitPartition(j, start);
        }

        if (!_stop && Flush(Phase2Threshold()) is { } first)
        {
            yield return first;
        }

        while (!_stop)
        {
            bool any = false;
            for (int j = 0; j < _g; j++)
            {
                int above = NonEmptyBefore(j, _lo[j]);
                int below = NonEmptyAfter(j, _hi[j]);
                if (above < 0 && below < 0)
                {
                    continue;
                }

                bool takeAbove = above >= 0 && (below < 0 || _cost.Term(j, _data.PartMin[j * _partitions + above]) <= _cost.Term(j, _data.PartMax[j * _partitions + below]));
                int p = takeAbove ? above : below;
                if (takeAbove)
                {
                    _lo[j] = p;
                }
                else
                {
                    _hi[j] = p;
                }

                VisitPartition(j, p);
                any = true;
            }

            if (Flush(any ? Phase2Threshold() : double.PositiveInfinity) is { } update)
            {
                yield return update;
            }

            if (!any)
            {
                break;
            }
        }
    }

    /// <summary>An update of the collector's state: final hits are those below the threshold cost.</summary>
    public TopKUpdateInfo Update(double thresholdCost, bool done, string message, int[]? group)
    {
        var hits = new List<HitInfo>(_collector.Count);
        foreach ((double c, int id) in _collector.Sorted())
        {
            bool final = done || (c < thresholdCost && (hits.Count == 0 || hits[^1].Final));
            hits.Add(_ctx.ExactHit(c, id, final));
        }

        double threshold = done || double.IsNegativeInfinity(thresholdCost) ? (done ? double.NaN : _ctx.ThresholdOf(_ctx.Cost.IsDistance ? 0 : double.NegativeInfinity)) : _ctx.ThresholdOf(thresholdCost);
        long pruned = done ? _ctx.Allowed.Length - _ctx.Source.Inferred - _ctx.Source.CacheHits : 0;
        return new TopKUpdateInfo(hits, threshold, done, _ctx.Stats(0, pruned), message, group);
    }

    private void Offer(int id)
    {
        if (!_seen[id] && _allowed[id])
        {
            _seen[id] = true;
            _batch.Add(id);
        }
    }

    private void VisitPartition(int j, int p)
    {
        if (p == 0)
        {
            foreach (int id in _data.MaiIds[j])
            {
                Offer(id);
            }

            return;
        }

        if (_unpackedCodes[j] is not { } unpacked)
        {
            unpacked = _unpackedCodes[j] = new byte[_n];
            _ctx.Kernels.UnpackCodes(_codes[j], (int)_ctx.Index!.Bits, 0, _n, unpacked);
        }

        for (int id = 0; id < _n; id++)
        {
            if (unpacked[id] == p)
            {
                Offer(id);
            }
        }
    }

    /// <summary>
    /// Verifies the offered inputs, raises the threshold to <paramref name="threshold"/> and
    /// decides whether to stop: the update to send, or null once stopped.
    /// </summary>
    private TopKUpdateInfo? Flush(double threshold)
    {
        for (int s = 0; s < _batch.Count; s += _ctx.BatchSize)
        {
            _cancellationToken.ThrowIfCancellationRequested();
            int count = Math.Min(_ctx.BatchSize, _batch.Count - s);
            int[] ids = _batch.GetRange(s, count).ToArray();
            _ctx.Source.GroupRows(ids, _ctx.Group, _activations.AsSpan(0, count * _g), _cancellationToken);
            _ctx.Kernels.ExactCosts(_cost, _activations.AsSpan(0, count * _g), count, _costs.AsSpan(0, count));
            for (int i = 0; i < count; i++)
            {
                _collector.Add(_costs[i], ids[i]);
            }
        }

        _batch.Clear();
        _lastThreshold = Math.Max(_lastThreshold, threshold);
        _stop = _collector.IsFull && _collector.Worst.Cost < _lastThreshold;
        return _stop ? null : Update(_lastThreshold, false, "", null);
    }
}
