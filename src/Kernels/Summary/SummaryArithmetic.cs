using static DeepEverest.Kernels.Summary.SummaryRounding;

namespace DeepEverest.Kernels.Summary;

/// <summary>
/// Interval arithmetic of the summary bounds of one input (<see cref="SummaryProblem"/>):
/// per-segment terms, the kernels' accumulator, outward rounding. This is the scalar definition
/// every <see cref="IKernels"/> implementation reproduces bit for bit; docs/large-groups.md proves
/// each step. Every rounding is directed (<see cref="SummaryRounding.Down"/>, <see cref="SummaryRounding.Up"/>,
/// <see cref="SummaryRounding.SqrtDown"/>) and squares are clamped at 0: a bound that is one ulp too tight is not a
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
    public static void Intersect(SummaryProblem p, int i, double residualLower, double residualUpper, double[] segmentLower, ref double lower, ref double upper)
    {
        (double costLower, double costUpper) = Cost(new SummaryParameters(p), new HostInput(p, i, segmentLower), residualLower, residualUpper);

        // Both intervals contain the exact cost, so their intersection does. A NaN end says nothing
        // (and Math.Max would propagate it into a bound no comparison passes): it is never taken.
        lower = TightenLower(lower, costLower);
        upper = TightenUpper(upper, costUpper);
    }

    /// <summary>
    /// Bounds of the kernels' cost of one input (before intersecting with prior bounds), from its
    /// segments and the residual's bounds. Shared by the host and the ILGPU kernels: it calls only
    /// <see cref="SummaryRounding"/>, <see cref="Math.Sqrt(double)"/> and <see cref="Math.Abs(double)"/>.
    /// </summary>
    public static (double Lower, double Upper) Cost<TInput>(SummaryParameters p, TInput input, double residualLower, double residualUpper)
        where TInput : struct, ISummaryInput
    {
        (double accLower, double accUpper) = Accumulator(p, input, residualLower, residualUpper);
        switch ((ScoreKind)p.Kind)
        {
            case ScoreKind.L2:
                return (Math.Sqrt(Max(0, accLower)), Math.Sqrt(Max(0, accUpper)));
            case ScoreKind.L2Norm:
                return (-Math.Sqrt(-Min(0, accLower)), -Math.Sqrt(-Min(0, accUpper)));
            case ScoreKind.Mean:
                // CostFunction.Finish: the mean divides by g.
                return (accLower / p.GroupSize, accUpper / p.GroupSize);
            default:
                return (accLower, accUpper);
        }
    }

    /// <summary>
    /// An interval that contains the kernels' double accumulator (before the finish) of one input.
    /// </summary>
    private static (double Lower, double Upper) Accumulator<TInput>(SummaryParameters p, TInput input, double residualLower, double residualUpper)
        where TInput : struct, ISummaryInput
    {
        if (p.ByMax != 0)
        {
            // linf: the kernels' max of computed terms rounds nothing; each computed term is within
            // 3u (relative) of its real value.
            double lo = residualLower;
            double hi = residualUpper;
            for (int s = 0; s < p.Segments; s++)
            {
                (double segmentLower, double segmentUpper) = SegmentTerms(p.Kind, input.Segment(s), input.Sum(s), input.Square(s));
                lo = Max(lo, Down(segmentLower * (1 - (3 * U))));
                hi = Max(hi, Up(segmentUpper * (1 + (3 * U))));
            }

            return (lo, hi);
        }

        // Sums: real bounds of the real sum of terms, then widened by the double sum's error.
        double realLower = residualLower;
        double realUpper = residualUpper;
        double magnitude = p.ResidualMagnitude;
        for (int s = 0; s < p.Segments; s++)
        {
            SummarySegment seg = input.Segment(s);
            float square = input.Square(s);
            (double segmentLower, double segmentUpper) = SegmentTerms(p.Kind, seg, input.Sum(s), square);
            if (input.HasSegmentLower)
            {
                segmentLower = Max(segmentLower, input.SegmentLower(s));
            }

            realLower = Down(realLower + segmentLower);
            realUpper = Up(realUpper + segmentUpper);
            if (p.SameSign == 0)
            {
                // Sum of |a| over the segment <= sqrt(m * sum of squares) (Cauchy-Schwarz).
                magnitude = Up(magnitude + Up(Math.Sqrt(Up(seg.Count * SquareUpper(seg, square)))));
            }
        }

        if (p.SameSign != 0)
        {
            // The sum of the terms' magnitudes is |real sum|, within the interval.
            magnitude = Up(Max(Math.Abs(realLower), Math.Abs(realUpper)));
        }

        // The residual's own sum error (its sub-problem's, relative to its magnitudes, at most the
        // group's) and the group's: 3 eta covers both with the residual bound's widening.
        double slack = Up(3 * p.Eta * magnitude);
        return (Down(realLower - slack), Up(realUpper + slack));
    }

    /// <summary>Real bounds of a segment's part of the cost (sum of its terms, or max for linf) for an input with the stored summaries <paramref name="storedSum"/> and <paramref name="storedSquare"/>.</summary>
    private static (double Lower, double Upper) SegmentTerms(int kind, SummarySegment seg, float storedSum, float storedSquare)
    {
        double sumRadius = seg.SumRadius;
        double sumLower = Down(storedSum - sumRadius);
        double sumUpper = Up(storedSum + sumRadius);
        double squareLower = Max(0, Down(storedSquare - seg.SquareRadius));
        double squareUpper = SquareUpper(seg, storedSquare);
        switch ((ScoreKind)kind)
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
        double squaredLower = Max(0, Max(Down(normGap * normGap), Down(Down(Down(sumGap * sumGap) / m) + Down(spreadGap * spreadGap))));
        double lower;
        double upper;
        switch ((ScoreKind)kind)
        {
            case ScoreKind.L2:
                lower = squaredLower;
                upper = Up(Up(normUpper + seg.TargetNorm.Upper) * Up(normUpper + seg.TargetNorm.Upper));
                if (seg.NonNegative)
                {
                    // <a, t> >= 0, so ||a - t||^2 <= ||a||^2 + ||t||^2.
                    upper = Min(upper, Up(squareUpper + seg.TargetSquareUpper));
                }

                break;
            case ScoreKind.L1:
                // sum |a - t| >= |sum a - sum t| and >= ||a - t||_2.
                lower = Max(sumGap, SqrtDown(squaredLower));
                upper = seg.NonNegative
                    ? Up(sumUpper + seg.TargetSum.Upper)
                    : Up(Up(Math.Sqrt(Up(m * squareUpper))) + seg.TargetMagnitude);
                break;
            default:
                // linf: max |a - t| >= |sum a - sum t| / m and >= ||a - t||_2 / sqrt(m).
                lower = Max(Down(sumGap / m), SqrtDown(Down(squaredLower / m)));
                upper = Up(normUpper + seg.TargetMaxAbs);
                break;
        }

        return (Down(lower * seg.Weight), Up(upper * seg.Weight));
    }

    /// <summary>
    /// The dual lower bound of segment s's part of an l2 cost (real, weighted) for input i;
    /// <paramref name="lo"/> and <paramref name="hi"/> are scratch of at least the segment's size.
    /// </summary>
    public static double DualLower(SummaryProblem p, int s, int i, float[] lo, float[] hi)
    {
        SummarySegment seg = p.Segments[s];
        int start = p.SegmentStarts[s];
        FillBoxes(p, start, seg.Count, i, lo, hi);
        return DualLower(seg, p.Sums[s][i], p.Squares[s][i], new HostBoxes(lo, hi, p.Target, start, seg.Count));
    }

    /// <summary>
    /// The dual lower bound of a segment's part of an l2 cost (real, weighted) for an input with
    /// the stored summaries <paramref name="storedSum"/> / <paramref name="storedSquare"/> and the
    /// activation intervals <paramref name="boxes"/>. Shared by the host and the ILGPU kernel.
    /// </summary>
    public static double DualLower<TBoxes>(SummarySegment seg, float storedSum, float storedSquare, TBoxes boxes)
        where TBoxes : struct, ISegmentBoxes
    {
        double sumRadius = seg.SumRadius;
        double sumLower = Down(storedSum - sumRadius);
        double sumUpper = Up(storedSum + sumRadius);
        double squareLower = Max(0, Down(storedSquare - seg.SquareRadius));
        double dual = SegmentDual.Lower(boxes, sumLower, sumUpper, squareLower, SquareUpper(seg, storedSquare));
        return Down(dual * seg.Weight);
    }

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
        double sumSquaredUpper = Up(Max(sumLower * sumLower, sumUpper * sumUpper));
        double lower = Max(0, Down(squareLower - Up(sumSquaredUpper / m)));
        double upper = Max(0, Up(squareUpper - Down(sumSquaredLower / m)));
        return (SqrtDown(lower), Up(Math.Sqrt(upper)));
    }

    private static double SquareUpper(SummarySegment seg, float storedSquare) => Up(storedSquare + seg.SquareRadius);

    /// <summary>Distance between two intervals (0 when they meet), rounded down.</summary>
    private static double Gap(double aLower, double aUpper, double bLower, double bUpper) =>
        Max(0, Max(Down(bLower - aUpper), Down(aLower - bUpper)));

    /// <summary>The summaries of one input of a host <see cref="SummaryProblem"/>.</summary>
    private readonly struct HostInput(SummaryProblem problem, int input, double[] segmentLower) : ISummaryInput
    {
        public bool HasSegmentLower => segmentLower.Length > 0;

        public SummarySegment Segment(int s) => problem.Segments[s];

        public float Sum(int s) => problem.Sums[s][input];

        public float Square(int s) => problem.Squares[s][input];

        public double SegmentLower(int s) => segmentLower[s];
    }

    /// <summary>A segment's boxes in host scratch and its target in <see cref="SummaryProblem.Target"/>.</summary>
    private readonly struct HostBoxes(float[] lower, float[] upper, float[] target, int targetStart, int count) : ISegmentBoxes
    {
        public int Count => count;

        public float Lower(int j) => lower[j];

        public float Upper(int j) => upper[j];

        public float Target(int j) => target[targetStart + j];
    }
}
