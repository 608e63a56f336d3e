using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace DeepEverest.Kernels.Simd;

/// <content>
/// <see cref="IKernels.GroupBounds"/>: coarse bounds from integer terms summed exactly. Inputs are
/// processed in chunks whose two float accumulators stay in L1. First every neuron's table terms
/// pass over the chunk (vector lanes run across inputs, 16 per AVX-512 register; with P &lt;= 16
/// both bounds' terms of eight neurons are summed in 16-bit halves first), then the chunk's MAI
/// entries add their terms. Every partial sum is an integer within 2^24, so any order gives the
/// definition's bits. (Table entry 0 is 0, and adding +0 changes nothing.) Finally the sums are
/// widened to double, scaled and finished.
/// </content>
internal sealed partial class SimdKernels
{
    /// <summary>Inputs per chunk: a multiple of 16, with two float accumulators of 16 KiB each, and
    /// one MAI block (<see cref="BoundsProblem.MaiBlockInputs"/>).</summary>
    internal const int ChunkInputs = BoundsProblem.MaiBlockInputs;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void GroupBounds(in BoundsProblem problem, Span<double> lower, Span<double> upper)
    {
        KernelArguments.CheckBounds(problem, lower, upper);
        int n = problem.Inputs;

        if (n == 0)
        {
            return;
        }

        var plan = new BoundsPlan(problem, Path, UseMultiShift);
        int chunks = (n + ChunkInputs - 1) / ChunkInputs;
        // Finishing an input (widening, two square roots for l2, two stores) costs about as much as
        // combining 16 neurons, so even g = 1 over 70,000 inputs is worth both cores.
        if ((long)n * (plan.Neurons + 16) >= ParallelThreshold && chunks > 1 && Environment.ProcessorCount > 1)
        {
            GroupBoundsParallel(plan, chunks, lower, upper);
            return;
        }

        var scratch = new BoundsScratch();
        for (int c = 0; c < chunks; c++)
        {
            int i0 = c * ChunkInputs;
            int len = Math.Min(ChunkInputs, n - i0);
            BoundsChunk(plan, i0, len, scratch, lower.Slice(i0, len), upper.Slice(i0, len));
        }
    }

    /// <summary>Bounds of inputs [i0, i0 + len) into <paramref name="lower"/> / <paramref name="upper"/> (length len).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void BoundsChunk(BoundsPlan plan, int i0, int len, BoundsScratch scratch, Span<double> lower, Span<double> upper)
    {
        Span<float> accLo = scratch.AccLower.AsSpan(0, len);
        Span<float> accHi = scratch.AccUpper.AsSpan(0, len);
        if (plan.ByMax)
        {
            CombineChunk<FloatMax>(plan, i0, scratch, accLo, accHi);
        }
        else
        {
            CombineChunk<FloatSum>(plan, i0, scratch, accLo, accHi);
        }

        BoundsProblem pr = plan.Problem;
        (double lowerScale, double lowerOffset, double upperScale, double upperOffset, FinishKind finish) =
            (pr.LowerScale, -pr.LowerSlack, pr.UpperScale, pr.UpperSlack, plan.Finish);
        bool root = finish == FinishKind.Sqrt;
        if (root)
        {
            // BoundsProblem.FinishLower: l2 takes the square root of the float sum, then scales.
            (lowerScale, lowerOffset, upperScale, upperOffset, finish) = (pr.SqrtLowerFactor, 0.0, pr.SqrtUpperFactor, 0.0, FinishKind.None);
        }

        if (plan.Path == SimdPath.Vector512)
        {
            FinishSums512(accLo, lower, root, lowerScale, lowerOffset, finish, plan.Neurons);
            FinishSums512(accHi, upper, root, upperScale, upperOffset, finish, plan.Neurons);
            return;
        }

        if (plan.Path == SimdPath.Vector256)
        {
            FinishSums256(accLo, lower, root, lowerScale, lowerOffset, finish, plan.Neurons);
            FinishSums256(accHi, upper, root, upperScale, upperOffset, finish, plan.Neurons);
            return;
        }

        if (root)
        {
            SqrtInPlace(plan.Path, accLo);
            SqrtInPlace(plan.Path, accHi);
        }

        Span<double> widened = scratch.Widened.AsSpan(0, len);
        Widen(plan.Path, accLo, widened);
        FinishSpan(plan.Path, widened, lower, lowerScale, lowerOffset, finish, plan.Neurons);
        Widen(plan.Path, accHi, widened);
        FinishSpan(plan.Path, widened, upper, upperScale, upperOffset, finish, plan.Neurons);
    }

