using System.Runtime.CompilerServices;


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
