namespace DeepEverest.Kernels.Summary;

/// <summary>
/// Interval arithmetic of the summary bounds of one input (<see cref="SummaryProblem"/>):
/// per-segment terms, the kernels' accumulator, outward rounding. This is the scalar definition
/// every <see cref="IKernels"/> implementation reproduces bit for bit; docs/large-groups.md proves
/// each step. Every rounding is directed (<see cref="Down"/>, <see cref="Up"/>,
/// <see cref="SqrtDown"/>) and squares are clamped at 0: a bound that is one ulp too tight is not a
/// bound, and pruned true answers (issue 23).
/// </summary>
internal static class SummaryArithmetic
{
    /// <summary>2^-53, the unit roundoff of double.</summary>
    public const double U = 1.0 / (1L << 53);

    /// <summary>
    /// Bounds the kernels' cost of input i from the segments and the residual's bounds (already
    /// converted to its accumulator), and intersects them with [lower, upper].
    /// <paramref name="segmentLower"/>, when not empty, holds better lower bounds of each segment's part.
    /// </summary>
    public static void Intersect(SummaryProblem p, int i, double residualLower, double residualUpper, ReadOnlySpan<double> segmentLower, ref double lower, ref double upper)
    {
        (double accLower, double accUpper) = Accumulator(p, i, residualLower, residualUpper, segmentLower);
        CostFunction cost = p.Cost;
        double costLower;
        double costUpper;
        switch (cost.Kind)
        {
            case ScoreKind.L2:
                costLower = cost.Finish(Math.Max(0, accLower));
                costUpper = cost.Finish(Math.Max(0, accUpper));
                break;
            case ScoreKind.L2Norm:
                costLower = cost.Finish(Math.Min(0, accLower));
                costUpper = cost.Finish(Math.Min(0, accUpper));
                break;
            default:
                costLower = cost.Finish(accLower);
                costUpper = cost.Finish(accUpper);
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
    private static (double Lower, double Upper) Accumulator(SummaryProblem p, int i, double residualLower, double residualUpper, ReadOnlySpan<double> segmentLowerBounds)
    {
        if (p.Cost.CombinesByMax)
        {
            // linf: the kernels' max of computed terms rounds nothing; each computed term is within
            // 3u (relative) of its real value.
            double lo = residualLower;
            double hi = residualUpper;
            for (int s = 0; s < p.Segments.Length; s++)
            {
                (double segmentLower, double segmentUpper) = SegmentTerms(p, s, i);
                lo = Math.Max(lo, Down(segmentLower * (1 - (3 * U))));
                hi = Math.Max(hi, Up(segmentUpper * (1 + (3 * U))));
            }

            return (lo, hi);
        }

        // Sums: real bounds of the real sum of terms, then widened by the double sum's error.
        double realLower = residualLower;
        double realUpper = residualUpper;
        double magnitude = p.ResidualMagnitude;
        for (int s = 0; s < p.Segments.Length; s++)
        {
            (double segmentLower, double segmentUpper) = SegmentTerms(p, s, i);
            if (!segmentLowerBounds.IsEmpty)
            {
                segmentLower = Math.Max(segmentLower, segmentLowerBounds[s]);
            }

            realLower = Down(realLower + segmentLower);
            realUpper = Up(realUpper + segmentUpper);
            if (!p.SameSign)
            {
                // Sum of |a| over the segment <= sqrt(m * sum of squares) (Cauchy-Schwarz).
                magnitude = Up(magnitude + Up(Math.Sqrt(Up(p.Segments[s].Count * SquareUpper(p, s, i)))));
            }
        }

        if (p.SameSign)
        {
            // The sum of the terms' magnitudes is |real sum|, within the interval.
            magnitude = Up(Math.Max(Math.Abs(realLower), Math.Abs(realUpper)));
        }

        // The residual's own sum error (its sub-problem's, relative to its magnitudes, at most the
        // group's) and the group's: 3 eta covers both with the residual bound's widening.
        double slack = Up(3 * p.Eta * magnitude);
        return (Down(realLower - slack), Up(realUpper + slack));
    }

    /// <summary>Real bounds of segment s's part of the cost (sum of its terms, or max for linf) for input i.</summary>
    private static (double Lower, double Upper) SegmentTerms(SummaryProblem p, int s, int i)
    {
        SummarySegment seg = p.Segments[s];
        double sumRadius = seg.SumRadius;
        double sumLower = Down(p.Sums[s][i] - sumRadius);
        double sumUpper = Up(p.Sums[s][i] + sumRadius);
        double squareLower = Math.Max(0, Down(p.Squares[s][i] - seg.SquareRadius));
        double squareUpper = SquareUpper(p, s, i);
        switch (p.Cost.Kind)
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
        switch (p.Cost.Kind)
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
    /// The dual lower bound of segment s's part of an l2 cost (real, weighted) for input i;
    /// <paramref name="lo"/> and <paramref name="hi"/> are scratch of at least the segment's size.
    /// </summary>
    public static double DualLower(SummaryProblem p, int s, int i, Span<float> lo, Span<float> hi)
    {
        SummarySegment seg = p.Segments[s];
        int m = seg.Count;
        int start = p.SegmentStarts[s];
        FillBoxes(p, start, m, i, lo, hi);
        ReadOnlySpan<float> t = p.Target.AsSpan(start, m);
        double sumRadius = seg.SumRadius;
        double sumLower = Down(p.Sums[s][i] - sumRadius);
        double sumUpper = Up(p.Sums[s][i] + sumRadius);
        double squareLower = Math.Max(0, Down(p.Squares[s][i] - seg.SquareRadius));
        double dual = SegmentDual.Lower(lo[..m], hi[..m], t, sumLower, sumUpper, squareLower, SquareUpper(p, s, i));
        return Down(dual * seg.Weight);
    }

    /// <summary>The larger of a lower bound and a candidate, ignoring a NaN candidate.</summary>
    public static double TightenLower(double lower, double candidate) => candidate > lower ? candidate : lower;

    /// <summary>The smaller of an upper bound and a candidate, ignoring a NaN candidate.</summary>
    public static double TightenUpper(double upper, double candidate) => candidate < upper ? candidate : upper;

    /// <summary>
    /// What the index says of input i's activations in one segment, neuron by neuron: the interval
    /// of the partition its code names, or its exact value when it is in the neuron's MAI.
    /// </summary>
    private static void FillBoxes(SummaryProblem p, int start, int count, int input, Span<float> lower, Span<float> upper)
    {
        int bits = p.Bits;
        int stride = p.Stride;
        int partitions = p.Partitions;
        long bit = (long)input * bits;
        int at = (int)(bit >> 3);
        int shift = (int)(bit & 7);
        int mask = (1 << bits) - 1;
        for (int q = 0; q < count; q++)
        {
            int j = p.Positions[start + q];
            int offset = (j * stride) + at;
            int word = p.Codes[offset] | (at + 1 < stride ? p.Codes[offset + 1] << 8 : 0);
            int code = (word >> shift) & mask;
            if (code == 0)
            {
                int e = Array.BinarySearch(p.MaiIds[j], input);
                if (e >= 0)
                {
                    lower[q] = upper[q] = p.MaiValues[j][e];
                    continue;
                }
            }

            lower[q] = p.PartMin[(j * partitions) + code];
            upper[q] = p.PartMax[(j * partitions) + code];
        }
    }

    /// <summary>
    /// Bounds of r = sqrt(Q - S^2 / m), the norm of a segment's deviation from its mean, from
    /// intervals of its sum S and sum of squares Q (rounded outward).
    /// </summary>
    public static (double Lower, double Upper) Spread(double sumLower, double sumUpper, double squareLower, double squareUpper, double m)
    {
        double sumSquaredLower = sumLower >= 0 ? Down(sumLower * sumLower) : sumUpper <= 0 ? Down(sumUpper * sumUpper) : 0;
        double sumSquaredUpper = Up(Math.Max(sumLower * sumLower, sumUpper * sumUpper));
        double lower = Math.Max(0, Down(squareLower - Up(sumSquaredUpper / m)));
        double upper = Math.Max(0, Up(squareUpper - Down(sumSquaredLower / m)));
        return (SqrtDown(lower), Up(Math.Sqrt(upper)));
    }

    private static double SquareUpper(SummaryProblem p, int s, int i) => Up(p.Squares[s][i] + p.Segments[s].SquareRadius);

    /// <summary>Distance between two intervals (0 when they meet), rounded down.</summary>
    private static double Gap(double aLower, double aUpper, double bLower, double bUpper) =>
        Math.Max(0, Math.Max(Down(bLower - aUpper), Down(aLower - bUpper)));

    /// <summary>The next double toward -infinity: x rounded down after one round-to-nearest operation.</summary>
    public static double Down(double x) => Math.BitDecrement(x);

    /// <summary>
    /// A lower bound of the square root of a real number that is at least <paramref name="x"/> and
    /// at least 0: never NaN, also when x, moved one ulp down from 0, is slightly negative.
    /// </summary>
    public static double SqrtDown(double x) => x > 0 ? Math.Max(0, Down(Math.Sqrt(x))) : 0;

    /// <summary>The next double toward +infinity.</summary>
    public static double Up(double x) => Math.BitIncrement(x);
}
