using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace DeepEverest.Kernels;

/// <summary>
/// Validation of activations before they enter an index: NaN and infinities would sort to an end
/// of a neuron's order and silently poison partition bounds, so the builder refuses them.
/// </summary>
public static class ActivationChecks
{
    // A float is non-finite exactly when its exponent bits are all ones (NaN or +-infinity).
    private const uint ExponentMask = 0x7F80_0000u;

    /// <summary>
    /// Index of the first NaN or infinite value in <paramref name="values"/>, or -1 when all are
    /// finite (an empty span is all finite). Subnormals, -0.0 and +0.0 are finite.
    /// </summary>
    public static int FirstNonFinite(ReadOnlySpan<float> values)
    {
        ReadOnlySpan<uint> bits = MemoryMarshal.Cast<float, uint>(values);
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            i = Scan512(bits);
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            i = Scan256(bits);
        }
        else if (Vector128.IsHardwareAccelerated)
        {
            i = Scan128(bits);
        }

        // The vector scan stops at the first vector holding a non-finite value (or before the tail).
        for (; i < bits.Length; i++)
        {
            if ((bits[i] & ExponentMask) == ExponentMask)
            {
                return i;
            }
        }

        return -1;
    }

    // Each scan covers whole vectors and returns the start of the first vector holding a
    // non-finite value, or the start of the scalar tail.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int Scan512(ReadOnlySpan<uint> bits)
    {
        Vector512<uint> mask = Vector512.Create(ExponentMask);
        int i = 0;
        for (; i <= bits.Length - Vector512<uint>.Count; i += Vector512<uint>.Count)
        {
            if (Vector512.EqualsAny(Vector512.Create(bits.Slice(i, Vector512<uint>.Count)) & mask, mask))
            {
                return i;
            }
        }

        return i;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int Scan256(ReadOnlySpan<uint> bits)
    {
        Vector256<uint> mask = Vector256.Create(ExponentMask);
        int i = 0;
        for (; i <= bits.Length - Vector256<uint>.Count; i += Vector256<uint>.Count)
        {
            if (Vector256.EqualsAny(Vector256.Create(bits.Slice(i, Vector256<uint>.Count)) & mask, mask))
            {
                return i;
            }
        }

        return i;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int Scan128(ReadOnlySpan<uint> bits)
    {
        Vector128<uint> mask = Vector128.Create(ExponentMask);
        int i = 0;
        for (; i <= bits.Length - Vector128<uint>.Count; i += Vector128<uint>.Count)
        {
            if (Vector128.EqualsAny(Vector128.Create(bits.Slice(i, Vector128<uint>.Count)) & mask, mask))
            {
                return i;
            }
        }

        return i;
    }
}
