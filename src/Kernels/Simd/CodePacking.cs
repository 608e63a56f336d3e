using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;

namespace DeepEverest.Kernels.Simd;

/// <summary>
/// Packing and unpacking of partition codes in the little-endian bit-stream layout of
/// <see cref="IKernels"/>. Eight codes of b bits always fill exactly b bytes, so both directions
/// work on groups of eight: BMI2 <c>pext</c>/<c>pdep</c> move a group in one instruction, and a
/// shift loop does the same where BMI2 is missing.
/// </summary>
internal static class CodePacking
{
    /// <summary>The code of input <paramref name="i"/> in one neuron's stream.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static int CodeAt(ReadOnlySpan<byte> stream, int bits, long i)
    {
        long bit = i * bits;
        int index = (int)(bit >> 3);
        int shift = (int)(bit & 7);
        int v = stream[index];
        if (shift + bits > 8)
        {
            v |= stream[index + 1] << 8;
        }

        return (v >> shift) & ((1 << bits) - 1);
    }

    /// <summary>Checks the arguments of <see cref="IKernels.UnpackCodes"/>.</summary>
    internal static void ValidateUnpack(ReadOnlySpan<byte> packed, int bits, int start, int count, Span<byte> codes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(bits, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(bits, 8);
        ArgumentOutOfRangeException.ThrowIfNegative(start);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (((long)start + count) * bits > (long)packed.Length * 8)
        {
            throw new ArgumentException($"Codes [{start}, {start + (long)count}) at {bits} bits run past the {packed.Length}-byte stream.", nameof(count));
        }

        if (codes.Length < count)
        {
            throw new ArgumentException($"The output holds {codes.Length} codes; {count} were asked for.", nameof(codes));
        }
    }

    /// <summary>
    /// Packs one neuron's codes (one byte each, every value below 2^bits) into exactly
    /// <c>CodeLayout.StrideBytes(codes.Length, bits)</c> bytes of <paramref name="packed"/>; bytes
    /// beyond that are never touched (the next neuron's stream may live there).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void Pack(ReadOnlySpan<byte> codes, int bits, Span<byte> packed, bool useBmi2)
    {
        int n = codes.Length;
        packed = packed[..CodeLayout.StrideBytes(n, bits)];
        if (bits == 8)
        {
            codes.CopyTo(packed);
            return;
        }

        ulong laneMask = LaneMask(bits);
        int o = 0;
        int i = 0;
        for (; i + 8 <= n; i += 8, o += bits)
        {
            ulong group = BinaryPrimitives.ReadUInt64LittleEndian(codes[i..]);
            ulong v = useBmi2 ? Bmi2.X64.ParallelBitExtract(group, laneMask) : PackGroup(group, 8, bits);
            if (o + 8 <= packed.Length)
            {
                // The bytes past the group's own are rewritten by the groups that follow.
                BinaryPrimitives.WriteUInt64LittleEndian(packed[o..], v);
            }
            else
            {
                WriteBytes(packed, o, v, bits);
            }
        }

        int rest = n - i;
        if (rest > 0)
        {
            ulong group = 0;
            for (int k = 0; k < rest; k++)
            {
                group |= (ulong)codes[i + k] << (8 * k);
            }

            WriteBytes(packed, o, PackGroup(group, rest, bits), (rest * bits + 7) / 8);
        }
    }

    /// <summary>Unpacks codes [start, start + count) of one neuron's stream, one byte per code.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void Unpack(ReadOnlySpan<byte> packed, int bits, int start, int count, Span<byte> codes, bool useBmi2)
    {
        if (bits == 8)
        {
            packed.Slice(start, count).CopyTo(codes);
            return;
        }

        ulong laneMask = LaneMask(bits);
        int o = 0;
        for (; o + 8 <= count; o += 8)
        {
            long bit = (long)(start + o) * bits;
            int index = (int)(bit >> 3);
            if (index + 8 > packed.Length)
            {
                break; // the last groups would read past the stream: finish them code by code
            }

            // Eight codes need 8*b <= 56 bits, so the shifted 64-bit window always holds them.
            ulong v = BinaryPrimitives.ReadUInt64LittleEndian(packed[index..]) >> (int)(bit & 7);
            ulong spread = useBmi2 ? Bmi2.X64.ParallelBitDeposit(v, laneMask) : UnpackGroup(v, bits);
            BinaryPrimitives.WriteUInt64LittleEndian(codes[o..], spread);
        }

        for (; o < count; o++)
        {
            codes[o] = (byte)CodeAt(packed, bits, (long)start + o);
        }
    }

    /// <summary>The low <paramref name="bits"/> bits of every byte.</summary>
    private static ulong LaneMask(int bits) => 0x0101_0101_0101_0101UL * ((1UL << bits) - 1);

    private static ulong PackGroup(ulong group, int count, int bits)
    {
        ulong v = 0;
        for (int k = 0; k < count; k++)
        {
            v |= ((group >> (8 * k)) & 0xFF) << (k * bits);
        }

        return v;
    }

    private static ulong UnpackGroup(ulong v, int bits)
    {
        ulong mask = (1UL << bits) - 1;
        ulong spread = 0;
        for (int k = 0; k < 8; k++)
        {
            spread |= ((v >> (k * bits)) & mask) << (8 * k);
        }

        return spread;
    }

    private static void WriteBytes(Span<byte> packed, int offset, ulong v, int count)
    {
        for (int k = 0; k < count; k++)
        {
            packed[offset + k] = (byte)(v >> (8 * k));
        }
    }
}
