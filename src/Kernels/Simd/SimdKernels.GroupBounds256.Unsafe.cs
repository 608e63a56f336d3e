using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace DeepEverest.Kernels.Simd;

/// <content>
/// The AVX2 table passes of <see cref="IKernels.GroupBounds"/> for P &lt;= 16
/// (<see cref="LookupKind.Shuffle16"/>). AVX2 has no 16-entry permute of 32-bit lanes, but
/// <c>vpshufb</c> looks up 32 bytes at a time in a 16-byte table (per 128-bit lane). So a
/// neuron's 16-bit integer terms are split into a table of low bytes and one of high bytes (per
/// bound), two lookups and one <c>vpunpck[lh]bw</c> rebuild the terms of 16 inputs as 16-bit
/// lanes, and up to eight neurons' terms are summed there exactly (the limit of
/// <see cref="CoarseTerms.TableLimit"/>) before <c>vpmaddwd</c> widens them into 32-bit integer
/// sums. A step covers 64 inputs: each 128-bit lane takes 32 consecutive inputs, their codes one
/// per byte in two vectors (inputs 2k and 2k + 1 in byte k), so every lookup, unpack and add is
/// within a lane; the sums stay in a fixed, shuffle-free order until the chunk's passes are done
/// and <see cref="ShuffleSumsInOrder"/> puts them in input order as floats.
/// </content>
internal sealed partial class SimdKernels
{
    /// <summary>Inputs per step of a <see cref="LookupKind.Shuffle16"/> pass.</summary>
    private const int ShuffleLanes = 64;

    /// <summary>
    /// Bytes a <see cref="LookupKind.Shuffle16"/> step reads from its first code byte: 32 for 4-bit
    /// codes (exactly its own), else 16 from each 128-bit lane's first code (the second lane's
    /// starts 4·b bytes later).
    /// </summary>
    private static int ShuffleReadBytes(int bits) => bits == 4 ? 32 : (4 * bits) + 16;

    /// <summary>
    /// Leading groups of 64 chunk inputs whose <see cref="LookupKind.Shuffle16"/> code reads stay
    /// inside the neuron's stream (the group at input i reads from byte i·b/8).
    /// </summary>
    private static int ShuffleWindowGroups(BoundsPlan plan, int i0, int len)
    {
        long room = (long)plan.Stride - ShuffleReadBytes(plan.Bits);
        long first = (long)i0 * plan.Bits / 8;
        if (room < first)
        {
            return 0;
        }

        // A group starts 8·b bytes after the previous one.
        return (int)Math.Min(len / ShuffleLanes, ((room - first) / (8L * plan.Bits)) + 1);
    }

    /// <summary>
    /// The P &lt;= 16 table passes of a chunk on the 256-bit path, up to eight neurons per pass,
    /// into 32-bit integer sums in the order of <see cref="IWordSink"/>; the first pass stores its
    /// sums (see <see cref="CombineChunk{TComb}"/>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Shuffle16Groups<TComb>(BoundsPlan plan, byte* chunkCodes, int groups, byte* tables, byte* decode, int* aLo, int* aHi)
        where TComb : IFloatCombine
    {
        for (int j = 0; j < plan.Neurons; j += CoarseTerms.NarrowNeurons)
        {
            int count = Math.Min(CoarseTerms.NarrowNeurons, plan.Neurons - j);
            byte* first = chunkCodes + ((long)j * plan.Stride);
            byte* table = tables + ((long)j * 128);
            // The pass two ahead, if it has eight neurons (else this one's codes: a harmless prefetch).
            byte* next = j + (3 * CoarseTerms.NarrowNeurons) <= plan.Neurons ? first + (2L * CoarseTerms.NarrowNeurons * plan.Stride) : first;
            if (j == 0)
            {
                Shuffle16Pass<TComb, WordStoreSink>(first, next, plan.Stride, count, groups, plan.Bits, table, decode, aLo, aHi);
            }
            else
            {
                Shuffle16Pass<TComb, WordCombineSink>(first, next, plan.Stride, count, groups, plan.Bits, table, decode, aLo, aHi);
            }
        }
    }

