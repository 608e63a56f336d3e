using System.Runtime.CompilerServices;
using System.Numerics;

namespace DeepEverest.Kernels.Simd;

/// <summary><see cref="Vector{T}"/> of doubles (the JIT's preferred width) as an <see cref="ISimdDouble{TSelf}"/>.</summary>
internal readonly struct DoubleT(Vector<double> value) : ISimdDouble<DoubleT>
{
    /// <summary>The wrapped vector.</summary>
    public Vector<double> Value { get; } = value;

    /// <inheritdoc/>
    public static int Count => Vector<double>.Count;

    /// <inheritdoc/>
    public static DoubleT Zero => new(Vector<double>.Zero);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static DoubleT Create(double value) => new(Vector.Create(value));

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static DoubleT Create(ReadOnlySpan<double> values) => new(Vector.Create(values));

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void CopyTo(DoubleT vector, Span<double> destination) => vector.Value.CopyTo(destination);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static DoubleT Add(DoubleT a, DoubleT b) => new(a.Value + b.Value);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static DoubleT Subtract(DoubleT a, DoubleT b) => new(a.Value - b.Value);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static DoubleT Multiply(DoubleT a, DoubleT b) => new(a.Value * b.Value);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static DoubleT Divide(DoubleT a, DoubleT b) => new(a.Value / b.Value);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static DoubleT Max(DoubleT a, DoubleT b) => new(Vector.Max(a.Value, b.Value));

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static DoubleT Abs(DoubleT a) => new(Vector.Abs(a.Value));

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static DoubleT Negate(DoubleT a) => new(-a.Value);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static DoubleT Sqrt(DoubleT a) => new(Vector.SquareRoot(a.Value));

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool LessThanOrEqualAny(DoubleT a, DoubleT b) => Vector.LessThanOrEqualAny(a.Value, b.Value);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool LessThanOrEqualAll(DoubleT a, DoubleT b) => Vector.LessThanOrEqualAll(a.Value, b.Value);
}
