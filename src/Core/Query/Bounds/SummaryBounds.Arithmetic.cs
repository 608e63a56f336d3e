using DeepEverest.Core.Indexing;
using DeepEverest.Core.Storage;
using DeepEverest.Kernels;

namespace DeepEverest.Core.Query.Bounds;

/// <summary>Interval arithmetic of the summary bounds: per-segment terms, the kernels' accumulator, outward rounding.</summary>
internal sealed partial class SummaryBounds
{
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
}