    /// <summary>
    /// <paramref name="count"/> (1 to 8) neurons over <paramref name="groups"/> steps of 64 inputs:
    /// their codes start at <paramref name="codes"/>, <paramref name="stride"/> bytes apart, and
    /// their byte tables at <paramref name="tables"/> (128 bytes each, see
    /// <see cref="BoundsPlan.TableBytes"/>). Per step both bounds' sums stay in eight registers of
    /// 16-bit lanes until the sink widens them.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Shuffle16Pass<TComb, TSink>(byte* codes, byte* next, int stride, int count, int groups, int bits, byte* tables, byte* decode, int* aLo, int* aHi)
        where TComb : IFloatCombine
        where TSink : IWordSink
    {
        if (bits == 4)
        {
            Shuffle16Steps<TComb, TSink, NibbleReader>(codes, next, stride, count, groups, bits, tables, decode, aLo, aHi);
        }
        else
        {
            Shuffle16Steps<TComb, TSink, WindowReader>(codes, next, stride, count, groups, bits, tables, decode, aLo, aHi);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Shuffle16Steps<TComb, TSink, TReader>(byte* codes, byte* next, int stride, int count, int groups, int bits, byte* tables, byte* decode, int* aLo, int* aHi)
        where TComb : IFloatCombine
        where TSink : IWordSink
        where TReader : ICodes64
    {
        Debug.Assert(Avx2.IsSupported, "byte shuffles need AVX2");
        Debug.Assert(count is >= 1 and <= CoarseTerms.NarrowNeurons, "16-bit sums hold at most eight terms");
        var reader = new DecodeConstants(decode);
        int step = 8 * bits;
        for (int gi = 0; gi < groups; gi++, codes += step, aLo += ShuffleLanes, aHi += ShuffleLanes)
        {
            // Eight short code segments far apart are more than the hardware prefetcher foresees:
            // each step fetches four lines of a later pass's eight segments (a chunk's segment
            // is at most 32 lines, and a chunk at most 64 steps).
            byte* line = next + ((gi >> 1) * 64L) + ((gi & 1) * 4L * stride);
            Sse.Prefetch0(line);
            Sse.Prefetch0(line + stride);
            Sse.Prefetch0(line + (2L * stride));
            Sse.Prefetch0(line + (3L * stride));

            // Sums of inputs 2k (k < 8, then k >= 8) and 2k + 1 of each 128-bit lane.
            Vector256<short> lowEven0 = default, lowEven1 = default, lowOdd0 = default, lowOdd1 = default;
            Vector256<short> highEven0 = default, highEven1 = default, highOdd0 = default, highOdd1 = default;
            byte* c = codes;
            byte* t = tables;
            for (int q = 0; q < count; q++, c += stride, t += 128)
            {
                TReader.Read(c, bits, reader, out Vector256<byte> even, out Vector256<byte> odd);
                Vector256<byte> low = Vector256.Load(t);
                Vector256<byte> high = Vector256.Load(t + 32);
                AddTerms<TComb>(low, high, even, ref lowEven0, ref lowEven1);
                AddTerms<TComb>(low, high, odd, ref lowOdd0, ref lowOdd1);
                low = Vector256.Load(t + 64);
                high = Vector256.Load(t + 96);
                AddTerms<TComb>(low, high, even, ref highEven0, ref highEven1);
                AddTerms<TComb>(low, high, odd, ref highOdd0, ref highOdd1);
            }

            TSink.Put<TComb>(lowEven0, lowEven1, lowOdd0, lowOdd1, aLo);
            TSink.Put<TComb>(highEven0, highEven1, highOdd0, highOdd1, aHi);
        }
    }

    /// <summary>
    /// One bound's terms of the 32 codes in <paramref name="codes"/> (one per byte), looked up as
    /// low and high bytes and interleaved into 16-bit terms: bytes 0-7 of each 128-bit lane go to
    /// <paramref name="sums0"/>, bytes 8-15 to <paramref name="sums1"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AddTerms<TComb>(Vector256<byte> lowBytes, Vector256<byte> highBytes, Vector256<byte> codes, ref Vector256<short> sums0, ref Vector256<short> sums1)
        where TComb : IFloatCombine
    {
        Vector256<byte> low = Avx2.Shuffle(lowBytes, codes);
        Vector256<byte> high = Avx2.Shuffle(highBytes, codes);
        sums0 = TComb.Invoke(sums0, Avx2.UnpackLow(low, high).AsInt16());
        sums1 = TComb.Invoke(sums1, Avx2.UnpackHigh(low, high).AsInt16());
    }

    /// <summary>
    /// Turns the chunk's 32-bit integer sums, in the order <see cref="IWordSink"/> leaves them, into
    /// float sums in input order (exactly: integers within 2^24), in place, for the MAI pass and
    /// the finish. Per block of 64 inputs and 128-bit lane, vector u holds four inputs 4d + o(u)
    /// (d = 0..3): a 4x4 transpose per half lane puts them in order.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void ShuffleSumsInOrder(float* acc, int blocks)
    {
        for (int b = 0; b < blocks; b++, acc += ShuffleLanes)
        {
            int* sums = (int*)acc;
            Vector256<int> a0 = Vector256.Load(sums), a1 = Vector256.Load(sums + 8), a2 = Vector256.Load(sums + 16), a3 = Vector256.Load(sums + 24);
            Vector256<int> a4 = Vector256.Load(sums + 32), a5 = Vector256.Load(sums + 40), a6 = Vector256.Load(sums + 48), a7 = Vector256.Load(sums + 56);

            // Inputs 4d + 0, 1, 2, 3 (+ 16 for the second half) are in a0, a4, a1, a5 (a2, a6, a3, a7).
            InOrder(a0, a4, a1, a5, acc);
            InOrder(a2, a6, a3, a7, acc + 16);
        }
    }

    /// <summary>
    /// Four vectors whose lane L, element d is input 32L + 4d + r (r = 0..3: the vector) to floats
    /// in input order: inputs 0-7 and 8-15 of the half at <paramref name="acc"/>, and 32 later.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void InOrder(Vector256<int> r0, Vector256<int> r1, Vector256<int> r2, Vector256<int> r3, float* acc)
    {
        Vector256<long> t0 = Avx2.UnpackLow(r0, r1).AsInt64();
        Vector256<long> t1 = Avx2.UnpackLow(r2, r3).AsInt64();
        Vector256<long> t2 = Avx2.UnpackHigh(r0, r1).AsInt64();
        Vector256<long> t3 = Avx2.UnpackHigh(r2, r3).AsInt64();
        Vector256<int> d0 = Avx2.UnpackLow(t0, t1).AsInt32();
        Vector256<int> d1 = Avx2.UnpackHigh(t0, t1).AsInt32();
        Vector256<int> d2 = Avx2.UnpackLow(t2, t3).AsInt32();
        Vector256<int> d3 = Avx2.UnpackHigh(t2, t3).AsInt32();
        Vector256.ConvertToSingle(Avx2.Permute2x128(d0, d1, 0x20)).Store(acc);
        Vector256.ConvertToSingle(Avx2.Permute2x128(d2, d3, 0x20)).Store(acc + 8);
        Vector256.ConvertToSingle(Avx2.Permute2x128(d0, d1, 0x31)).Store(acc + 32);
        Vector256.ConvertToSingle(Avx2.Permute2x128(d2, d3, 0x31)).Store(acc + 40);
    }

    /// <summary>
    /// Where a <see cref="LookupKind.Shuffle16"/> step puts one bound's 16-bit sums of 64 inputs:
    /// 32-bit integer sums at <c>acc[0..64)</c>, in an order that needs no shuffles (those would
    /// compete with the lookups for the same execution ports): vector u = 2v + h at
    /// <c>acc + 8u</c> holds 16-bit lane 2d + h of sum vector v (even0, even1, odd0, odd1), i.e.
    /// input 32L + 4d + o in lane L, element d, with o = 0, 2, 16, 18, 1, 3, 17, 19 for u = 0..7.
    /// <see cref="ShuffleSumsInOrder"/> puts the chunk in input order once its passes are done.
    /// </summary>
    private interface IWordSink
    {
        /// <summary>
        /// Widens the sums of 64 inputs into <paramref name="acc"/>[0..64): in each 128-bit lane L
        /// (inputs 32L..32L+31), <paramref name="even0"/> holds inputs 2k for k &lt; 8,
        /// <paramref name="even1"/> for k &gt;= 8, and <paramref name="odd0"/> / <paramref name="odd1"/> inputs 2k + 1.
        /// </summary>
        static abstract unsafe void Put<TComb>(Vector256<short> even0, Vector256<short> even1, Vector256<short> odd0, Vector256<short> odd1, int* acc)
            where TComb : IFloatCombine;
    }

    /// <summary>Adds (or maxes) the sums into the accumulators.</summary>
    private readonly struct WordCombineSink : IWordSink
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static unsafe void Put<TComb>(Vector256<short> even0, Vector256<short> even1, Vector256<short> odd0, Vector256<short> odd1, int* acc)
            where TComb : IFloatCombine
        {
            // vpmaddwd by (1, 0) and (0, 1) sign-extends the even and the odd 16-bit lanes: it runs
            // on the multiply ports, beside the lookups' shuffles.
            Vector256<short> first = Vector256.Create(1).AsInt16();
            Vector256<short> second = Vector256.Create(1 << 16).AsInt16();
            Combine<TComb>(Avx2.MultiplyAddAdjacent(even0, first), acc);
            Combine<TComb>(Avx2.MultiplyAddAdjacent(even0, second), acc + 8);
            Combine<TComb>(Avx2.MultiplyAddAdjacent(even1, first), acc + 16);
            Combine<TComb>(Avx2.MultiplyAddAdjacent(even1, second), acc + 24);
            Combine<TComb>(Avx2.MultiplyAddAdjacent(odd0, first), acc + 32);
            Combine<TComb>(Avx2.MultiplyAddAdjacent(odd0, second), acc + 40);
            Combine<TComb>(Avx2.MultiplyAddAdjacent(odd1, first), acc + 48);
            Combine<TComb>(Avx2.MultiplyAddAdjacent(odd1, second), acc + 56);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static unsafe void Combine<TComb>(Vector256<int> sums, int* acc)
            where TComb : IFloatCombine =>
            TComb.Invoke(Vector256.Load(acc), sums).Store(acc);
    }

    /// <summary>Stores the sums: the chunk's first pass, over accumulators that were not cleared.</summary>
    private readonly struct WordStoreSink : IWordSink
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static unsafe void Put<TComb>(Vector256<short> even0, Vector256<short> even1, Vector256<short> odd0, Vector256<short> odd1, int* acc)
            where TComb : IFloatCombine
        {
            Vector256<short> first = Vector256.Create(1).AsInt16();
            Vector256<short> second = Vector256.Create(1 << 16).AsInt16();
            Avx2.MultiplyAddAdjacent(even0, first).Store(acc);
            Avx2.MultiplyAddAdjacent(even0, second).Store(acc + 8);
            Avx2.MultiplyAddAdjacent(even1, first).Store(acc + 16);
            Avx2.MultiplyAddAdjacent(even1, second).Store(acc + 24);
            Avx2.MultiplyAddAdjacent(odd0, first).Store(acc + 32);
            Avx2.MultiplyAddAdjacent(odd0, second).Store(acc + 40);
            Avx2.MultiplyAddAdjacent(odd1, first).Store(acc + 48);
            Avx2.MultiplyAddAdjacent(odd1, second).Store(acc + 56);
        }
    }

    /// <summary>The constants of <see cref="WindowReader"/> (<see cref="BoundsPlan.DecodeConstants"/>), loaded once per pass.</summary>
    private readonly unsafe struct DecodeConstants
    {
        public readonly Vector256<byte> EvenLow;
        public readonly Vector256<byte> EvenHigh;
        public readonly Vector256<byte> OddLow;
        public readonly Vector256<byte> OddHigh;
        public readonly Vector256<short> EvenLowShift;
        public readonly Vector256<short> EvenHighShift;
        public readonly Vector256<short> OddLowShift;
        public readonly Vector256<short> OddHighShift;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public DecodeConstants(byte* constants)
        {
            if (constants is null)
            {
                return;
            }

            EvenLow = Vector256.Load(constants);
            EvenHigh = Vector256.Load(constants + 32);
            OddLow = Vector256.Load(constants + 64);
            OddHigh = Vector256.Load(constants + 96);
            EvenLowShift = Vector256.Load((short*)(constants + 128));
            EvenHighShift = Vector256.Load((short*)(constants + 160));
            OddLowShift = Vector256.Load((short*)(constants + 192));
            OddHighShift = Vector256.Load((short*)(constants + 224));
        }
    }

    /// <summary>
    /// Reads the codes of 64 consecutive inputs as bytes whose low 4 bits index a periodic table
    /// (the code and, above it, bits of later codes) and whose bit 7 is clear (<c>vpshufb</c> gives
    /// 0 for it): input 32L + 2k in byte k of 128-bit lane L of the even vector, input
    /// 32L + 2k + 1 in the odd one.
    /// </summary>
    private interface ICodes64
    {
        /// <summary>Reads the codes of the 64 inputs whose codes start at <paramref name="codes"/>.</summary>
        static abstract unsafe void Read(byte* codes, int bits, in DecodeConstants constants, out Vector256<byte> even, out Vector256<byte> odd);
    }

    /// <summary>4-bit codes: 32 bytes, each the codes of inputs 2k (low nibble) and 2k + 1 (high nibble).</summary>
    private readonly struct NibbleReader : ICodes64
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static unsafe void Read(byte* codes, int bits, in DecodeConstants constants, out Vector256<byte> even, out Vector256<byte> odd)
        {
            Vector256<byte> packed = Vector256.Load(codes);
            Vector256<byte> nibble = Vector256.Create((byte)0x0F);
            even = packed & nibble;
            odd = Vector256.ShiftRightLogical(packed.AsUInt16(), 4).AsByte() & nibble;
        }
    }

