using DeepEverest.Core.Indexing;
using DeepEverest.Core.Query.Planning;
using DeepEverest.Core.Storage;
using DeepEverest.Kernels;

namespace DeepEverest.Core.Query.Bounds;

/// <summary>
/// Cost bounds of large groups from the index's channel summaries (docs/large-groups.md has the
/// design and the proof). The group is split into the summary segments it covers whole (each with
/// one weight) and a residual R of other neurons. A segment's part of the cost is bounded from the
/// stored sum and sum of squares of its activations (and the target's, for distances): exactly for
/// sum, mean and l2 norm; by the reverse triangle inequality on norms and by the sums (Cauchy-Schwarz)
/// for distances. R is bounded per neuron, as usual. The parts are added (max for linf) in interval
/// arithmetic rounded outward, widened by the rounding error of the kernels' double sum over the
/// group, and finished like a cost; the result is intersected with the per-neuron bounds of the
/// whole group.
/// </summary>
internal sealed partial class SummaryBounds
{
    private const double U = 1.0 / (1L << 53);

    private readonly CostFunction _cost;
    private readonly int _n;
    private readonly Segment[] _segments;
    private readonly SummaryRows _rows;
    private readonly Residual? _residual;
    private readonly bool _sameSign;
    private readonly double _residualMagnitude;
    private readonly double _eta;
    private readonly SegmentBoxes _boxes;

    private SummaryBounds(CostFunction cost, int n, Segment[] segments, SummaryRows rows, Residual? residual, bool sameSign, double residualMagnitude, SegmentBoxes boxes)
    {
        _boxes = boxes;
        _cost = cost;
        _n = n;
        _segments = segments;
        _rows = rows;
        _residual = residual;
        _sameSign = sameSign;
        _residualMagnitude = residualMagnitude;
        // Relative error of the kernels' double sum over g terms, each a few roundings off its real
        // value: (g + 8) 2^-52 covers gamma(g - 1) and the terms' 4u, for any g below 2^40.
        _eta = (cost.GroupSize + 8) * 2 * U;
    }

    /// <summary>Segments the group covers whole.</summary>
    public int SegmentCount => _segments.Length;

