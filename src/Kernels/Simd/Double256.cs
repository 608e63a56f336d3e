using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace DeepEverest.Kernels.Simd;

/// <summary><see cref="Vector256{T}"/> of doubles as an <see cref="ISimdDouble{TSelf}"/>.</summary>
internal readonly struct Double256(Vector256<double> value) : ISimdDouble<Double256>
{
    /// <summary>The wrapped vector.</summary>
    public Vector256<double> Value { get; } = value;

    /// <inheritdoc/>
    public static int Count => Vector256<double>.Count;

    /// <inheritdoc/>
    public static Double256 Zero => new(Vector256<double>.Zero);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Double256 Create(double value) => new(Vector256.Create(value));

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Double256 Create(ReadOnlySpan<double> values) => new(Vector256.Create(values));

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void CopyTo(Double256 vector, Span<double> destination) => vector.Value.CopyTo(destination);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Double256 Add(Double256 a, Double256 b) => new(a.Value + b.Value);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Double256 Subtract(Double256 a, Double256 b) => new(a.Value - b.Value);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Double256 Multiply(Double256 a, Double256 b) => new(a.Value * b.Value);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Double256 Divide(Double256 a, Double256 b) => new(a.Value / b.Value);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Double256 Max(Double256 a, Double256 b) => new(Vector256.Max(a.Value, b.Value));

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Double256 Abs(Double256 a) => new(Vector256.Abs(a.Value));

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Double256 Negate(Double256 a) => new(-a.Value);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Double256 Sqrt(Double256 a) => new(Vector256.Sqrt(a.Value));

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool LessThanOrEqualAny(Double256 a, Double256 b) => Vector256.LessThanOrEqualAny(a.Value, b.Value);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool LessThanOrEqualAll(Double256 a, Double256 b) => Vector256.LessThanOrEqualAll(a.Value, b.Value);
}
