using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;


namespace DeepEverest.Kernels.Simd;

/// <summary>
/// How neuron terms combine (<see cref="CostFunction.Combine"/>), as a scalar and a vector
/// operation with identical per-lane results, passed to drivers as a generic parameter so the
/// choice costs nothing inside the loop.
/// </summary>
internal interface ICombine
{
    /// <summary>Scalar combine.</summary>
    static abstract double Invoke(double acc, double term);

    /// <summary>Per-lane combine.</summary>
    static abstract TVec Invoke<TVec>(TVec acc, TVec term)
        where TVec : struct, ISimdDouble<TVec>;
}

/// <summary>Sum of terms (l2, l1 and the aggregates).</summary>
internal readonly struct SumCombine : ICombine
{
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double Invoke(double acc, double term) => acc + term;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TVec Invoke<TVec>(TVec acc, TVec term)
        where TVec : struct, ISimdDouble<TVec> => TVec.Add(acc, term);
}

/// <summary>
/// Max of terms (linf). Vector Max follows IEEE 754-2019 maximum since .NET 9, exactly like
/// <see cref="Math.Max(double, double)"/>: NaN propagates and +0.0 beats -0.0 (a test pins this).
/// </summary>
internal readonly struct MaxCombine : ICombine
{
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double Invoke(double acc, double term) => Math.Max(acc, term);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TVec Invoke<TVec>(TVec acc, TVec term)
        where TVec : struct, ISimdDouble<TVec> => TVec.Max(acc, term);
}

/// <summary>How coarse (float) bound terms combine: the float twin of <see cref="ICombine"/>.</summary>
internal interface IFloatCombine
{
    /// <summary>Scalar combine.</summary>
    static abstract float Invoke(float acc, float term);

    /// <summary>Combine of 16 lanes.</summary>
    static abstract Vector512<float> Invoke(Vector512<float> acc, Vector512<float> term);

    /// <summary>Combine of 8 lanes.</summary>
    static abstract Vector256<float> Invoke(Vector256<float> acc, Vector256<float> term);

    /// <summary>Combine of <see cref="Vector{T}"/> lanes.</summary>
    static abstract Vector<float> Invoke(Vector<float> acc, Vector<float> term);

    /// <summary>Combine of 32 16-bit integer lanes (the AVX-512 kernel's packed table terms,
    /// whose sums never overflow: see <see cref="CoarseTerms.TableLimit"/>).</summary>
    static abstract Vector512<short> Invoke(Vector512<short> acc, Vector512<short> term);

    /// <summary>Combine of 16 16-bit integer lanes (the AVX2 kernel's table terms, assembled from
    /// byte lookups; the same limit keeps their sums within 16 bits).</summary>
    static abstract Vector256<short> Invoke(Vector256<short> acc, Vector256<short> term);

    /// <summary>Combine of 8 32-bit integer lanes (the AVX2 kernel's sums of integer terms before
    /// they become floats: exact, like the float sums, within 2^24).</summary>
    static abstract Vector256<int> Invoke(Vector256<int> acc, Vector256<int> term);
}

/// <summary>Float sum.</summary>
internal readonly struct FloatSum : IFloatCombine
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Invoke(float acc, float term) => acc + term;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Invoke(Vector512<float> acc, Vector512<float> term) => acc + term;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Invoke(Vector256<float> acc, Vector256<float> term) => acc + term;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector<float> Invoke(Vector<float> acc, Vector<float> term) => acc + term;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<short> Invoke(Vector512<short> acc, Vector512<short> term) => acc + term;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<short> Invoke(Vector256<short> acc, Vector256<short> term) => acc + term;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> Invoke(Vector256<int> acc, Vector256<int> term) => acc + term;
}

/// <summary>Float max with <see cref="MathF.Max(float, float)"/>'s rules in every width.</summary>
internal readonly struct FloatMax : IFloatCombine
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Invoke(float acc, float term) => MathF.Max(acc, term);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Invoke(Vector512<float> acc, Vector512<float> term) => Vector512.Max(acc, term);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Invoke(Vector256<float> acc, Vector256<float> term) => Vector256.Max(acc, term);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector<float> Invoke(Vector<float> acc, Vector<float> term) => Vector.Max(acc, term);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<short> Invoke(Vector512<short> acc, Vector512<short> term) => Vector512.Max(acc, term);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<short> Invoke(Vector256<short> acc, Vector256<short> term) => Vector256.Max(acc, term);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> Invoke(Vector256<int> acc, Vector256<int> term) => Vector256.Max(acc, term);
}
