using ILGPU;
using ILGPU.Runtime.Cuda;

namespace DeepEverest.Kernels.Ilgpu;

/// <content>
/// The device kernels: one thread per input (bounds), row (costs), code (unpack), sorted element
/// (ranking) or output byte (packing). They take only views and unmanaged structs, and spell out
/// the scalar definition's arithmetic: the same operations in the same order, max written out with
/// .NET's NaN and signed-zero rules (PTX max.f64 drops NaN), and, on CUDA, multiplies and adds as
/// inline <c>mul.rn</c>/<c>add.rn</c>/<c>sub.rn</c>, because ILGPU emits plain <c>mul.f64</c> and
/// <c>add.f64</c>, which ptxas is allowed to contract into a fused multiply-add.
/// </content>
internal sealed partial class IlgpuKernels
{
    /// <summary>Coarse lower and upper bound of input <c>index</c> (see <see cref="IKernels.GroupBounds"/>).</summary>
    internal static void GroupBoundsKernel(
        Index1D index,
        ArrayView<byte> codes,
        ArrayView<float> termLower,
        ArrayView<float> termUpper,
        ArrayView<int> maiOffsets,
        ArrayView<int> maiIds,
        ArrayView<float> maiLower,
        ArrayView<float> maiUpper,
        ArrayView<double> lower,
        ArrayView<double> upper,
        BoundsParameters p)
    {
        int i = index.X;
        float lo = 0f;
        float hi = 0f;
        for (int j = 0; j < p.Neurons; j++)
        {
            int code = CodeAt(codes, (long)j * p.Stride, p.Bits, i);
            long cell = ((long)j * p.Partitions) + code;
            lo = Combine(lo, termLower[cell], p.ByMax);
            hi = Combine(hi, termUpper[cell], p.ByMax);
        }

        for (int j = 0; j < p.Neurons; j++)
        {
            if (CodeAt(codes, (long)j * p.Stride, p.Bits, i) == 0)
            {
                int e = FindMai(maiOffsets, maiIds, ((i / BoundsProblem.MaiBlockInputs) * p.Neurons) + j, i);
                if (e >= 0)
                {
                    lo = Combine(lo, maiLower[e], p.ByMax);
                    hi = Combine(hi, maiUpper[e], p.ByMax);
                }
            }
        }

        if (p.Finish == 1)
        {
            // l2 (BoundsProblem.FinishLower): the square root of the float sum, then scaled.
            lower[i] = Mul(Sqrt(lo), p.SqrtLowerFactor);
            upper[i] = Mul(Sqrt(hi), p.SqrtUpperFactor);
            return;
        }

        lower[i] = Finish(Sub(Mul(lo, p.LowerScale), p.LowerSlack), p.Finish, p.GroupSize);
        upper[i] = Finish(Add(Mul(hi, p.UpperScale), p.UpperSlack), p.Finish, p.GroupSize);
    }

    /// <summary>Exact cost of row <c>index</c> (see <see cref="IKernels.ExactCosts"/>).</summary>
    internal static void ExactCostsKernel(
        Index1D index,
        ArrayView<float> activations,
        ArrayView<double> target,
        ArrayView<double> weight,
        ArrayView<double> costs,
        CostParameters p)
    {
        long row = (long)index.X * p.Neurons;
        int byMax = p.Kind == (int)ScoreKind.LInf ? 1 : 0;
        double acc = 0.0;
        for (int j = 0; j < p.Neurons; j++)
        {
            double a = activations[row + j];
            double term;
            if (p.Kind == (int)ScoreKind.L2)
            {
                double d = Sub(a, target[j]);
                term = Mul(weight[j], Mul(d, d));
            }
            else if (p.Kind == (int)ScoreKind.L1 || p.Kind == (int)ScoreKind.LInf)
            {
                term = Mul(weight[j], Math.Abs(Sub(a, target[j])));
            }
            else if (p.Kind == (int)ScoreKind.L2Norm)
            {
                term = -Mul(a, a);
            }
            else
            {
                term = -a;
            }

            acc = Combine(acc, term, byMax);
        }

        costs[index] = Finish(acc, p.Finish, p.GroupSize);
    }

    /// <summary>Code <c>start + index</c> of a packed stream, one byte per code.</summary>
    internal static void UnpackCodesKernel(Index1D index, ArrayView<byte> packed, ArrayView<byte> codes, int bits, int start)
    {
        codes[index] = (byte)CodeAt(packed, 0, bits, (long)start + index.X);
    }

    /// <summary>
    /// Sort items of element <c>index</c> = j*n + i: key (j &lt;&lt; 32 | descending value key) and
    /// value i, so one stable ascending sort orders every neuron's inputs by (value desc, id asc).
    /// </summary>
    internal static void BuildKeysKernel(Index1D index, ArrayView<float> columns, ArrayView<ulong> keys, ArrayView<int> ids, int inputs)
    {
        int e = index.X;
        uint bits = Interop.FloatAsInt(columns[e]);
        if (bits == 0x8000_0000u)
        {
            bits = 0; // -0.0 ranks with +0.0, ties broken by id
        }

        uint negative = (bits & 0x8000_0000u) != 0 ? 0xFFFF_FFFFu : 0u;
        uint key = ~(bits ^ (negative | 0x8000_0000u));
        keys[e] = ((ulong)(uint)(e / inputs) << 32) | key;
        ids[e] = e % inputs;
    }

