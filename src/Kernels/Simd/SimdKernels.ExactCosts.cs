using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;

namespace DeepEverest.Kernels.Simd;

/// <content>
/// <see cref="IKernels.ExactCosts"/>: each lane is one row; the row's g activations are combined
/// in neuron order, as in <see cref="CostFunction.Cost"/>. A NaN activation makes its row's cost
/// NaN (every term and combine propagates it), which <see cref="IKernels.SelectTopK"/> never
/// selects.
/// </content>
internal sealed partial class SimdKernels
{
    /// <summary>Rows per parallel work item.</summary>
    internal const int RowBlock = 512;

    /// <inheritdoc/>
    public void ExactCosts(in CostFunction cost, ReadOnlySpan<float> activations, int rows, Span<double> costs)
    {
        KernelArguments.CheckExactCosts(cost, activations, rows, costs);
        int g = cost.GroupSize;

        if (rows == 0)
        {
            return;
        }

        var plan = new CostPlan(cost);
        switch (cost.Kind)
        {
            case ScoreKind.L2:
                ExactCosts<SquaredTerm, SumCombine>(plan, activations, rows, costs);
                break;
            case ScoreKind.L1:
                ExactCosts<AbsoluteTerm, SumCombine>(plan, activations, rows, costs);
                break;
            case ScoreKind.LInf:
                ExactCosts<AbsoluteTerm, MaxCombine>(plan, activations, rows, costs);
                break;
            case ScoreKind.L2Norm:
                ExactCosts<NegatedSquareTerm, SumCombine>(plan, activations, rows, costs);
                break;
            default:
                ExactCosts<NegatedTerm, SumCombine>(plan, activations, rows, costs);
                break;
        }
    }

    private void ExactCosts<TTerm, TComb>(CostPlan plan, ReadOnlySpan<float> activations, int rows, Span<double> costs)
        where TTerm : ITerm
        where TComb : ICombine
    {
        // As for the bounds, finishing a row costs about as much as 16 neurons' terms.
        if ((long)rows * (plan.Neurons + 16) >= ParallelThreshold && rows >= 2 * RowBlock && Environment.ProcessorCount > 1)
        {
            CostRowsParallel<TTerm, TComb>(plan, activations, rows, costs);
        }
        else
        {
            CostRows<TTerm, TComb>(plan, activations, rows, costs);
        }
    }

    /// <summary>Costs of <paramref name="rows"/> rows starting at the start of the spans.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void CostRows<TTerm, TComb>(CostPlan plan, ReadOnlySpan<float> activations, int rows, Span<double> costs)
        where TTerm : ITerm
        where TComb : ICombine
    {
        int done = Path switch
        {
            SimdPath.Vector512 when Avx512F.IsSupported && Avx2.IsSupported => CostRows512<TTerm, TComb>(plan, activations, rows, costs),
            SimdPath.Vector256 when Avx2.IsSupported => CostRows256<TTerm, TComb>(plan, activations, rows, costs),
            SimdPath.Vector512 => CostRowsIndexed<Double512, TTerm, TComb>(plan, activations, rows, costs),
            SimdPath.Vector256 => CostRowsIndexed<Double256, TTerm, TComb>(plan, activations, rows, costs),
            SimdPath.VectorT => CostRowsIndexed<DoubleT, TTerm, TComb>(plan, activations, rows, costs),
            _ => 0,
        };
        int g = plan.Neurons;
        for (int r = done; r < rows; r++)
        {
            ReadOnlySpan<float> row = activations.Slice(r * g, g);
            double acc = 0;
            for (int j = 0; j < g; j++)
            {
                acc = TComb.Invoke(acc, TTerm.Invoke(row[j], plan.Target[j], plan.Weight[j]));
            }

            costs[r] = Finish(acc, plan.Finish, g);
        }
    }

    /// <summary>The portable vector version: lanes are filled from a buffer of widened activations.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int CostRowsIndexed<TVec, TTerm, TComb>(CostPlan plan, ReadOnlySpan<float> activations, int rows, Span<double> costs)
        where TVec : struct, ISimdDouble<TVec>
        where TTerm : ITerm
        where TComb : ICombine
    {
        int width = TVec.Count;
        int g = plan.Neurons;
        TVec groupSize = TVec.Create(g);
        Span<double> lanes = stackalloc double[width];
        int r = 0;
        for (; r <= rows - width; r += width)
        {
            TVec acc = TVec.Zero;
            for (int j = 0; j < g; j++)
            {
                for (int k = 0; k < width; k++)
                {
                    lanes[k] = activations[((r + k) * g) + j];
                }

                acc = TComb.Invoke(acc, TTerm.Invoke(TVec.Create(lanes), TVec.Create(plan.Target[j]), TVec.Create(plan.Weight[j])));
            }

            TVec.CopyTo(Finish(acc, plan.Finish, groupSize), costs.Slice(r, width));
        }

        return r;
    }
}
