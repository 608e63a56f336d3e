namespace DeepEverest.Kernels.Simd;

/// <summary>
/// A vector of doubles at one width, as static abstract operations, so that one generic loop
/// serves every width (the JIT specialises it per struct and keeps the single-field wrapper in a
/// register). <see cref="System.Runtime.Intrinsics"/> has such an interface, but not public.
/// </summary>
/// <typeparam name="TSelf">The implementing wrapper.</typeparam>
internal interface ISimdDouble<TSelf>
    where TSelf : struct, ISimdDouble<TSelf>
{
    /// <summary>Lanes per vector.</summary>
    static abstract int Count { get; }

    /// <summary>All lanes +0.0.</summary>
    static abstract TSelf Zero { get; }

    /// <summary>All lanes <paramref name="value"/>.</summary>
    static abstract TSelf Create(double value);

    /// <summary>The first <see cref="Count"/> values.</summary>
    static abstract TSelf Create(ReadOnlySpan<double> values);

    /// <summary>Writes the lanes to the first <see cref="Count"/> elements of <paramref name="destination"/>.</summary>
    static abstract void CopyTo(TSelf vector, Span<double> destination);

    /// <summary>a + b per lane.</summary>
    static abstract TSelf Add(TSelf a, TSelf b);

    /// <summary>a - b per lane.</summary>
    static abstract TSelf Subtract(TSelf a, TSelf b);

    /// <summary>a * b per lane (never fused with a following add).</summary>
    static abstract TSelf Multiply(TSelf a, TSelf b);

    /// <summary>a / b per lane.</summary>
    static abstract TSelf Divide(TSelf a, TSelf b);

    /// <summary><see cref="Math.Max(double, double)"/> per lane (NaN propagates, +0.0 beats -0.0).</summary>
    static abstract TSelf Max(TSelf a, TSelf b);

    /// <summary>|a| per lane.</summary>
    static abstract TSelf Abs(TSelf a);

    /// <summary>-a per lane (sign flip).</summary>
    static abstract TSelf Negate(TSelf a);

    /// <summary>Correctly rounded square root per lane.</summary>
    static abstract TSelf Sqrt(TSelf a);

    /// <summary>Whether a &lt;= b in some lane (false for NaN lanes).</summary>
    static abstract bool LessThanOrEqualAny(TSelf a, TSelf b);

    /// <summary>Whether a &lt;= b in every lane (false if any lane is NaN).</summary>
    static abstract bool LessThanOrEqualAll(TSelf a, TSelf b);
}