    /// <summary>
    /// Ranks: sorted element <c>index</c> is rank r = index % n of neuron j = index / n. Writes its
    /// MAI entry or its code (unpacked), and the extremes when it opens or closes a partition.
    /// </summary>
    internal static void BuildRanksKernel(
        Index1D index,
        ArrayView<int> sortedIds,
        ArrayView<float> columns,
        ArrayView<byte> unpacked,
        ArrayView<int> maiIds,
        ArrayView<float> maiValues,
        ArrayView<float> partMin,
        ArrayView<float> partMax,
        BuildParameters p)
    {
        int e = index.X;
        int j = e / p.Inputs;
        int r = e % p.Inputs;
        long row = (long)j * p.Inputs;
        int id = sortedIds[e];
        float value = columns[row + id];
        int code = RankCode(r, p);
        if (r < p.MaiCount)
        {
            maiIds[((long)j * p.MaiCount) + r] = id;
            maiValues[((long)j * p.MaiCount) + r] = value;
        }

        unpacked[row + id] = (byte)code;
        long cell = ((long)j * p.Partitions) + code;
        if (r == 0 || RankCode(r - 1, p) != code)
        {
            partMax[cell] = value;
        }

        if (r == p.Inputs - 1 || RankCode(r + 1, p) != code)
        {
            partMin[cell] = value;
        }
    }

    private static int RankCode(int r, BuildParameters p) =>
        r < p.MaiCount ? 0 : 1 + (int)((long)(r - p.MaiCount) * (p.Partitions - 1) / (p.Inputs - p.MaiCount));

    private static int CodeAt(ArrayView<byte> stream, long offset, int bits, long i)
    {
        long bit = i * bits;
        long at = offset + (bit >> 3);
        int shift = (int)(bit & 7);
        int v = stream[at];
        if (shift + bits > 8)
        {
            v |= stream[at + 1] << 8;
        }

        return (v >> shift) & ((1 << bits) - 1);
    }

    /// <summary>The entry of <paramref name="id"/> among the MAI entries of (block, neuron) slot <paramref name="slot"/>, or -1.</summary>
    private static int FindMai(ArrayView<int> offsets, ArrayView<int> ids, int slot, int id)
    {
        int from = offsets[slot];
        int to = offsets[slot + 1];
        while (from < to)
        {
            int mid = (from + to) >> 1;
            if (ids[mid] < id)
            {
                from = mid + 1;
            }
            else
            {
                to = mid;
            }
        }

        return from < offsets[slot + 1] && ids[from] == id ? from : -1;
    }

    private static double Combine(double acc, double term, int byMax) => byMax != 0 ? Max(acc, term) : Add(acc, term);

    private static float Combine(float acc, float term, int byMax) => byMax != 0 ? Max(acc, term) : Add(acc, term);

    /// <summary>.NET's <see cref="MathF.Max(float, float)"/>: NaN propagates, +0.0 beats -0.0.</summary>
    private static float Max(float a, float b)
    {
        if (a != b)
        {
            return float.IsNaN(a) ? a : (b < a ? a : b);
        }

        return (Interop.FloatAsInt(b) >> 31) != 0 ? a : b;
    }

    /// <summary>Correctly rounded float square root (PTX <c>sqrt.rn.f32</c>, never the approximation).</summary>
    private static float Sqrt(float a)
    {
        if (CudaAsm.IsSupported)
        {
            CudaAsm.Emit("sqrt.rn.f32 %0, %1;", out float r, a);
            return r;
        }

        return MathF.Sqrt(a);
    }

    private static float Add(float a, float b)
    {
        if (CudaAsm.IsSupported)
        {
            CudaAsm.Emit("add.rn.f32 %0, %1, %2;", out float r, a, b);
            return r;
        }

        return a + b;
    }

    /// <summary>.NET's <see cref="Math.Max(double, double)"/>: NaN propagates, +0.0 beats -0.0.</summary>
    private static double Max(double a, double b)
    {
        if (a != b)
        {
            return double.IsNaN(a) ? a : (b < a ? a : b);
        }

        return (Interop.FloatAsInt(b) >> 63) != 0 ? a : b;
    }

    private static double Finish(double acc, int kind, double groupSize) => kind switch
    {
        1 => Math.Sqrt(acc),
        2 => acc / groupSize,
        3 => -Math.Sqrt(-acc),
        _ => acc,
    };

    private static double Mul(double a, double b)
    {
        if (CudaAsm.IsSupported)
        {
            CudaAsm.Emit("mul.rn.f64 %0, %1, %2;", out double r, a, b);
            return r;
        }

        return a * b;
    }

    private static double Add(double a, double b)
    {
        if (CudaAsm.IsSupported)
        {
            CudaAsm.Emit("add.rn.f64 %0, %1, %2;", out double r, a, b);
            return r;
        }

        return a + b;
    }

    private static double Sub(double a, double b)
    {
        if (CudaAsm.IsSupported)
        {
            CudaAsm.Emit("sub.rn.f64 %0, %1, %2;", out double r, a, b);
            return r;
        }

        return a - b;
    }
}
