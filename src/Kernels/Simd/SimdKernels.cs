using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace DeepEverest.Kernels.Simd;

/// <summary>
/// <see cref="IKernels"/> in hand-vectorised C# on the CPU. One instance runs every loop at one
/// vector width (<see cref="SimdPath"/>); <see cref="BestPath"/> is the widest the hardware
/// accelerates, and tests build one instance per supported width to check each against the scalar
/// reference. Vectors always run ACROSS inputs (one lane per input or row) while the neurons of a
/// group are combined sequentially, so every lane does the scalar definition's arithmetic in the
/// scalar definition's order and results are bit-identical on every path.
/// </summary>
internal sealed partial class SimdKernels : IKernels
{
    /// <summary>Work (inputs x neurons, or values) from which loops are split over cores.</summary>
    internal const long ParallelThreshold = 1_000_000;

    /// <summary>Creates kernels that run at <paramref name="path"/>.</summary>
    /// <exception cref="PlatformNotSupportedException">The hardware does not accelerate that width.</exception>
    internal SimdKernels(SimdPath path)
        : this(path, allowMultiShift: true)
    {
    }

    /// <summary>Creates kernels that run at <paramref name="path"/>; tests turn <paramref name="allowMultiShift"/>
    /// off to run the AVX-512F code reader that CPUs without AVX-512 VBMI use.</summary>
    /// <exception cref="PlatformNotSupportedException">The hardware does not accelerate that width.</exception>
    internal SimdKernels(SimdPath path, bool allowMultiShift)
    {
        if (!IsSupported(path))
        {
            throw new PlatformNotSupportedException($"SIMD path {path} is not hardware accelerated here.");
        }

        Path = path;
        UseBmi2 = path != SimdPath.Scalar && Bmi2.X64.IsSupported;
        UseMultiShift = allowMultiShift && path == SimdPath.Vector512 && Avx512Vbmi.IsSupported;
    }

    /// <summary>The widest path the hardware accelerates (scalar when intrinsics are off).</summary>
    internal static SimdPath BestPath =>
        Vector512.IsHardwareAccelerated ? SimdPath.Vector512
        : Vector256.IsHardwareAccelerated ? SimdPath.Vector256
        : Vector.IsHardwareAccelerated ? SimdPath.VectorT
        : SimdPath.Scalar;

    /// <summary>The width this instance runs at.</summary>
    internal SimdPath Path { get; }

    /// <summary>Whether code packing uses BMI2 bit deposit/extract (never on the scalar path, so
    /// that path also covers the portable fallback).</summary>
    internal bool UseBmi2 { get; }

    /// <summary>Whether GroupBounds reads 16 codes with one AVX-512 VBMI <c>vpmultishiftqb</c> (P &lt;= 16).</summary>
    internal bool UseMultiShift { get; }

    /// <inheritdoc/>
    public string Name => Path switch
    {
        SimdPath.Vector512 => Avx512F.IsSupported ? "simd-avx512" : "simd-vector512",
        SimdPath.Vector256 => Avx2.IsSupported ? "simd-avx2" : "simd-vector256",
        SimdPath.VectorT => $"simd-vectorT{Vector<byte>.Count * 8}",
        _ => "simd-scalar",
    };

    /// <summary>Whether <paramref name="path"/> can run here.</summary>
    internal static bool IsSupported(SimdPath path) => path switch
    {
        SimdPath.Scalar => true,
        SimdPath.VectorT => Vector.IsHardwareAccelerated,
        SimdPath.Vector256 => Vector256.IsHardwareAccelerated,
        SimdPath.Vector512 => Vector512.IsHardwareAccelerated,
        _ => false,
    };

    /// <summary>Kernels at the widest accelerated width.</summary>
    internal static SimdKernels CreateBest() => new(BestPath);

    /// <inheritdoc/>
    public void Dispose()
    {
        // Nothing to release: scratch buffers are per call.
    }

    /// <inheritdoc/>
    public void UnpackCodes(ReadOnlySpan<byte> packed, int bits, int start, int count, Span<byte> codes)
    {
        CodePacking.ValidateUnpack(packed, bits, start, count, codes);
        CodePacking.Unpack(packed, bits, start, count, codes, UseBmi2);
    }

    /// <summary>Which finishing step a cost kind needs.</summary>
    internal enum FinishKind
    {
        /// <summary>The combined terms are the cost.</summary>
        None,

        /// <summary>sqrt(acc), l2.</summary>
        Sqrt,

        /// <summary>acc / g, mean.</summary>
        Divide,

        /// <summary>-sqrt(-acc), l2 norm.</summary>
        NegatedSqrt,
    }

    /// <summary>The finishing step of <paramref name="cost"/>, mirroring <see cref="CostFunction.Finish"/>.</summary>
    internal static FinishKind FinishOf(CostFunction cost) => cost.Kind switch
    {
        ScoreKind.L2 => FinishKind.Sqrt,
        ScoreKind.Mean => FinishKind.Divide,
        ScoreKind.L2Norm => FinishKind.NegatedSqrt,
        _ => FinishKind.None,
    };

    /// <summary>Scalar finish, identical to <see cref="CostFunction.Finish"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static double Finish(double acc, FinishKind kind, double groupSize) => kind switch
    {
        FinishKind.Sqrt => Math.Sqrt(acc),
        FinishKind.Divide => acc / groupSize,
        FinishKind.NegatedSqrt => -Math.Sqrt(-acc),
        _ => acc,
    };

    /// <summary>Per-lane finish; vector sqrt and divide are correctly rounded like the scalar ones.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static TVec Finish<TVec>(TVec acc, FinishKind kind, TVec groupSize)
        where TVec : struct, ISimdDouble<TVec> => kind switch
        {
            FinishKind.Sqrt => TVec.Sqrt(acc),
            FinishKind.Divide => TVec.Divide(acc, groupSize),
            FinishKind.NegatedSqrt => TVec.Negate(TVec.Sqrt(TVec.Negate(acc))),
            _ => acc,
        };
}
