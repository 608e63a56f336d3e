using System.Runtime.CompilerServices;

namespace DeepEverest.Kernels.Simd;

/// <content>
/// <see cref="IKernels.GroupBounds"/>. Inputs are processed in chunks whose two accumulators stay
/// in L1; neurons pass over a chunk one after the other, so each input sees its terms combined in
/// group order exactly as in the scalar definition. For one neuron, a vector pass combines the
/// table term of every input's code (the term table is loaded into registers once), then that
/// neuron's MAI entries inside the chunk whose code is 0 are combined with their exact terms.
/// This is exact because table entry 0 is 0 and combining +0.0 leaves an accumulator unchanged
/// (sums start at +0.0 and never become -0.0; linf terms are >= 0), so an MAI input ends up with
/// exactly one combine of its exact term, at its neuron's turn.
/// </content>
internal sealed partial class SimdKernels
{
    /// <summary>Inputs per chunk: a multiple of 8, with two accumulators of 16 KiB each.</summary>
    internal const int ChunkInputs = 2048;

    /// <inheritdoc/>
    public void GroupBounds(in BoundsProblem problem, Span<double> lower, Span<double> upper)
    {
        ArgumentNullException.ThrowIfNull(problem);
        int n = problem.Inputs;
        if (lower.Length < n || upper.Length < n)
        {
            throw new ArgumentException($"Bounds need room for {n} inputs.", lower.Length < n ? nameof(lower) : nameof(upper));
        }

        if (n == 0)
        {
            return;
        }

        var plan = new BoundsPlan(problem, Path);
        int chunks = (n + ChunkInputs - 1) / ChunkInputs;
        // Finishing an input (two square roots for l2, two stores) costs about as much as combining
        // 16 neurons, so even g = 1 over 70,000 inputs is worth both cores.
        if ((long)n * (plan.Neurons + 16) >= ParallelThreshold && chunks > 1 && Environment.ProcessorCount > 1)
        {
            GroupBoundsParallel(plan, chunks, lower, upper);
            return;
        }

        var scratch = new BoundsScratch(plan.Neurons);
        for (int c = 0; c < chunks; c++)
        {
            int i0 = c * ChunkInputs;
            int len = Math.Min(ChunkInputs, n - i0);
            BoundsChunk(plan, i0, len, scratch, lower.Slice(i0, len), upper.Slice(i0, len));
        }
    }

    /// <summary>Bounds of inputs [i0, i0 + len) into <paramref name="lower"/> / <paramref name="upper"/> (length len).</summary>
    internal static void BoundsChunk(BoundsPlan plan, int i0, int len, BoundsScratch scratch, Span<double> lower, Span<double> upper)
    {
        Span<double> accLo = scratch.AccLower.AsSpan(0, len);
        Span<double> accHi = scratch.AccUpper.AsSpan(0, len);
        accLo.Clear();
        accHi.Clear();
        if (plan.ByMax)
        {
            CombineChunk<MaxCombine>(plan, i0, scratch, accLo, accHi);
        }
        else
        {
            CombineChunk<SumCombine>(plan, i0, scratch, accLo, accHi);
        }

        scratch.CursorInput = i0 + len;

        FinishSpan(plan.Path, accLo, lower, plan.Finish, plan.Neurons);
        FinishSpan(plan.Path, accHi, upper, plan.Finish, plan.Neurons);
    }

    /// <summary>Combines neuron j's table terms for chunk inputs [done, len) one input at a time.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ScalarPass<TComb>(BoundsPlan plan, int j, int i0, int done, Span<double> accLo, Span<double> accHi)
        where TComb : ICombine
    {
        BoundsProblem pr = plan.Problem;
        ReadOnlySpan<byte> stream = pr.Codes.AsSpan(j * pr.Stride, pr.Stride);
        ReadOnlySpan<double> tLo = pr.TermLower.AsSpan(j * pr.Partitions, pr.Partitions);
        ReadOnlySpan<double> tHi = pr.TermUpper.AsSpan(j * pr.Partitions, pr.Partitions);
        for (int i = done; i < accLo.Length; i++)
        {
            int code = CodePacking.CodeAt(stream, pr.Bits, (long)i0 + i);
            accLo[i] = TComb.Invoke(accLo[i], tLo[code]);
            accHi[i] = TComb.Invoke(accHi[i], tHi[code]);
        }
    }

    /// <summary>
    /// The portable vector pass: codes are read one by one into a lane buffer (any width, any P).
    /// Returns how many leading chunk inputs it covered.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int IndexedPass<TVec, TComb>(BoundsPlan plan, int j, int i0, Span<double> accLo, Span<double> accHi)
        where TVec : struct, ISimdDouble<TVec>
        where TComb : ICombine
    {
        BoundsProblem pr = plan.Problem;
        int width = TVec.Count;
        int groups = accLo.Length / width;
        Span<double> laneLo = stackalloc double[width];
        Span<double> laneHi = stackalloc double[width];
        ReadOnlySpan<byte> stream = pr.Codes.AsSpan(j * pr.Stride, pr.Stride);
        int row = j * pr.Partitions;
        for (int gi = 0; gi < groups; gi++)
        {
            int at = gi * width;
            for (int k = 0; k < width; k++)
            {
                int code = CodePacking.CodeAt(stream, pr.Bits, (long)i0 + at + k);
                laneLo[k] = pr.TermLower[row + code];
                laneHi[k] = pr.TermUpper[row + code];
            }

            TVec.CopyTo(TComb.Invoke(TVec.Create(accLo.Slice(at, width)), TVec.Create(laneLo)), accLo.Slice(at, width));
            TVec.CopyTo(TComb.Invoke(TVec.Create(accHi.Slice(at, width)), TVec.Create(laneHi)), accHi.Slice(at, width));
        }

        return groups * width;
    }

    /// <summary>Finishes accumulators into costs at the given width (scalar tail).</summary>
    internal static void FinishSpan(SimdPath path, ReadOnlySpan<double> acc, Span<double> dst, FinishKind kind, int groupSize)
    {
        int done = path switch
        {
            SimdPath.Vector512 => FinishSpan<Double512>(acc, dst, kind, groupSize),
            SimdPath.Vector256 => FinishSpan<Double256>(acc, dst, kind, groupSize),
            SimdPath.VectorT => FinishSpan<DoubleT>(acc, dst, kind, groupSize),
            _ => 0,
        };
        for (int i = done; i < acc.Length; i++)
        {
            dst[i] = Finish(acc[i], kind, groupSize);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int FinishSpan<TVec>(ReadOnlySpan<double> acc, Span<double> dst, FinishKind kind, int groupSize)
        where TVec : struct, ISimdDouble<TVec>
    {
        int width = TVec.Count;
        TVec g = TVec.Create(groupSize);
        int i = 0;
        for (; i <= acc.Length - width; i += width)
        {
            TVec.CopyTo(Finish(TVec.Create(acc.Slice(i, width)), kind, g), dst.Slice(i, width));
        }

        return i;
    }
}
