using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace DeepEverest.Kernels.Simd;

/// <content>
/// The AVX-512 version of <see cref="IKernels.SelectAtMost"/>: compare 8 values, narrow the mask
/// to 32-bit lanes, compress the passing positions to the front of a register and store all 8
/// (the register form of vpcompressd; its memory form is microcoded and slow on AMD Zen 4).
/// </content>
internal sealed partial class SimdKernels
{
    /// <summary>
    /// Scans whole vectors of 8 while the output has room for a full store of 8 positions; returns
    /// where it stopped (the caller finishes with the portable scan).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe int ScanAtMostCompress(ReadOnlySpan<double> values, double limit, Span<int> positions, ref int count)
    {
        Vector512<double> bound = Vector512.Create(limit);
        Vector256<int> index = Vector256<int>.Indices;
        Vector256<int> step = Vector256.Create(8);
        int i = 0;
        fixed (double* v = values)
        fixed (int* p = positions)
        {
            for (; i <= values.Length - 8 && positions.Length - count >= 8; i += 8, index += step)
            {
                Vector512<double> pass = Vector512.LessThanOrEqual(Vector512.Load(v + i), bound);
                uint bits = (uint)pass.ExtractMostSignificantBits();
                if (bits != 0)
                {
                    Vector256<int> mask = Avx512F.ConvertToVector256Int32(pass.AsInt64());
                    Avx512F.VL.Compress(Vector256<int>.Zero, mask, index).Store(p + count);
                    count += BitOperations.PopCount(bits);
                }
            }
        }

        return i;
    }
}
