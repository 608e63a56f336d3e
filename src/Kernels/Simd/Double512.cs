using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace DeepEverest.Kernels.Simd;

/// <summary><see cref="Vector512{T}"/> of doubles as an <see cref="ISimdDouble{TSelf}"/>.</summary>
internal readonly struct Double512(Vector512<double> value) : ISimdDouble<Double512>
{
    /// <summary>The wrapped vector.</summary>
    public Vector512<double> Value { get; } = value;

    /// <inheritdoc/>
    public static int Count => Vector512<double>.Count;

    /// <inheritdoc/>
    public static Double512 Zero => new(Vector512<double>.Zero);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Double512 Create(double value) => new(Vector512.Create(value));

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Double512 Create(ReadOnlySpan<double> values) => new(Vector512.Create(values));

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void CopyTo(Double512 vector, Span<double> destination) => vector.Value.CopyTo(destination);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Double512 Add(Double512 a, Double512 b) => new(a.Value + b.Value);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Double512 Subtract(Double512 a, Double512 b) => new(a.Value - b.Value);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Double512 Multiply(Double512 a, Double512 b) => new(a.Value * b.Value);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Double512 Divide(Double512 a, Double512 b) => new(a.Value / b.Value);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Double512 Max(Double512 a, Double512 b) => new(Vector512.Max(a.Value, b.Value));

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Double512 Abs(Double512 a) => new(Vector512.Abs(a.Value));

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Double512 Negate(Double512 a) => new(-a.Value);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Double512 Sqrt(Double512 a) => new(Vector512.Sqrt(a.Value));

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool LessThanOrEqualAny(Double512 a, Double512 b) => Vector512.LessThanOrEqualAny(a.Value, b.Value);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool LessThanOrEqualAll(Double512 a, Double512 b) => Vector512.LessThanOrEqualAll(a.Value, b.Value);
}