    /// <summary>
    /// The summary bounds of the query, or null when they do not apply: the index has no
    /// summaries, or the group covers no segment whole (with one weight).
    /// </summary>
    public static SummaryBounds? TryRead(QueryContext ctx, GroupIndexData data)
    {
        if (ctx.Index is null || SummaryLayout.FromRecord(ctx.Index) is not { } layout)
        {
            return null;
        }

        CostFunction cost = ctx.Cost;
        int[] group = ctx.Group;
        int g = group.Length;
        if (g < 2)
        {
            return null;
        }

        // Which segments the group covers: count its neurons per segment.
        var counts = new Dictionary<int, int>();
        long layerNeurons = (long)layout.Channels * layout.ChannelSize;
        foreach (int j in group)
        {
            if (j >= layerNeurons)
            {
                return null;
            }

            int segment = SegmentOf(layout, j);
            counts[segment] = counts.GetValueOrDefault(segment) + 1;
        }

        var covered = new HashSet<int>();
        foreach ((int segment, int count) in counts)
        {
            if (count == layout.Range(segment).Count)
            {
                covered.Add(segment);
            }
        }

        if (covered.Count == 0)
        {
            return null;
        }

        // Group positions of each covered segment's neurons; drop segments with unequal weights.
        var positions = new Dictionary<int, List<int>>();
        for (int p = 0; p < g; p++)
        {
            int segment = SegmentOf(layout, group[p]);
            if (covered.Contains(segment))
            {
                if (!positions.TryGetValue(segment, out var list))
                {
                    positions[segment] = list = [];
                }

                list.Add(p);
            }
        }

        if (!cost.Weights.IsEmpty)
        {
            foreach ((int segment, List<int> list) in positions)
            {
                float w = cost.Weights[list[0]];
                if (list.Any(p => cost.Weights[p] != w))
                {
                    covered.Remove(segment);
                }
            }
        }

        int[] segmentIds = [.. covered.Order()];
        if (segmentIds.Length == 0)
        {
            return null;
        }

        int n = (int)ctx.Index.Inputs;
        int partitions = (int)ctx.Index.Partitions;
        (float[] min, float[] max) = NeuronRanges(data, g, partitions);
        long started = QueryProfile.Start();
        SummaryRows rows = ctx.Store.ReadSummaries(ctx.Index, segmentIds);
        ctx.Profile.IndexReadMs += QueryProfile.Elapsed(started);

        // Segments whose stored values are not all finite (overflowing sums) stay in the residual.
        var usable = new List<int>();
        for (int s = 0; s < segmentIds.Length; s++)
        {
            if (double.IsFinite(rows.SumRadius[s]) && double.IsFinite(rows.SquareRadius[s])
                && ActivationChecks.FirstNonFinite(rows.Sums[s]) < 0 && ActivationChecks.FirstNonFinite(rows.Squares[s]) < 0)
            {
                usable.Add(s);
            }
        }

        if (usable.Count == 0)
        {
            return null;
        }

        var segments = new Segment[usable.Count];
        var inSegment = new bool[g];
        bool sameSign = cost.IsDistance || cost.Kind == ScoreKind.L2Norm;
        bool allNonNegative = true;
        bool allNonPositive = true;
        for (int j = 0; j < g; j++)
        {
            allNonNegative &= min[j] >= 0;
            allNonPositive &= max[j] <= 0;
        }

        sameSign |= allNonNegative || allNonPositive;
        var usedRows = new SummaryRows(new double[usable.Count], new double[usable.Count], new float[usable.Count][], new float[usable.Count][]);
        for (int u = 0; u < usable.Count; u++)
        {
            int s = usable[u];
            usedRows.SumRadius[u] = rows.SumRadius[s];
            usedRows.SquareRadius[u] = rows.SquareRadius[s];
            usedRows.Sums[u] = rows.Sums[s];
            usedRows.Squares[u] = rows.Squares[s];
            List<int> list = positions[segmentIds[s]];
            bool nonNegative = true;
            foreach (int p in list)
            {
                inSegment[p] = true;
                nonNegative &= min[p] >= 0;
            }

            double weight = cost.Weights.IsEmpty ? 1 : cost.Weights[list[0]];
            segments[u] = cost.IsDistance
                ? Segment.ForTarget(list.Count, weight, nonNegative, list.Select(p => cost.Target[p]).ToArray())
                : Segment.ForAggregate(list.Count);
        }

        // The residual: every other neuron, bounded per neuron by a sub-problem of the index rows.
        var rest = new List<int>();
        for (int p = 0; p < g; p++)
        {
            if (!inSegment[p])
            {
                rest.Add(p);
            }
        }

        Residual? residual = rest.Count == 0 ? null : Residual.Create(cost, data, rest, n, partitions, ctx.Kernels);
        double residualMagnitude = 0;
        foreach (int p in rest)
        {
            residualMagnitude = Up(residualMagnitude + Math.Max(Math.Abs((double)min[p]), Math.Abs((double)max[p])));
        }

        int[][] segmentPositions = usable.Select(u => positions[segmentIds[u]].ToArray()).ToArray();
        var boxes = new SegmentBoxes(data, segmentPositions, n, partitions);
        return new SummaryBounds(cost, n, segments, usedRows, residual, sameSign, residualMagnitude, boxes);
    }

    /// <summary>Intersects the coarse bounds of every input with the summary bounds.</summary>
    public void Coarse(Span<double> lower, Span<double> upper)
    {
        double[]? residualLower = null;
        double[]? residualUpper = null;
        if (_residual is not null)
        {
            residualLower = new double[_n];
            residualUpper = new double[_n];
            _residual.Coarse(residualLower, residualUpper);
        }

        for (int i = 0; i < _n; i++)
        {
            Intersect(i, residualLower?[i] ?? 0, residualUpper?[i] ?? 0, null, ref lower[i], ref upper[i]);
        }
    }

