using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace DeepEverest.Kernels.Simd;

/// <content>
/// The AVX-512 lookups of <see cref="IKernels.GroupBounds"/>'s vector passes: packed 16-bit
/// tables permuted by code (one, four or eight neurons per pass), 32-entry permutes and gathers.
/// </content>
internal sealed partial class SimdKernels
{
    /// <summary>
    /// The constants of an <see cref="ICodes16"/> reader for b-bit codes: the control of
    /// <see cref="MultiShiftReader"/> (byte 0 of 32-bit lane d takes the 8 bits at d*b), and the
    /// per-lane shifts and mask of <see cref="ShiftReader"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector512<byte> Control, Vector512<ulong> Shifts, Vector512<ulong> Mask) ReadConstants(int bits) =>
        ((Vector512<uint>.Indices * (uint)bits).AsByte(), Vector512<ulong>.Indices * (ulong)bits, Vector512.Create((1UL << bits) - 1));

    /// <summary>
    /// Where a packed pass puts 16 lanes of packed 16-bit sums (low halves: lower-bound sums, high
    /// halves: upper-bound sums; integers within 16 bits convert to float exactly).
    /// </summary>
    private interface IPackedSink
    {
        /// <summary>Puts the sums of 16 inputs into the accumulators at <paramref name="aLo"/> / <paramref name="aHi"/>.</summary>
        static abstract unsafe void Put<TComb>(Vector512<short> sums, float* aLo, float* aHi)
            where TComb : IFloatCombine;
    }

