using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace DeepEverest.Kernels.Simd;

/// <content>
/// Vector versions of <see cref="IKernels.ExactCosts"/> for 8 (AVX-512) or 4 (AVX2) rows at a
/// time: blocks of 8x8 (4x4) activations are loaded row by row, widened and transposed in
/// registers so that each vector holds one neuron of all rows, and each lane walks its own row in
/// neuron order. The last g % 8 (g % 4) neurons use an AVX2 gather, g floats apart.
/// </content>
internal sealed partial class SimdKernels
{
    private unsafe void CostRowsParallel<TTerm, TComb>(CostPlan plan, ReadOnlySpan<float> activations, int rows, Span<double> costs)
        where TTerm : ITerm
        where TComb : ICombine
    {
        int g = plan.Neurons;
        int blocks = (rows + RowBlock - 1) / RowBlock;
        fixed (float* pAct = activations)
        fixed (double* pCosts = costs)
        {
            // Spans cannot enter a lambda; the pinned addresses can, and stay valid until the loop ends.
            nint act = (nint)pAct;
            nint cst = (nint)pCosts;
            Parallel.For(0, blocks, c =>
            {
                int r0 = c * RowBlock;
                int count = Math.Min(RowBlock, rows - r0);
                CostRows<TTerm, TComb>(
                    plan,
                    new ReadOnlySpan<float>((float*)act + ((long)r0 * g), count * g),
                    count,
                    new Span<double>((double*)cst + r0, count));
            });
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe int CostRows512<TTerm, TComb>(CostPlan plan, ReadOnlySpan<float> activations, int rows, Span<double> costs)
        where TTerm : ITerm
        where TComb : ICombine
    {
        int g = plan.Neurons;
        Vector256<int> offsets = Vector256<int>.Indices * g;
        Double512 groupSize = Double512.Create(g);
        int r = 0;
        fixed (float* act = activations)
        fixed (double* target = plan.Target, weight = plan.Weight, dst = costs)
        {
            for (; r <= rows - 8; r += 8)
            {
                float* row = act + ((long)r * g);
                Double512 acc = Double512.Zero;
                int j = 0;
                for (; j <= g - 8; j += 8)
                {
                    // 8 rows x 8 neurons in registers, transposed so that each vector is one neuron.
                    Transpose8x8(row + j, g, out var c0, out var c1, out var c2, out var c3, out var c4, out var c5, out var c6, out var c7);
                    acc = TComb.Invoke(acc, TTerm.Invoke(new Double512(c0), Double512.Create(target[j]), Double512.Create(weight[j])));
                    acc = TComb.Invoke(acc, TTerm.Invoke(new Double512(c1), Double512.Create(target[j + 1]), Double512.Create(weight[j + 1])));
                    acc = TComb.Invoke(acc, TTerm.Invoke(new Double512(c2), Double512.Create(target[j + 2]), Double512.Create(weight[j + 2])));
                    acc = TComb.Invoke(acc, TTerm.Invoke(new Double512(c3), Double512.Create(target[j + 3]), Double512.Create(weight[j + 3])));
                    acc = TComb.Invoke(acc, TTerm.Invoke(new Double512(c4), Double512.Create(target[j + 4]), Double512.Create(weight[j + 4])));
                    acc = TComb.Invoke(acc, TTerm.Invoke(new Double512(c5), Double512.Create(target[j + 5]), Double512.Create(weight[j + 5])));
                    acc = TComb.Invoke(acc, TTerm.Invoke(new Double512(c6), Double512.Create(target[j + 6]), Double512.Create(weight[j + 6])));
                    acc = TComb.Invoke(acc, TTerm.Invoke(new Double512(c7), Double512.Create(target[j + 7]), Double512.Create(weight[j + 7])));
                }

                for (; j < g; j++)
                {
                    Vector512<double> a = Avx512F.ConvertToVector512Double(Avx2.GatherVector256(row + j, offsets, 4));
                    acc = TComb.Invoke(acc, TTerm.Invoke(new Double512(a), Double512.Create(target[j]), Double512.Create(weight[j])));
                }

                Finish(acc, plan.Finish, groupSize).Value.Store(dst + r);
            }
        }

        return r;
    }

    /// <summary>
    /// Loads 8 floats from each of 8 rows (<paramref name="stride"/> floats apart), widens them and
    /// transposes the 8x8 block: <c>c[k]</c> holds column k of the 8 rows. Three shuffle stages
    /// (pairs, 128-bit halves, 256-bit halves), four times faster than gathers on Zen 4.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Transpose8x8(
        float* p,
        int stride,
        out Vector512<double> c0,
        out Vector512<double> c1,
        out Vector512<double> c2,
        out Vector512<double> c3,
        out Vector512<double> c4,
        out Vector512<double> c5,
        out Vector512<double> c6,
        out Vector512<double> c7)
    {
        Vector512<double> x0 = Avx512F.ConvertToVector512Double(Vector256.Load(p));
        Vector512<double> x1 = Avx512F.ConvertToVector512Double(Vector256.Load(p + stride));
        Vector512<double> x2 = Avx512F.ConvertToVector512Double(Vector256.Load(p + (2 * stride)));
        Vector512<double> x3 = Avx512F.ConvertToVector512Double(Vector256.Load(p + (3 * stride)));
        Vector512<double> x4 = Avx512F.ConvertToVector512Double(Vector256.Load(p + (4 * stride)));
        Vector512<double> x5 = Avx512F.ConvertToVector512Double(Vector256.Load(p + (5 * stride)));
        Vector512<double> x6 = Avx512F.ConvertToVector512Double(Vector256.Load(p + (6 * stride)));
        Vector512<double> x7 = Avx512F.ConvertToVector512Double(Vector256.Load(p + (7 * stride)));
        Vector512<double> a0 = Avx512F.UnpackLow(x0, x1);
        Vector512<double> a1 = Avx512F.UnpackHigh(x0, x1);
        Vector512<double> a2 = Avx512F.UnpackLow(x2, x3);
        Vector512<double> a3 = Avx512F.UnpackHigh(x2, x3);
        Vector512<double> a4 = Avx512F.UnpackLow(x4, x5);
        Vector512<double> a5 = Avx512F.UnpackHigh(x4, x5);
        Vector512<double> a6 = Avx512F.UnpackLow(x6, x7);
        Vector512<double> a7 = Avx512F.UnpackHigh(x6, x7);
        Vector512<double> b0 = Avx512F.Shuffle4x128(a0, a2, 0x88);
        Vector512<double> b1 = Avx512F.Shuffle4x128(a1, a3, 0x88);
        Vector512<double> b2 = Avx512F.Shuffle4x128(a0, a2, 0xDD);
        Vector512<double> b3 = Avx512F.Shuffle4x128(a1, a3, 0xDD);
        Vector512<double> b4 = Avx512F.Shuffle4x128(a4, a6, 0x88);
        Vector512<double> b5 = Avx512F.Shuffle4x128(a5, a7, 0x88);
        Vector512<double> b6 = Avx512F.Shuffle4x128(a4, a6, 0xDD);
        Vector512<double> b7 = Avx512F.Shuffle4x128(a5, a7, 0xDD);
        c0 = Avx512F.Shuffle4x128(b0, b4, 0x88);
        c4 = Avx512F.Shuffle4x128(b0, b4, 0xDD);
        c1 = Avx512F.Shuffle4x128(b1, b5, 0x88);
        c5 = Avx512F.Shuffle4x128(b1, b5, 0xDD);
        c2 = Avx512F.Shuffle4x128(b2, b6, 0x88);
        c6 = Avx512F.Shuffle4x128(b2, b6, 0xDD);
        c3 = Avx512F.Shuffle4x128(b3, b7, 0x88);
        c7 = Avx512F.Shuffle4x128(b3, b7, 0xDD);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe int CostRows256<TTerm, TComb>(CostPlan plan, ReadOnlySpan<float> activations, int rows, Span<double> costs)
        where TTerm : ITerm
        where TComb : ICombine
    {
        int g = plan.Neurons;
        Vector128<int> offsets = Vector128<int>.Indices * g;
        Double256 groupSize = Double256.Create(g);
        int r = 0;
        fixed (float* act = activations)
        fixed (double* target = plan.Target, weight = plan.Weight, dst = costs)
        {
            for (; r <= rows - 4; r += 4)
            {
                float* row = act + ((long)r * g);
                Double256 acc = Double256.Zero;
                int j = 0;
                for (; j <= g - 4; j += 4)
                {
                    // 4 rows x 4 neurons, transposed in registers: unpack pairs, then swap 128-bit halves.
                    Vector256<double> x0 = Avx.ConvertToVector256Double(Vector128.Load(row + j));
                    Vector256<double> x1 = Avx.ConvertToVector256Double(Vector128.Load(row + g + j));
                    Vector256<double> x2 = Avx.ConvertToVector256Double(Vector128.Load(row + (2 * g) + j));
                    Vector256<double> x3 = Avx.ConvertToVector256Double(Vector128.Load(row + (3 * g) + j));
                    Vector256<double> a0 = Avx.UnpackLow(x0, x1);
                    Vector256<double> a1 = Avx.UnpackHigh(x0, x1);
                    Vector256<double> a2 = Avx.UnpackLow(x2, x3);
                    Vector256<double> a3 = Avx.UnpackHigh(x2, x3);
                    acc = TComb.Invoke(acc, TTerm.Invoke(new Double256(Avx.Permute2x128(a0, a2, 0x20)), Double256.Create(target[j]), Double256.Create(weight[j])));
                    acc = TComb.Invoke(acc, TTerm.Invoke(new Double256(Avx.Permute2x128(a1, a3, 0x20)), Double256.Create(target[j + 1]), Double256.Create(weight[j + 1])));
                    acc = TComb.Invoke(acc, TTerm.Invoke(new Double256(Avx.Permute2x128(a0, a2, 0x31)), Double256.Create(target[j + 2]), Double256.Create(weight[j + 2])));
                    acc = TComb.Invoke(acc, TTerm.Invoke(new Double256(Avx.Permute2x128(a1, a3, 0x31)), Double256.Create(target[j + 3]), Double256.Create(weight[j + 3])));
                }

                for (; j < g; j++)
                {
                    Vector256<double> a = Avx.ConvertToVector256Double(Avx2.GatherVector128(row + j, offsets, 4));
                    acc = TComb.Invoke(acc, TTerm.Invoke(new Double256(a), Double256.Create(target[j]), Double256.Create(weight[j])));
                }

                Finish(acc, plan.Finish, groupSize).Value.Store(dst + r);
            }
        }

        return r;
    }
}