    /// <summary>
    /// Intersects the tight bounds of the given inputs with the summary bounds. For l2, inputs
    /// whose lower bound is still at most <paramref name="limit"/> also get the segments' dual
    /// bounds (<see cref="SegmentDual"/>: their partitions and summaries together), which cost
    /// O(segment size) each.
    /// </summary>
    public void Tight(ReadOnlySpan<int> inputs, Span<double> lower, Span<double> upper, double limit)
    {
        double[]? residualLower = null;
        double[]? residualUpper = null;
        if (_residual is not null)
        {
            residualLower = new double[inputs.Length];
            residualUpper = new double[inputs.Length];
            _residual.Tight(inputs, residualLower, residualUpper);
        }

        for (int r = 0; r < inputs.Length; r++)
        {
            Intersect(inputs[r], residualLower?[r] ?? 0, residualUpper?[r] ?? 0, null, ref lower[r], ref upper[r]);
        }

        if (!CanRefine)
        {
            return;
        }

        var refine = new List<int>();
        for (int r = 0; r < inputs.Length; r++)
        {
            if (lower[r] <= limit && lower[r] < upper[r])
            {
                refine.Add(r);
            }
        }

        var chosen = new int[refine.Count];
        for (int q = 0; q < chosen.Length; q++)
        {
            chosen[q] = inputs[refine[q]];
        }

        var refined = new double[chosen.Length];
        Array.Fill(refined, double.NegativeInfinity);
        RefineLower(chosen, refined);
        for (int q = 0; q < refine.Count; q++)
        {
            lower[refine[q]] = TightenLower(lower[refine[q]], refined[q]);
        }
    }

    /// <summary>Whether <see cref="RefineLower"/> can raise lower bounds (l2 costs).</summary>
    public bool CanRefine => _cost.Kind == ScoreKind.L2;

    /// <summary>
    /// Raises the lower bounds of the given inputs with the segments' dual bounds
    /// (<see cref="SegmentDual"/>: partitions and summaries together); O(segment sizes) per input,
    /// in parallel for large amounts of work.
    /// </summary>
    public void RefineLower(ReadOnlySpan<int> inputs, Span<double> lower)
    {
        if (!CanRefine || inputs.IsEmpty)
        {
            return;
        }

        int[] ids = inputs.ToArray();
        double[]? residualLower = null;
        double[]? residualUpper = null;
        if (_residual is not null)
        {
            residualLower = new double[ids.Length];
            residualUpper = new double[ids.Length];
            _residual.Tight(ids, residualLower, residualUpper);
        }

        long work = (long)ids.Length * _segments.Sum(seg => seg.Count);
        var options = new ParallelOptions { MaxDegreeOfParallelism = work >= 200_000 ? Environment.ProcessorCount : 1 };
        var refined = new double[ids.Length];
        Parallel.For(0, ids.Length, options, () => new double[_segments.Length], (r, _, segmentLower) =>
        {
            for (int s = 0; s < _segments.Length; s++)
            {
                segmentLower[s] = DualLower(s, ids[r]);
            }

            double ignoredUpper = double.PositiveInfinity;
            double dual = double.NegativeInfinity;
            Intersect(ids[r], residualLower?[r] ?? 0, residualUpper?[r] ?? 0, segmentLower, ref dual, ref ignoredUpper);
            refined[r] = dual;
            return segmentLower;
        }, _ => { });
        for (int r = 0; r < ids.Length; r++)
        {
            lower[r] = TightenLower(lower[r], refined[r]);
        }
    }

    /// <summary>The larger of a lower bound and a candidate, ignoring a NaN candidate.</summary>
    internal static double TightenLower(double lower, double candidate) => candidate > lower ? candidate : lower;

    /// <summary>The smaller of an upper bound and a candidate, ignoring a NaN candidate.</summary>
    internal static double TightenUpper(double upper, double candidate) => candidate < upper ? candidate : upper;
}