    /// <summary>Adds (or maxes) the sums into the accumulators.</summary>
    private readonly struct CombineSink : IPackedSink
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static unsafe void Put<TComb>(Vector512<short> sums, float* aLo, float* aHi)
            where TComb : IFloatCombine
        {
            Vector512<int> both = sums.AsInt32();
            TComb.Invoke(Vector512.Load(aLo), Vector512.ConvertToSingle((both << 16) >> 16)).Store(aLo);
            TComb.Invoke(Vector512.Load(aHi), Vector512.ConvertToSingle(both >> 16)).Store(aHi);
        }
    }

    /// <summary>Stores the sums: the chunk's first pass, over accumulators that were not cleared.</summary>
    private readonly struct StoreSink : IPackedSink
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static unsafe void Put<TComb>(Vector512<short> sums, float* aLo, float* aHi)
            where TComb : IFloatCombine
        {
            Vector512<int> both = sums.AsInt32();
            Vector512.ConvertToSingle((both << 16) >> 16).Store(aLo);
            Vector512.ConvertToSingle(both >> 16).Store(aHi);
        }
    }

    /// <summary>One packed lookup: both bounds' terms of 16 inputs, as 16-bit halves.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<short> Lookup(Vector512<int> table, Vector512<int> codes) =>
        Avx512F.PermuteVar16x32(table, codes).AsInt16();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Permute16Pass<TComb, TReader, TSink>(byte* codes, int groups, int bits, int* packed, float* aLo, float* aHi)
        where TComb : IFloatCombine
        where TReader : ICodes16
        where TSink : IPackedSink
    {
        Debug.Assert(Avx512BW.IsSupported, "packed tables need AVX-512BW");
        (Vector512<byte> control, Vector512<ulong> shifts, Vector512<ulong> mask) = ReadConstants(bits);
        Vector512<int> table = Vector512.Load(packed);
        for (int gi = 0; gi < groups; gi++, codes += 2 * bits, aLo += 16, aHi += 16)
        {
            TSink.Put<TComb>(Lookup(table, TReader.Read(codes, bits, control, shifts, mask)), aLo, aHi);
        }
    }

    /// <summary>
    /// Eight neurons in one pass: their eight packed tables (<c>packed[q*16..]</c>) in registers,
    /// sums in 16 bits. Each step also prefetches one cache line of a later pass's eight code
    /// segments (<paramref name="next"/>, two passes ahead): eight short streams far apart are
    /// more than the hardware prefetcher foresees, and waiting for them cost more than the lookups.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Permute16OctPass<TComb, TReader, TSink>(byte* codes, byte* next, int stride, int groups, int bits, int* packed, float* aLo, float* aHi)
        where TComb : IFloatCombine
        where TReader : ICodes16
        where TSink : IPackedSink
    {
        Debug.Assert(Avx512BW.IsSupported, "packed tables need AVX-512BW");
        (Vector512<byte> control, Vector512<ulong> shifts, Vector512<ulong> mask) = ReadConstants(bits);
        Vector512<int> t0 = Vector512.Load(packed);
        Vector512<int> t1 = Vector512.Load(packed + 16);
        Vector512<int> t2 = Vector512.Load(packed + 32);
        Vector512<int> t3 = Vector512.Load(packed + 48);
        Vector512<int> t4 = Vector512.Load(packed + 64);
        Vector512<int> t5 = Vector512.Load(packed + 80);
        Vector512<int> t6 = Vector512.Load(packed + 96);
        Vector512<int> t7 = Vector512.Load(packed + 112);
        for (int gi = 0; gi < groups; gi++, codes += 2 * bits, aLo += 16, aHi += 16)
        {
            if (Sse.IsSupported)
            {
                Sse.Prefetch0(next + ((long)(gi & 7) * stride) + ((gi >> 3) * 64));
            }

            Vector512<int> i0 = TReader.Read(codes, bits, control, shifts, mask);
            Vector512<int> i1 = TReader.Read(codes + stride, bits, control, shifts, mask);
            Vector512<int> i2 = TReader.Read(codes + (2L * stride), bits, control, shifts, mask);
            Vector512<int> i3 = TReader.Read(codes + (3L * stride), bits, control, shifts, mask);
            Vector512<short> sums = TComb.Invoke(Lookup(t0, i0), Lookup(t1, i1));
            sums = TComb.Invoke(sums, Lookup(t2, i2));
            sums = TComb.Invoke(sums, Lookup(t3, i3));
            i0 = TReader.Read(codes + (4L * stride), bits, control, shifts, mask);
            i1 = TReader.Read(codes + (5L * stride), bits, control, shifts, mask);
            i2 = TReader.Read(codes + (6L * stride), bits, control, shifts, mask);
            i3 = TReader.Read(codes + (7L * stride), bits, control, shifts, mask);
            sums = TComb.Invoke(sums, Lookup(t4, i0));
            sums = TComb.Invoke(sums, Lookup(t5, i1));
            sums = TComb.Invoke(sums, Lookup(t6, i2));
            TSink.Put<TComb>(TComb.Invoke(sums, Lookup(t7, i3)), aLo, aHi);
        }
    }

    /// <summary>Copies <paramref name="real"/> packed 16-entry tables into the 64 entries at <paramref name="quad"/> and zeros the rest.</summary>
    private static unsafe int* PadQuad(int* tables, int real, int* quad)
    {
        var padded = new Span<int>(quad, 64);
        padded.Clear();
        new ReadOnlySpan<int>(tables, real * 16).CopyTo(padded);
        return quad;
    }

    /// <summary>Four neurons in one pass: their four packed tables (<c>packed[q*16..]</c>) in registers, sums in 16 bits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Permute16QuadPass<TComb, TReader, TSink>(
        byte* codes0, byte* codes1, byte* codes2, byte* codes3, int groups, int bits, int* packed, float* aLo, float* aHi)
        where TComb : IFloatCombine
        where TReader : ICodes16
        where TSink : IPackedSink
    {
        Debug.Assert(Avx512BW.IsSupported, "packed tables need AVX-512BW");
        (Vector512<byte> control, Vector512<ulong> shifts, Vector512<ulong> mask) = ReadConstants(bits);
        Vector512<int> t0 = Vector512.Load(packed);
        Vector512<int> t1 = Vector512.Load(packed + 16);
        Vector512<int> t2 = Vector512.Load(packed + 32);
        Vector512<int> t3 = Vector512.Load(packed + 48);
        int step = 2 * bits;
        for (int gi = 0; gi < groups; gi++, codes0 += step, codes1 += step, codes2 += step, codes3 += step, aLo += 16, aHi += 16)
        {
            Vector512<short> sums = TComb.Invoke(
                Lookup(t0, TReader.Read(codes0, bits, control, shifts, mask)),
                Lookup(t1, TReader.Read(codes1, bits, control, shifts, mask)));
            sums = TComb.Invoke(sums, Lookup(t2, TReader.Read(codes2, bits, control, shifts, mask)));
            TSink.Put<TComb>(TComb.Invoke(sums, Lookup(t3, TReader.Read(codes3, bits, control, shifts, mask))), aLo, aHi);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Permute32Pass<TComb>(byte* codes, int groups, int bits, float* tLo, float* tHi, float* aLo, float* aHi)
        where TComb : IFloatCombine
    {
        Debug.Assert(Avx512F.IsSupported, "two-register tables need AVX-512");
        (_, Vector512<ulong> shifts, Vector512<ulong> mask) = ReadConstants(bits);
        Vector512<float> lo0 = Vector512.Load(tLo);
        Vector512<float> lo1 = Vector512.Load(tLo + 16);
        Vector512<float> hi0 = Vector512.Load(tHi);
        Vector512<float> hi1 = Vector512.Load(tHi + 16);
        for (int gi = 0; gi < groups; gi++, codes += 2 * bits, aLo += 16, aHi += 16)
        {
            Vector512<int> idx = ShiftReader.Read(codes, bits, default, shifts, mask);
            TComb.Invoke(Vector512.Load(aLo), Avx512F.PermuteVar16x32x2(lo0, idx, lo1)).Store(aLo);
            TComb.Invoke(Vector512.Load(aHi), Avx512F.PermuteVar16x32x2(hi0, idx, hi1)).Store(aHi);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Gather512Pass<TComb>(byte* codes, int groups, int bits, float* tLo, float* tHi, float* aLo, float* aHi)
        where TComb : IFloatCombine
    {
        Debug.Assert(Avx512F.IsSupported && Avx2.IsSupported, "needs AVX-512 shifts and AVX2 gathers");
        (_, Vector512<ulong> shifts, Vector512<ulong> mask) = ReadConstants(bits);
        for (int gi = 0; gi < groups; gi++, codes += 2 * bits, aLo += 16, aHi += 16)
        {
            Vector512<int> idx = ShiftReader.Read(codes, bits, default, shifts, mask);
            Vector256<int> first = idx.GetLower();
            Vector256<int> second = idx.GetUpper();
            Vector512<float> termLo = Vector512.Create(Avx2.GatherVector256(tLo, first, 4), Avx2.GatherVector256(tLo, second, 4));
            Vector512<float> termHi = Vector512.Create(Avx2.GatherVector256(tHi, first, 4), Avx2.GatherVector256(tHi, second, 4));
            TComb.Invoke(Vector512.Load(aLo), termLo).Store(aLo);
            TComb.Invoke(Vector512.Load(aHi), termHi).Store(aHi);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Gather256Pass<TComb>(byte* codes, int groups, int bits, float* tLo, float* tHi, float* aLo, float* aHi)
        where TComb : IFloatCombine
    {
        Debug.Assert(Avx2.IsSupported, "needs AVX2");
        Vector256<ulong> shiftsFirst = Vector256<ulong>.Indices * (ulong)bits;
        Vector256<ulong> shiftsSecond = shiftsFirst + Vector256.Create(4UL * (ulong)bits);
        Vector256<ulong> mask = Vector256.Create((1UL << bits) - 1);
        for (int gi = 0; gi < groups; gi++, codes += bits, aLo += 8, aHi += 8)
        {
            Vector256<ulong> window = Vector256.Create(Unsafe.ReadUnaligned<ulong>(codes));
            Vector256<long> first = (Avx2.ShiftRightLogicalVariable(window, shiftsFirst) & mask).AsInt64();
            Vector256<long> second = (Avx2.ShiftRightLogicalVariable(window, shiftsSecond) & mask).AsInt64();
            Vector256<float> termLo = Vector256.Create(Avx2.GatherVector128(tLo, first, 4), Avx2.GatherVector128(tLo, second, 4));
            Vector256<float> termHi = Vector256.Create(Avx2.GatherVector128(tHi, first, 4), Avx2.GatherVector128(tHi, second, 4));
            TComb.Invoke(Vector256.Load(aLo), termLo).Store(aLo);
            TComb.Invoke(Vector256.Load(aHi), termHi).Store(aHi);
        }
    }

    /// <summary>Reads the codes of 16 consecutive inputs into the low bits of 32-bit lanes.</summary>
    private interface ICodes16
    {
        /// <summary>The codes of the 16 inputs whose codes start at <paramref name="codes"/>.</summary>
        static abstract unsafe Vector512<int> Read(byte* codes, int bits, Vector512<byte> control, Vector512<ulong> shifts, Vector512<ulong> mask);
    }

    /// <summary>
    /// One AVX-512 VBMI <c>vpmultishiftqb</c> on one 64-bit load (P &lt;= 16): byte 0 of lane d takes
    /// the 8 bits at d*bits, so the bits above a lane's code hold the next codes (the P &lt;= 16
    /// tables repeat every P entries, which makes them harmless).
    /// </summary>
    private readonly struct MultiShiftReader : ICodes16
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static unsafe Vector512<int> Read(byte* codes, int bits, Vector512<byte> control, Vector512<ulong> shifts, Vector512<ulong> mask) =>
            Avx512Vbmi.MultiShift(control, Vector512.Create(Unsafe.ReadUnaligned<ulong>(codes))).AsInt32();
    }

    /// <summary>Two 64-bit loads shifted per lane and narrowed (AVX-512F only, any bits): every lane is exactly its code.</summary>
    private readonly struct ShiftReader : ICodes16
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static unsafe Vector512<int> Read(byte* codes, int bits, Vector512<byte> control, Vector512<ulong> shifts, Vector512<ulong> mask)
        {
            Vector512<ulong> first = Avx512F.ShiftRightLogicalVariable(Vector512.Create(Unsafe.ReadUnaligned<ulong>(codes)), shifts) & mask;
            Vector512<ulong> second = Avx512F.ShiftRightLogicalVariable(Vector512.Create(Unsafe.ReadUnaligned<ulong>(codes + bits)), shifts) & mask;
            return Vector512.Create(Avx512F.ConvertToVector256Int32(first), Avx512F.ConvertToVector256Int32(second));
        }
    }
}
