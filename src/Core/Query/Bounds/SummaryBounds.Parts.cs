using DeepEverest.Core.Storage;
using DeepEverest.Kernels;

namespace DeepEverest.Core.Query.Bounds;

/// <summary>The parts a group splits into: covered segments and the residual neurons.</summary>
internal sealed partial class SummaryBounds
{
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