    /// <summary>
    /// 1- to 3-bit codes: each 128-bit lane loads 16 bytes from its first code; per output byte a
    /// <c>vpshufb</c> gathers the 16-bit window holding its code and a <c>vpmullw</c> by
    /// 2^(8 - shift) moves the code to the window's high byte (a variable shift).
    /// </summary>
    private readonly struct WindowReader : ICodes64
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static unsafe void Read(byte* codes, int bits, in DecodeConstants constants, out Vector256<byte> even, out Vector256<byte> odd)
        {
            Vector256<byte> window = Vector256.Create(Vector128.Load(codes), Vector128.Load(codes + (4 * bits)));
            even = Merge(
                Avx2.MultiplyLow(Avx2.Shuffle(window, constants.EvenLow).AsInt16(), constants.EvenLowShift),
                Avx2.MultiplyLow(Avx2.Shuffle(window, constants.EvenHigh).AsInt16(), constants.EvenHighShift));
            odd = Merge(
                Avx2.MultiplyLow(Avx2.Shuffle(window, constants.OddLow).AsInt16(), constants.OddLowShift),
                Avx2.MultiplyLow(Avx2.Shuffle(window, constants.OddHigh).AsInt16(), constants.OddHighShift));
        }

        /// <summary>Bytes 2w and 2w + 1: the high bytes of 16-bit lane w of the two products, masked to 4 bits.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector256<byte> Merge(Vector256<short> first, Vector256<short> second) =>
            ((Vector256.ShiftRightLogical(first.AsUInt16(), 8) & Vector256.Create((ushort)0x000F)) | (second.AsUInt16() & Vector256.Create((ushort)0x0F00))).AsByte();
    }
}