    /// <summary>Correctly rounded float square roots in place (every width rounds like
    /// <see cref="MathF.Sqrt"/>; the 512-bit path takes them in <see cref="FinishSums512"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void SqrtInPlace(SimdPath path, Span<float> sums)
    {
        int i = 0;
        switch (path)
        {
            case SimdPath.Vector256:
                for (; i <= sums.Length - 8; i += 8)
                {
                    Vector256.Sqrt(Vector256.Create(sums.Slice(i, 8))).CopyTo(sums.Slice(i, 8));
                }

                break;
            case SimdPath.VectorT:
                for (; i <= sums.Length - Vector<float>.Count; i += Vector<float>.Count)
                {
                    Vector.SquareRoot(new Vector<float>(sums.Slice(i, Vector<float>.Count))).CopyTo(sums.Slice(i, Vector<float>.Count));
                }

                break;
        }

        for (; i < sums.Length; i++)
        {
            sums[i] = MathF.Sqrt(sums[i]);
        }
    }

    /// <summary>Combines neuron j's table terms for chunk inputs [done, len) one input at a time.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ScalarPass<TComb>(BoundsPlan plan, int j, int i0, int done, Span<float> accLo, Span<float> accHi)
        where TComb : IFloatCombine
    {
        BoundsProblem pr = plan.Problem;
        ReadOnlySpan<byte> stream = pr.Codes.AsSpan(j * pr.Stride, pr.Stride);
        ReadOnlySpan<float> tLo = plan.TableLower.AsSpan(j * plan.TableStride, plan.TableStride);
        ReadOnlySpan<float> tHi = plan.TableUpper.AsSpan(j * plan.TableStride, plan.TableStride);
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
    private static int IndexedPass<TComb>(BoundsPlan plan, int j, int i0, Span<float> accLo, Span<float> accHi)
        where TComb : IFloatCombine
    {
        BoundsProblem pr = plan.Problem;
        int width = Vector<float>.Count;
        int groups = accLo.Length / width;
        Span<float> laneLo = stackalloc float[width];
        Span<float> laneHi = stackalloc float[width];
        ReadOnlySpan<byte> stream = pr.Codes.AsSpan(j * pr.Stride, pr.Stride);
        int row = j * plan.TableStride;
        for (int gi = 0; gi < groups; gi++)
        {
            int at = gi * width;
            for (int k = 0; k < width; k++)
            {
                int code = CodePacking.CodeAt(stream, pr.Bits, (long)i0 + at + k);
                laneLo[k] = plan.TableLower[row + code];
                laneHi[k] = plan.TableUpper[row + code];
            }

            TComb.Invoke(new Vector<float>(accLo.Slice(at, width)), new Vector<float>(laneLo)).CopyTo(accLo.Slice(at, width));
            TComb.Invoke(new Vector<float>(accHi.Slice(at, width)), new Vector<float>(laneHi)).CopyTo(accHi.Slice(at, width));
        }

        return groups * width;
    }

    /// <summary>
    /// <c>dst[i] = Finish(x * scale + offset)</c> with x = sums[i], or its float square root when
    /// <paramref name="root"/>, 16 sums per step, widened in registers.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void FinishSums512(ReadOnlySpan<float> sums, Span<double> dst, bool root, double scale, double offset, FinishKind kind, int groupSize)
    {
        Double512 g = Double512.Create(groupSize);
        Vector512<double> s = Vector512.Create(scale);
        Vector512<double> o = Vector512.Create(offset);
        int i = 0;
        for (; i <= sums.Length - 16; i += 16)
        {
            Vector512<float> v = Vector512.Create(sums.Slice(i, 16));
            if (root)
            {
                v = Vector512.Sqrt(v);
            }

            Finish(new Double512((Vector512.WidenLower(v) * s) + o), kind, g).Value.CopyTo(dst.Slice(i, 8));
            Finish(new Double512((Vector512.WidenUpper(v) * s) + o), kind, g).Value.CopyTo(dst.Slice(i + 8, 8));
        }

        for (; i < sums.Length; i++)
        {
            dst[i] = Finish(((double)(root ? MathF.Sqrt(sums[i]) : sums[i]) * scale) + offset, kind, groupSize);
        }
    }

    /// <summary>
    /// <see cref="FinishSums512"/> at 256 bits: 8 sums per step (the same operations per lane, so
    /// the same bits as the separate square root, widening and finishing passes of other widths).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void FinishSums256(ReadOnlySpan<float> sums, Span<double> dst, bool root, double scale, double offset, FinishKind kind, int groupSize)
    {
        Double256 g = Double256.Create(groupSize);
        Vector256<double> s = Vector256.Create(scale);
        Vector256<double> o = Vector256.Create(offset);
        int i = 0;
        for (; i <= sums.Length - 8; i += 8)
        {
            Vector256<float> v = Vector256.Create(sums.Slice(i, 8));
            if (root)
            {
                v = Vector256.Sqrt(v);
            }

            Finish(new Double256((Vector256.WidenLower(v) * s) + o), kind, g).Value.CopyTo(dst.Slice(i, 4));
            Finish(new Double256((Vector256.WidenUpper(v) * s) + o), kind, g).Value.CopyTo(dst.Slice(i + 4, 4));
        }

        for (; i < sums.Length; i++)
        {
            dst[i] = Finish(((double)(root ? MathF.Sqrt(sums[i]) : sums[i]) * scale) + offset, kind, groupSize);
        }
    }

    /// <summary>Float sums to doubles (exact) at the given width (the 512-bit path widens in
    /// registers, in <see cref="FinishSums512"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void Widen(SimdPath path, ReadOnlySpan<float> sums, Span<double> widened)
    {
        int i = 0;
        switch (path)
        {
            case SimdPath.Vector256:
                for (; i <= sums.Length - 8; i += 8)
                {
                    Vector256<float> v = Vector256.Create(sums.Slice(i, 8));
                    Vector256.WidenLower(v).CopyTo(widened.Slice(i, 4));
                    Vector256.WidenUpper(v).CopyTo(widened.Slice(i + 4, 4));
                }

                break;
            case SimdPath.VectorT:
                int width = Vector<float>.Count;
                for (; i <= sums.Length - width; i += width)
                {
                    Vector.Widen(new Vector<float>(sums.Slice(i, width)), out Vector<double> low, out Vector<double> high);
                    low.CopyTo(widened.Slice(i, width / 2));
                    high.CopyTo(widened.Slice(i + (width / 2), width / 2));
                }

                break;
        }

        for (; i < sums.Length; i++)
        {
            widened[i] = sums[i];
        }
    }

    /// <summary>
    /// <c>dst[i] = Finish(acc[i] * scale + offset)</c> at the given width (scalar tail); offset is
    /// the negated lower slack or the upper slack, so the scalar definition's subtraction and
    /// this addition give the same bits.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void FinishSpan(SimdPath path, ReadOnlySpan<double> acc, Span<double> dst, double scale, double offset, FinishKind kind, int groupSize)
    {
        int done = path switch
        {
            SimdPath.Vector512 => FinishSpan<Double512>(acc, dst, scale, offset, kind, groupSize),
            SimdPath.Vector256 => FinishSpan<Double256>(acc, dst, scale, offset, kind, groupSize),
            SimdPath.VectorT => FinishSpan<DoubleT>(acc, dst, scale, offset, kind, groupSize),
            _ => 0,
        };
        for (int i = done; i < acc.Length; i++)
        {
            dst[i] = Finish((acc[i] * scale) + offset, kind, groupSize);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int FinishSpan<TVec>(ReadOnlySpan<double> acc, Span<double> dst, double scale, double offset, FinishKind kind, int groupSize)
        where TVec : struct, ISimdDouble<TVec>
    {
        int width = TVec.Count;
        TVec g = TVec.Create(groupSize);
        TVec s = TVec.Create(scale);
        TVec o = TVec.Create(offset);
        int i = 0;
        for (; i <= acc.Length - width; i += width)
        {
            TVec x = TVec.Add(TVec.Multiply(TVec.Create(acc.Slice(i, width)), s), o);
            TVec.CopyTo(Finish(x, kind, g), dst.Slice(i, width));
        }

        return i;
    }
}
