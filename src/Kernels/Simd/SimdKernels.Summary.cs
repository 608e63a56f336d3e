using DeepEverest.Kernels.Summary;

namespace DeepEverest.Kernels.Simd;

/// <content>
/// <see cref="IKernels.SummaryBounds"/> and <see cref="IKernels.SummaryDualLower"/>: the summary
/// bounds of large groups, input by input with <see cref="SummaryArithmetic"/> (the scalar
/// definition), over blocks of inputs split across cores when there is enough work. They stay
/// scalar on every path: each step rounds one ulp outward through <see cref="Math.BitIncrement"/>
/// and <see cref="Math.BitDecrement"/>, square roots and branches per segment, and the work per
/// input is O(segments) (O(segment neurons) for the dual), small beside the per-neuron bounds.
/// </content>
internal sealed partial class SimdKernels
{
    /// <summary>Inputs per block of <see cref="SummaryBounds"/>.</summary>
    private const int SummaryBlock = 4096;

    /// <summary>Inputs per block of <see cref="SummaryDualLower"/> (each costs O(segment neurons)).</summary>
    private const int DualBlock = 16;

    /// <summary>Dual work (inputs x segment neurons) from which <see cref="SummaryDualLower"/> is split over cores.</summary>
    private const long DualParallelThreshold = 200_000;

    /// <inheritdoc/>
    public void SummaryBounds(in SummaryProblem problem, ReadOnlySpan<int> inputs, ReadOnlySpan<double> residualLower, ReadOnlySpan<double> residualUpper, Span<double> lower, Span<double> upper) =>
        SummaryBoundsOnHost(problem, inputs, residualLower, residualUpper, lower, upper);

    /// <inheritdoc/>
    public void SummaryDualLower(in SummaryProblem problem, ReadOnlySpan<int> inputs, ReadOnlySpan<double> residualLower, ReadOnlySpan<double> residualUpper, Span<double> lower) =>
        SummaryDualLowerOnHost(problem, inputs, residualLower, residualUpper, lower);

    /// <summary>The host implementation of <see cref="IKernels.SummaryBounds"/>, shared with the GPU backend.</summary>
    internal static unsafe void SummaryBoundsOnHost(SummaryProblem problem, ReadOnlySpan<int> inputs, ReadOnlySpan<double> residualLower, ReadOnlySpan<double> residualUpper, Span<double> lower, Span<double> upper)
    {
        KernelArguments.CheckSummary(problem, inputs, residualLower, residualUpper, lower, upper);
        bool parallel = (long)inputs.Length * problem.SegmentCount >= ParallelThreshold;
        fixed (int* pInputs = inputs)
        fixed (double* pResLo = residualLower, pResHi = residualUpper, pLower = lower, pUpper = upper)
        {
            // Spans cannot enter a lambda; the pinned addresses can, and stay valid until the loop ends.
            nint ids = (nint)pInputs;
            nint resLo = residualLower.IsEmpty ? 0 : (nint)pResLo;
            nint resHi = residualUpper.IsEmpty ? 0 : (nint)pResHi;
            nint lo = (nint)pLower;
            nint hi = (nint)pUpper;
            ForBlocks(inputs.Length, SummaryBlock, parallel, (at, end) =>
            {
                for (int r = at; r < end; r++)
                {
                    double rl = resLo == 0 ? 0 : ((double*)resLo)[r];
                    double rh = resHi == 0 ? 0 : ((double*)resHi)[r];
                    SummaryArithmetic.Intersect(problem, ((int*)ids)[r], rl, rh, [], ref ((double*)lo)[r], ref ((double*)hi)[r]);
                }
            });
        }
    }

    /// <summary>The host implementation of <see cref="IKernels.SummaryDualLower"/>, shared with the GPU backend.</summary>
    internal static unsafe void SummaryDualLowerOnHost(SummaryProblem problem, ReadOnlySpan<int> inputs, ReadOnlySpan<double> residualLower, ReadOnlySpan<double> residualUpper, Span<double> lower)
    {
        KernelArguments.CheckSummary(problem, inputs, residualLower, residualUpper, lower, lower);
        if (!problem.CanRefine)
        {
            return;
        }

        int largest = problem.Segments.Max(segment => segment.Count);
        bool parallel = (long)inputs.Length * problem.SegmentNeurons >= DualParallelThreshold;
        fixed (int* pInputs = inputs)
        fixed (double* pResLo = residualLower, pResHi = residualUpper, pLower = lower)
        {
            nint ids = (nint)pInputs;
            nint resLo = residualLower.IsEmpty ? 0 : (nint)pResLo;
            nint resHi = residualUpper.IsEmpty ? 0 : (nint)pResHi;
            nint lo = (nint)pLower;
            ForBlocks(inputs.Length, DualBlock, parallel, (at, end) =>
            {
                var boxLower = new float[largest];
                var boxUpper = new float[largest];
                var segmentLower = new double[problem.SegmentCount];
                for (int r = at; r < end; r++)
                {
                    int input = ((int*)ids)[r];
                    for (int s = 0; s < segmentLower.Length; s++)
                    {
                        segmentLower[s] = SummaryArithmetic.DualLower(problem, s, input, boxLower, boxUpper);
                    }

                    double rl = resLo == 0 ? 0 : ((double*)resLo)[r];
                    double rh = resHi == 0 ? 0 : ((double*)resHi)[r];
                    double ignoredUpper = double.PositiveInfinity;
                    SummaryArithmetic.Intersect(problem, input, rl, rh, segmentLower, ref ((double*)lo)[r], ref ignoredUpper);
                }
            });
        }
    }

    /// <summary>Runs <paramref name="body"/> over [0, count) in blocks of <paramref name="block"/>, across cores when asked.</summary>
    private static void ForBlocks(int count, int block, bool parallel, Action<int, int> body)
    {
        int blocks = (count + block - 1) / block;
        if (!parallel || blocks < 2 || Environment.ProcessorCount < 2)
        {
            for (int b = 0; b < blocks; b++)
            {
                body(b * block, Math.Min(count, (b + 1) * block));
            }

            return;
        }

        Parallel.For(0, blocks, b => body(b * block, Math.Min(count, (b + 1) * block)));
    }
}
