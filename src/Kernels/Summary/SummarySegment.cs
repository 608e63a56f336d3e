namespace DeepEverest.Kernels.Summary;

/// <summary>
/// A covered segment of a <see cref="SummaryProblem"/>: its size, weight, sign, the radii of its
/// stored summaries, and (distances) the target's summaries as real intervals, rounded outward.
/// </summary>
internal readonly record struct SummarySegment(
    int Count,
    double Weight,
    bool NonNegative,
    double SumRadius,
    double SquareRadius,
    (double Lower, double Upper) TargetSum,
    (double Lower, double Upper) TargetNorm,
    double TargetSquareUpper,
    double TargetMagnitude,
    double TargetMaxAbs,
    (double Lower, double Upper) TargetSpread)
{
    /// <summary>A segment of an aggregate query (no target).</summary>
    public static SummarySegment ForAggregate(int count, double sumRadius, double squareRadius) =>
        new(count, 1, false, sumRadius, squareRadius, default, default, 0, 0, 0, default);

    /// <summary>
    /// A segment of a distance query. <paramref name="nonNegative"/>: every activation of its
    /// neurons is >= 0 (then so must the target be for the sign-based upper bounds).
    /// </summary>
    public static SummarySegment ForTarget(int count, double weight, bool nonNegative, double sumRadius, double squareRadius, ReadOnlySpan<float> target)
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
        double slack = (count + 1) * SummaryArithmetic.U;
        double targetSumRadius = SummaryArithmetic.Up(slack * magnitude);
        double targetSquareRadius = SummaryArithmetic.Up(slack * square);
        double squareLower = Math.Max(0, SummaryArithmetic.Down(square - targetSquareRadius));
        double squareUpper = SummaryArithmetic.Up(square + targetSquareRadius);
        double sumLower = SummaryArithmetic.Down(sum - targetSumRadius);
        double sumUpper = SummaryArithmetic.Up(sum + targetSumRadius);
        return new SummarySegment(
            count,
            weight,
            nonNegative && targetNonNegative,
            sumRadius,
            squareRadius,
            (sumLower, sumUpper),
            (SummaryArithmetic.SqrtDown(squareLower), SummaryArithmetic.Up(Math.Sqrt(squareUpper))),
            squareUpper,
            SummaryArithmetic.Up(magnitude * (1 + slack)),
            maxAbs,
            SummaryArithmetic.Spread(sumLower, sumUpper, squareLower, squareUpper, count));
    }
}
