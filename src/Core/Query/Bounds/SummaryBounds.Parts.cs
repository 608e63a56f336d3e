using DeepEverest.Core.Indexing;
using DeepEverest.Core.Storage;
using DeepEverest.Kernels;

namespace DeepEverest.Core.Query.Bounds;

/// <summary>The residual neurons, bounded per neuron by the kernels, and the helpers of <see cref="TryRead"/>.</summary>
internal sealed partial class SummaryBounds
{
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

    private static double Up(double x) => Math.BitIncrement(x);
}
