using System.Runtime.CompilerServices;

namespace DeepEverest.Kernels.Simd;

/// <content>
/// <see cref="IKernels.RefineBounds"/>: tight double bounds of a few inputs (the candidates the
/// coarse bounds leave), neuron by neuron over blocks of inputs so each neuron's codes and tables
/// are read in one sweep, with the scalar definition's operations in its order.
/// </content>
internal sealed partial class SimdKernels
{
    /// <summary>Inputs per block of <see cref="RefineBounds"/>.</summary>
    private const int RefineBlock = 1024;

    /// <inheritdoc/>
    public void RefineBounds(in BoundsProblem problem, ReadOnlySpan<int> inputs, Span<double> lower, Span<double> upper) =>
        RefineOnHost(problem, inputs, lower, upper);

    /// <summary>The host implementation, shared with the GPU backend (candidates are few).</summary>
    internal static unsafe void RefineOnHost(BoundsProblem problem, ReadOnlySpan<int> inputs, Span<double> lower, Span<double> upper)
    {
        KernelArguments.CheckRefine(problem, inputs, lower, upper);

        int count = inputs.Length;
        int blocks = (count + RefineBlock - 1) / RefineBlock;
        if ((long)count * problem.Cost.GroupSize < ParallelThreshold || blocks < 2 || Environment.ProcessorCount < 2)
        {
            for (int b = 0; b < blocks; b++)
            {
                int at = b * RefineBlock;
                int len = Math.Min(RefineBlock, count - at);
                RefineBlockOf(problem, inputs.Slice(at, len), lower.Slice(at, len), upper.Slice(at, len));
            }

            return;
        }

        fixed (int* pInputs = inputs)
        fixed (double* pLower = lower, pUpper = upper)
        {
            // Spans cannot enter a lambda; the pinned addresses can, and stay valid until the loop ends.
            nint ids = (nint)pInputs;
            nint lo = (nint)pLower;
            nint hi = (nint)pUpper;
            Parallel.For(0, blocks, b =>
            {
                int at = b * RefineBlock;
                int len = Math.Min(RefineBlock, count - at);
                RefineBlockOf(
                    problem,
                    new ReadOnlySpan<int>((int*)ids + at, len),
                    new Span<double>((double*)lo + at, len),
                    new Span<double>((double*)hi + at, len));
            });
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RefineBlockOf(BoundsProblem problem, ReadOnlySpan<int> inputs, Span<double> lower, Span<double> upper)
    {
        CostFunction cost = problem.Cost;
        int g = cost.GroupSize;
        int p = problem.Partitions;
        Span<double> accLo = lower[..inputs.Length];
        Span<double> accHi = upper[..inputs.Length];
        accLo.Clear();
        accHi.Clear();
        for (int j = 0; j < g; j++)
        {
            ReadOnlySpan<byte> stream = problem.Codes.AsSpan(j * problem.Stride, problem.Stride);
            ReadOnlySpan<double> tLo = problem.TermLower.AsSpan(j * p, p);
            ReadOnlySpan<double> tHi = problem.TermUpper.AsSpan(j * p, p);
            for (int r = 0; r < inputs.Length; r++)
            {
                int code = CodePacking.CodeAt(stream, problem.Bits, inputs[r]);
                double termLo = tLo[code];
                double termHi = tHi[code];
                if (code == 0)
                {
                    int e = problem.FindMai(j, inputs[r]);
                    if (e >= 0)
                    {
                        termLo = termHi = problem.MaiTerms[e];
                    }
                }

                accLo[r] = cost.Combine(accLo[r], termLo);
                accHi[r] = cost.Combine(accHi[r], termHi);
            }
        }

        for (int r = 0; r < inputs.Length; r++)
        {
            accLo[r] = cost.Finish(accLo[r]);
            accHi[r] = cost.Finish(accHi[r]);
        }
    }
}
