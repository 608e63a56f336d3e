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
internal sealed class SummaryBounds
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

    /// <summary>The dual lower bound of segment s's part of an l2 cost (real, weighted) for input i.</summary>
    private double DualLower(int s, int i)
    {
        Segment seg = _segments[s];
        int m = seg.Count;
        Span<float> lo = m <= 1024 ? stackalloc float[m] : new float[m];
        Span<float> hi = m <= 1024 ? stackalloc float[m] : new float[m];
        Span<float> t = m <= 1024 ? stackalloc float[m] : new float[m];
        _boxes.Fill(s, i, lo, hi);
        _boxes.Target(s, _cost, t);
        double sumRadius = _rows.SumRadius[s];
        double sumLower = Down(_rows.Sums[s][i] - sumRadius);
        double sumUpper = Up(_rows.Sums[s][i] + sumRadius);
        double squareLower = Math.Max(0, Down(_rows.Squares[s][i] - _rows.SquareRadius[s]));
        double dual = SegmentDual.Lower(lo, hi, t, sumLower, sumUpper, squareLower, SquareUpper(s, i));
        return Down(dual * seg.Weight);
    }

    /// <summary>
    /// Bounds the kernels' cost of input i from the segments and the residual's bounds (already
    /// converted to its accumulator), and intersects them with [lower, upper].
    /// </summary>
    private void Intersect(int i, double residualLower, double residualUpper, double[]? segmentLower, ref double lower, ref double upper)
    {
        (double accLower, double accUpper) = Accumulator(i, residualLower, residualUpper, segmentLower);
        double costLower;
        double costUpper;
        switch (_cost.Kind)
        {
            case ScoreKind.L2:
                costLower = _cost.Finish(Math.Max(0, accLower));
                costUpper = _cost.Finish(Math.Max(0, accUpper));
                break;
            case ScoreKind.L2Norm:
                costLower = _cost.Finish(Math.Min(0, accLower));
                costUpper = _cost.Finish(Math.Min(0, accUpper));
                break;
            default:
                costLower = _cost.Finish(accLower);
                costUpper = _cost.Finish(accUpper);
                break;
        }

        // Both intervals contain the exact cost, so their intersection does. A NaN end says nothing
        // (and Math.Max would propagate it into a bound no comparison passes): it is never taken.
        lower = TightenLower(lower, costLower);
        upper = TightenUpper(upper, costUpper);
    }

    /// <summary>
    /// An interval that contains the kernels' double accumulator (before the finish) of input i.
    /// </summary>
    private (double Lower, double Upper) Accumulator(int i, double residualLower, double residualUpper, double[]? segmentLowerBounds)
    {
        if (_cost.CombinesByMax)
        {
            // linf: the kernels' max of computed terms rounds nothing; each computed term is within
            // 3u (relative) of its real value.
            double lo = residualLower;
            double hi = residualUpper;
            for (int s = 0; s < _segments.Length; s++)
            {
                (double segmentLower, double segmentUpper) = SegmentTerms(s, i);
                lo = Math.Max(lo, Down(segmentLower * (1 - (3 * U))));
                hi = Math.Max(hi, Up(segmentUpper * (1 + (3 * U))));
            }

            return (lo, hi);
        }

        // Sums: real bounds of the real sum of terms, then widened by the double sum's error.
        double realLower = residualLower;
        double realUpper = residualUpper;
        double magnitude = _residualMagnitude;
        for (int s = 0; s < _segments.Length; s++)
        {
            (double segmentLower, double segmentUpper) = SegmentTerms(s, i);
            if (segmentLowerBounds is not null)
            {
                segmentLower = Math.Max(segmentLower, segmentLowerBounds[s]);
            }

            realLower = Down(realLower + segmentLower);
            realUpper = Up(realUpper + segmentUpper);
            if (!_sameSign)
            {
                // Sum of |a| over the segment <= sqrt(m * sum of squares) (Cauchy-Schwarz).
                magnitude = Up(magnitude + Up(Math.Sqrt(Up(_segments[s].Count * SquareUpper(s, i)))));
            }
        }

        if (_sameSign)
        {
            // The sum of the terms' magnitudes is |real sum|, within the interval.
            magnitude = Up(Math.Max(Math.Abs(realLower), Math.Abs(realUpper)));
        }

        // The residual's own sum error (its sub-problem's, relative to its magnitudes, at most the
        // group's) and the group's: 3 eta covers both with the residual bound's widening.
        double slack = Up(3 * _eta * magnitude);
        return (Down(realLower - slack), Up(realUpper + slack));
    }

    /// <summary>Real bounds of segment s's part of the cost (sum of its terms, or max for linf) for input i.</summary>
    private (double Lower, double Upper) SegmentTerms(int s, int i)
    {
        Segment seg = _segments[s];
        double sumRadius = _rows.SumRadius[s];
        double sumLower = Down(_rows.Sums[s][i] - sumRadius);
        double sumUpper = Up(_rows.Sums[s][i] + sumRadius);
        double squareLower = Math.Max(0, Down(_rows.Squares[s][i] - _rows.SquareRadius[s]));
        double squareUpper = SquareUpper(s, i);
        switch (_cost.Kind)
        {
            case ScoreKind.Sum:
            case ScoreKind.Mean:
                return (-sumUpper, -sumLower);
            case ScoreKind.L2Norm:
                return (-squareUpper, -squareLower);
        }

        double normLower = SqrtDown(squareLower);
        double normUpper = Up(Math.Sqrt(squareUpper));
        double normGap = Gap(normLower, normUpper, seg.TargetNorm.Lower, seg.TargetNorm.Upper);
        double sumGap = Gap(sumLower, sumUpper, seg.TargetSum.Lower, seg.TargetSum.Upper);
        double m = seg.Count;
        (double spreadLower, double spreadUpper) = Spread(sumLower, sumUpper, squareLower, squareUpper, m);
        double spreadGap = Gap(spreadLower, spreadUpper, seg.TargetSpread.Lower, seg.TargetSpread.Upper);
        // Split a - t into its mean part and the rest (orthogonal): ||a - t||^2 =
        // (sum a - sum t)^2 / m + ||(a - mean a) - (t - mean t)||^2 >= (sum a - sum t)^2 / m + (r(a) - r(t))^2,
        // r(x) = ||x - mean x|| = sqrt(Q - S^2 / m). It implies (||a|| - ||t||)^2, kept for rounding's sake.
        // Moving a zero one ulp down makes it negative (-2^-1074): a target's own row, or any input
        // whose summaries meet the target's (an all-zero channel of both), has every gap 0, and
        // the square root of that is NaN, which pruned the input (issue 23). Clamp at 0.
        double squaredLower = Math.Max(0, Math.Max(Down(normGap * normGap), Down(Down(Down(sumGap * sumGap) / m) + Down(spreadGap * spreadGap))));
        double lower;
        double upper;
        switch (_cost.Kind)
        {
            case ScoreKind.L2:
                lower = squaredLower;
                upper = Up(Up(normUpper + seg.TargetNorm.Upper) * Up(normUpper + seg.TargetNorm.Upper));
                if (seg.NonNegative)
                {
                    // <a, t> >= 0, so ||a - t||^2 <= ||a||^2 + ||t||^2.
                    upper = Math.Min(upper, Up(squareUpper + seg.TargetSquareUpper));
                }

                break;
            case ScoreKind.L1:
                // sum |a - t| >= |sum a - sum t| and >= ||a - t||_2.
                lower = Math.Max(sumGap, SqrtDown(squaredLower));
                upper = seg.NonNegative
                    ? Up(sumUpper + seg.TargetSum.Upper)
                    : Up(Up(Math.Sqrt(Up(m * squareUpper))) + seg.TargetMagnitude);
                break;
            default:
                // linf: max |a - t| >= |sum a - sum t| / m and >= ||a - t||_2 / sqrt(m).
                lower = Math.Max(Down(sumGap / m), SqrtDown(Down(squaredLower / m)));
                upper = Up(normUpper + seg.TargetMaxAbs);
                break;
        }

        return (Down(lower * seg.Weight), Up(upper * seg.Weight));
    }

    /// <summary>
    /// Bounds of r = sqrt(Q - S^2 / m), the norm of a segment's deviation from its mean, from
    /// intervals of its sum S and sum of squares Q (rounded outward).
    /// </summary>
    private static (double Lower, double Upper) Spread(double sumLower, double sumUpper, double squareLower, double squareUpper, double m)
    {
        double sumSquaredLower = sumLower >= 0 ? Down(sumLower * sumLower) : sumUpper <= 0 ? Down(sumUpper * sumUpper) : 0;
        double sumSquaredUpper = Up(Math.Max(sumLower * sumLower, sumUpper * sumUpper));
        double lower = Math.Max(0, Down(squareLower - Up(sumSquaredUpper / m)));
        double upper = Math.Max(0, Up(squareUpper - Down(sumSquaredLower / m)));
        return (SqrtDown(lower), Up(Math.Sqrt(upper)));
    }

    private double SquareUpper(int s, int i) => Up(_rows.Squares[s][i] + _rows.SquareRadius[s]);

    /// <summary>Distance between two intervals (0 when they meet), rounded down.</summary>
    private static double Gap(double aLower, double aUpper, double bLower, double bUpper) =>
        Math.Max(0, Math.Max(Down(bLower - aUpper), Down(aLower - bUpper)));

    private static int SegmentOf(SummaryLayout layout, int neuron)
    {
        int channel = neuron / layout.ChannelSize;
        int offset = neuron % layout.ChannelSize;
        int band = Array.BinarySearch(layout.Offsets, offset);
        band = band >= 0 ? band : ~band - 1;
        return (channel * layout.SegmentsPerChannel) + band;
    }

    /// <summary>Smallest and largest activation of each group neuron over the dataset, from its partitions.</summary>
    private static (float[] Min, float[] Max) NeuronRanges(GroupIndexData data, int g, int partitions)
    {
        var min = new float[g];
        var max = new float[g];
        for (int j = 0; j < g; j++)
        {
            float lo = float.PositiveInfinity;
            float hi = float.NegativeInfinity;
            for (int p = 0; p < partitions; p++)
            {
                float a = data.PartMin[(j * partitions) + p];
                float b = data.PartMax[(j * partitions) + p];
                if (a <= b)
                {
                    lo = Math.Min(lo, a);
                    hi = Math.Max(hi, b);
                }
            }

            min[j] = lo;
            max[j] = hi;
        }

        return (min, max);
    }

    private static double Down(double x) => Math.BitDecrement(x);

    /// <summary>
    /// A lower bound of the square root of a real number that is at least <paramref name="x"/> and
    /// at least 0: never NaN, also when x, moved one ulp down from 0, is slightly negative.
    /// </summary>
    private static double SqrtDown(double x) => x > 0 ? Math.Max(0, Down(Math.Sqrt(x))) : 0;

    private static double Up(double x) => Math.BitIncrement(x);

    /// <summary>A covered segment: its size, weight, sign, and (distances) the target's summaries as real intervals.</summary>
    private readonly record struct Segment(
        int Count,
        double Weight,
        bool NonNegative,
        (double Lower, double Upper) TargetSum,
        (double Lower, double Upper) TargetNorm,
        double TargetSquareUpper,
        double TargetMagnitude,
        double TargetMaxAbs,
        (double Lower, double Upper) TargetSpread)
    {
        /// <summary>A segment of an aggregate query (no target).</summary>
        public static Segment ForAggregate(int count) => new(count, 1, false, default, default, 0, 0, 0, default);

        /// <summary>
        /// A segment of a distance query. <paramref name="nonNegative"/>: every activation of its
        /// neurons is >= 0 (then so must the target be for the sign-based upper bounds).
        /// </summary>
        public static Segment ForTarget(int count, double weight, bool nonNegative, float[] target)
        {
            double sum = 0;
            double square = 0;
            double magnitude = 0;
            double maxAbs = 0;
            bool targetNonNegative = true;
            foreach (float t in target)
            {
                double a = t;
                sum += a;
                square += a * a;
                magnitude += Math.Abs(a);
                maxAbs = Math.Max(maxAbs, Math.Abs(a));
                targetNonNegative &= t >= 0;
            }

            // As for the stored summaries: (m + 1) u relative to the magnitudes covers the double sums.
            double slack = (count + 1) * U;
            double sumRadius = Up(slack * magnitude);
            double squareRadius = Up(slack * square);
            double squareLower = Math.Max(0, Down(square - squareRadius));
            double squareUpper = Up(square + squareRadius);
            double sumLower = Down(sum - sumRadius);
            double sumUpper = Up(sum + sumRadius);
            return new Segment(
                count,
                weight,
                nonNegative && targetNonNegative,
                (sumLower, sumUpper),
                (SqrtDown(squareLower), Up(Math.Sqrt(squareUpper))),
                squareUpper,
                Up(magnitude * (1 + slack)),
                maxAbs,
                Spread(sumLower, sumUpper, squareLower, squareUpper, count));
        }
    }

    /// <summary>
    /// The residual neurons' per-neuron bounds, converted to real bounds of their accumulator
    /// (before any finish): a sub-problem of the group's index rows with a cost whose kernels'
    /// value is that accumulator (or its square root).
    /// </summary>
    private sealed class Residual
    {
        private readonly BoundsProblem _problem;
        private readonly IKernels _kernels;
        private readonly Func<double, double, (double, double)> _convert;

        private Residual(BoundsProblem problem, IKernels kernels, Func<double, double, (double, double)> convert)
        {
            _problem = problem;
            _kernels = kernels;
            _convert = convert;
        }

        public static Residual Create(CostFunction cost, GroupIndexData data, List<int> positions, int n, int partitions, IKernels kernels)
        {
            int r = positions.Count;
            int stride = CodeLayout.StrideBytes(n, CodeLayout.BitsFor(partitions));
            var codes = new byte[(long)r * stride];
            var partMin = new float[r * partitions];
            var partMax = new float[r * partitions];
            var maiIds = new int[r][];
            var maiValues = new float[r][];
            var target = new float[r];
            var weights = cost.Weights.IsEmpty ? [] : new float[r];
            for (int q = 0; q < r; q++)
            {
                int p = positions[q];
                data.Codes.AsSpan(p * stride, stride).CopyTo(codes.AsSpan(q * stride));
                data.PartMin.AsSpan(p * partitions, partitions).CopyTo(partMin.AsSpan(q * partitions));
                data.PartMax.AsSpan(p * partitions, partitions).CopyTo(partMax.AsSpan(q * partitions));
                maiIds[q] = data.MaiIds[p];
                maiValues[q] = data.MaiValues[p];
                target[q] = cost.Target[p];
                if (weights.Length > 0)
                {
                    weights[q] = cost.Weights[p];
                }
            }

            // Kernels' cost of the sub-problem, and how it maps back to the accumulator.
            (CostFunction sub, Func<double, double, (double, double)> convert) = cost.Kind switch
            {
                ScoreKind.L2 => (new CostFunction(ScoreKind.L2, r, target, weights), UnSquareRoot(negate: false)),
                ScoreKind.L2Norm => (new CostFunction(ScoreKind.L2, r, new float[r], []), UnSquareRoot(negate: true)),
                ScoreKind.Sum or ScoreKind.Mean => (new CostFunction(ScoreKind.Sum, r, [], []), (lo, hi) => (lo, hi)),
                _ => (new CostFunction(cost.Kind, r, target, weights), (lo, hi) => (lo, hi)),
            };
            return new Residual(BoundsProblem.Create(sub, n, partitions, codes, partMin, partMax, maiIds, maiValues), kernels, convert);
        }

        public void Coarse(double[] lower, double[] upper)
        {
            _kernels.GroupBounds(_problem, lower, upper);
            Convert(lower, upper);
        }

        public void Tight(ReadOnlySpan<int> inputs, double[] lower, double[] upper)
        {
            _kernels.RefineBounds(_problem, inputs, lower, upper);
            Convert(lower, upper);
        }

        private void Convert(double[] lower, double[] upper)
        {
            for (int i = 0; i < lower.Length; i++)
            {
                (lower[i], upper[i]) = _convert(lower[i], upper[i]);
            }
        }

        /// <summary>
        /// From bounds [l, h] of fl(sqrt(s)) to bounds of s: fl(sqrt(s)) is within one rounding of
        /// sqrt(s), so s lies in [l^2 (1 - 2^-50), h^2 (1 + 2^-50)] (rounded outward).
        /// </summary>
        private static Func<double, double, (double, double)> UnSquareRoot(bool negate) => (lo, hi) =>
        {
            const double Margin = 1.0 / (1L << 50);
            double l = Math.Max(0, lo);
            double a = Down(Down(l * l) * (1 - Margin));
            double b = Up(Up(hi * hi) * (1 + Margin));
            return negate ? (-b, -a) : (a, b);
        };
    }
}
