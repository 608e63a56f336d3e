using DeepEverest.Kernels.Summary;

namespace DeepEverest.Kernels.Tests;

/// <summary>The summary bounds by their scalar definition, one input after another on one thread.</summary>
internal static partial class ScalarReference
{
    /// <summary><see cref="IKernels.SummaryBounds"/> by <see cref="SummaryArithmetic.Intersect"/>, input by input.</summary>
    public static (double[] Lower, double[] Upper) SummaryBounds(SummaryProblem problem, int[] inputs, double[] residualLower, double[] residualUpper, double[] lower, double[] upper)
    {
        double[] lo = [.. lower];
        double[] hi = [.. upper];
        for (int r = 0; r < inputs.Length; r++)
        {
            double rl = residualLower.Length == 0 ? 0 : residualLower[r];
            double rh = residualUpper.Length == 0 ? 0 : residualUpper[r];
            SummaryArithmetic.Intersect(problem, inputs[r], rl, rh, [], ref lo[r], ref hi[r]);
        }

        return (lo, hi);
    }

    /// <summary><see cref="IKernels.SummaryDualLower"/> by <see cref="SummaryArithmetic.DualLower"/>, input by input.</summary>
    public static double[] SummaryDualLower(SummaryProblem problem, int[] inputs, double[] residualLower, double[] residualUpper, double[] lower)
    {
        double[] lo = [.. lower];
        if (!problem.CanRefine)
        {
            return lo;
        }

        int largest = problem.Segments.Max(segment => segment.Count);
        var boxLower = new float[largest];
        var boxUpper = new float[largest];
        var segmentLower = new double[problem.SegmentCount];
        for (int r = 0; r < inputs.Length; r++)
        {
            for (int s = 0; s < segmentLower.Length; s++)
            {
                segmentLower[s] = SummaryArithmetic.DualLower(problem, s, inputs[r], boxLower, boxUpper);
            }

            double rl = residualLower.Length == 0 ? 0 : residualLower[r];
            double rh = residualUpper.Length == 0 ? 0 : residualUpper[r];
            double ignoredUpper = double.PositiveInfinity;
            SummaryArithmetic.Intersect(problem, inputs[r], rl, rh, segmentLower, ref lo[r], ref ignoredUpper);
        }

        return lo;
    }
}
