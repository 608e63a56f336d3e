using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace DeepEverest.Kernels.Simd;

/// <content>
/// The hardware-specific vector passes of <see cref="IKernels.GroupBounds"/> and its drivers. A
/// pass handles one neuron (eight or four with P &lt;= 16) over whole groups of lanes. Eight
/// codes always fill exactly <c>bits</c> bytes, so a 64-bit load at byte <c>i*bits/8</c> (i a
/// multiple of 8) holds the codes of inputs i..i+7, and for P &lt;= 16 those of i..i+15: one
/// AVX-512 VBMI <c>vpmultishiftqb</c> moves each lane's code into its low bits with no unpacking
/// to memory.
/// </content>
internal sealed partial class SimdKernels
{
    /// <summary>Neurons ahead whose codes are prefetched: a chunk's codes of one neuron are a short
    /// segment far from the previous neuron's, which the hardware prefetcher does not foresee.</summary>
    private const int PrefetchAhead = 4;

    /// <summary>Neurons ahead whose MAI entries for the chunk are prefetched.</summary>
    private const int MaiPrefetchAhead = 8;

    private static unsafe void GroupBoundsParallel(BoundsPlan plan, int chunks, Span<double> lower, Span<double> upper)
    {
        fixed (double* pLower = lower, pUpper = upper)
        {
            // Spans cannot enter a lambda; the pinned addresses can, and stay valid until the loop ends.
            nint lo = (nint)pLower;
            nint hi = (nint)pUpper;
            int n = plan.Inputs;
            Parallel.For(
                0,
                chunks,
                () => new BoundsScratch(plan.Neurons),
                (c, _, scratch) =>
                {
                    int i0 = c * ChunkInputs;
                    int len = Math.Min(ChunkInputs, n - i0);
                    BoundsChunk(plan, i0, len, scratch, new Span<double>((double*)lo + i0, len), new Span<double>((double*)hi + i0, len));
                    return scratch;
                },
                _ => { });
        }
    }

    /// <summary>Combines every neuron's table terms, then every neuron's MAI terms, into the chunk's sums.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void CombineChunk<TComb>(BoundsPlan plan, int i0, BoundsScratch scratch, Span<float> accLo, Span<float> accHi)
        where TComb : IFloatCombine
    {
        int len = accLo.Length;
        LookupKind lookup = plan.Lookup;
        int lanes = lookup switch
        {
            LookupKind.Permute16 or LookupKind.Permute32 or LookupKind.Gather512 => 16,
            LookupKind.Gather256 => 8,
            _ => 0,
        };
        int groups = lanes == 0 ? 0 : WindowGroups(plan, i0, len, lanes);
        int done = groups * lanes;
        int bits = plan.Bits;
        int segment = ((len * bits) + 7) / 8;
        BoundsProblem pr = plan.Problem;
        fixed (byte* codes = pr.Codes)
        fixed (float* tablesLo = plan.TableLower, tablesHi = plan.TableUpper)
        fixed (float* aLo = accLo, aHi = accHi)
        fixed (float* padLo = scratch.QuadLower, padHi = scratch.QuadUpper)
        {
            byte* chunkCodes = codes + ((long)i0 * bits / 8);
            int j = 0;
            if (lookup == LookupKind.Permute16)
            {
                j = plan.MultiShift
                    ? Permute16Groups<TComb, MultiShiftReader>(plan, i0, chunkCodes, groups, tablesLo, tablesHi, padLo, padHi, accLo, accHi, aLo, aHi)
                    : Permute16Groups<TComb, ShiftReader>(plan, i0, chunkCodes, groups, tablesLo, tablesHi, padLo, padHi, accLo, accHi, aLo, aHi);
            }

            for (; j < plan.Neurons; j++)
            {
                byte* stream = chunkCodes + ((long)j * plan.Stride);
                if (j + PrefetchAhead < plan.Neurons)
                {
                    Prefetch(stream + ((long)PrefetchAhead * plan.Stride), segment);
                }

                float* tLo = tablesLo + ((long)j * plan.TableStride);
                float* tHi = tablesHi + ((long)j * plan.TableStride);
                int covered = done;
                switch (lookup)
                {
                    case LookupKind.Permute16 when plan.MultiShift:
                        Permute16Pass<TComb, MultiShiftReader>(stream, groups, bits, tLo, tHi, aLo, aHi);
                        break;
                    case LookupKind.Permute16:
                        Permute16Pass<TComb, ShiftReader>(stream, groups, bits, tLo, tHi, aLo, aHi);
                        break;
                    case LookupKind.Permute32:
                        Permute32Pass<TComb>(stream, groups, bits, tLo, tHi, aLo, aHi);
                        break;
                    case LookupKind.Gather512:
                        Gather512Pass<TComb>(stream, groups, bits, tLo, tHi, aLo, aHi);
                        break;
                    case LookupKind.Gather256:
                        Gather256Pass<TComb>(stream, groups, bits, tLo, tHi, aLo, aHi);
                        break;
                    case LookupKind.Indexed:
                        covered = IndexedPass<TComb>(plan, j, i0, accLo, accHi);
                        break;
                    default:
                        covered = 0;
                        break;
                }

                if (covered < len)
                {
                    ScalarPass<TComb>(plan, j, i0, covered, accLo, accHi);
                }
            }

            MaiPasses<TComb>(pr, i0, len, scratch, aLo, aHi);
        }
    }

    /// <summary>
    /// The P &lt;= 16 table passes of a chunk, eight neurons at a time, then four; returns the first
    /// neuron left for single-neuron passes (at most one).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe int Permute16Groups<TComb, TReader>(
        BoundsPlan plan, int i0, byte* chunkCodes, int groups, float* tablesLo, float* tablesHi, float* padLo, float* padHi, Span<float> accLo, Span<float> accHi, float* aLo, float* aHi)
        where TComb : IFloatCombine
        where TReader : ICodes16
    {
        int bits = plan.Bits;
        int len = accLo.Length;
        int done = groups * 16;
        int j = 0;
        // Eight neurons per pass, then four: accumulators loaded and stored once for eight
        // (four) tables. A last pass of 2 or 3 neurons is padded with all-zero tables (adding
        // +0 to a sum, or max with +0 for linf's non-negative terms, changes nothing).
        for (; j + 8 <= plan.Neurons; j += 8)
        {
            byte* first = chunkCodes + ((long)j * plan.Stride);
            Permute16OctPass<TComb, TReader>(first, plan.Stride, groups, bits, tablesLo + ((long)j * 16), tablesHi + ((long)j * 16), aLo, aHi);
            for (int q = 0; q < 8 && done < len; q++)
            {
                ScalarPass<TComb>(plan, j + q, i0, done, accLo, accHi);
            }
        }

        for (; j + 2 <= plan.Neurons; j += 4)
        {
            int real = Math.Min(4, plan.Neurons - j);
            byte* first = chunkCodes + ((long)j * plan.Stride);
            float* quadLo = tablesLo + ((long)j * 16);
            float* quadHi = tablesHi + ((long)j * 16);
            if (real < 4)
            {
                quadLo = PadQuad(quadLo, real, padLo);
                quadHi = PadQuad(quadHi, real, padHi);
            }

            byte* c1 = first + plan.Stride;
            byte* c2 = real > 2 ? c1 + plan.Stride : first;
            byte* c3 = real > 3 ? c2 + plan.Stride : first;
            Permute16QuadPass<TComb, TReader>(first, c1, c2, c3, groups, bits, quadLo, quadHi, aLo, aHi);
            for (int q = 0; q < real && done < len; q++)
            {
                ScalarPass<TComb>(plan, j + q, i0, done, accLo, accHi);
            }
        }

        return Math.Min(j, plan.Neurons);
    }

    /// <summary>
    /// Combines, neuron by neuron in group order, the MAI terms of the chunk's inputs (every entry
    /// applies: <see cref="BoundsProblem.Create"/> keeps only those whose code is 0, so no code is
    /// read here; the codes of a large group's chunk are out of L1 by now).
    /// </summary>
    private static unsafe void MaiPasses<TComb>(BoundsProblem pr, int i0, int len, BoundsScratch scratch, float* aLo, float* aHi)
        where TComb : IFloatCombine
    {
        bool cursorValid = scratch.CursorInput == i0;
        int[] cursors = scratch.MaiCursor;
        int stop = i0 + len;
        fixed (int* offsets = pr.MaiOffsets, ids = pr.MaiIds)
        fixed (float* termsLo = pr.CoarseMaiLower, termsHi = pr.CoarseMaiUpper)
        {
            for (int j = 0; j < cursors.Length; j++)
            {
                if (cursorValid && j + MaiPrefetchAhead < cursors.Length && Sse.IsSupported)
                {
                    // Each neuron's entries for the chunk are a short run far from the previous
                    // neuron's: fetch a later neuron's run while this one is combined.
                    int ahead = cursors[j + MaiPrefetchAhead];
                    for (int line = 0; line < 4; line++)
                    {
                        Sse.Prefetch0(ids + ahead + (line * 16));
                        Sse.Prefetch0(termsLo + ahead + (line * 16));
                        Sse.Prefetch0(termsHi + ahead + (line * 16));
                    }
                }

                int end = offsets[j + 1];
                int k = cursorValid ? cursors[j] : LowerBound(ids, offsets[j], end, i0);
                for (; k < end && ids[k] < stop; k++)
                {
                    int at = ids[k] - i0;
                    aLo[at] = TComb.Invoke(aLo[at], termsLo[k]);
                    aHi[at] = TComb.Invoke(aHi[at], termsHi[k]);
                }

                cursors[j] = k;
            }
        }
    }

    /// <summary>First index in [from, to) of the ascending <paramref name="ids"/> holding a value >= <paramref name="id"/>.</summary>
    private static unsafe int LowerBound(int* ids, int from, int to, int id)
    {
        while (from < to)
        {
            int mid = (int)(((uint)from + (uint)to) >> 1);
            if (ids[mid] < id)
            {
                from = mid + 1;
            }
            else
            {
                to = mid;
            }
        }

        return from;
    }

    /// <summary>
    /// Leading groups of <paramref name="lanes"/> chunk inputs whose code reads stay inside the
    /// neuron's stream: the group at input i reads 8 bytes at i*bits/8 and, for 16 lanes, 8 more
    /// at (i+8)*bits/8.
    /// </summary>
    private static int WindowGroups(BoundsPlan plan, int i0, int len, int lanes)
    {
        // Last window of the group starting at input i: (i + lanes - 8) * bits / 8, eight bytes.
        long lastOk = (((long)plan.Stride - 8) * 8 / plan.Bits) - (lanes - 8);
        if (plan.Stride < 8 || lastOk < i0)
        {
            return 0;
        }

        return (int)Math.Min(len / lanes, ((lastOk - i0) / lanes) + 1);
    }

    private static unsafe void Prefetch(byte* start, int bytes)
    {
        if (Sse.IsSupported)
        {
            for (int offset = 0; offset < bytes; offset += 64)
            {
                Sse.Prefetch0(start + offset);
            }
        }
    }

    /// <summary>The control of <see cref="MultiShiftReader"/>: byte 0 of 32-bit lane d takes the 8 bits at d*bits.</summary>
    private static Vector512<byte> MultiShiftControl(int bits)
    {
        Vector512<uint> offsets = Vector512<uint>.Indices * (uint)bits;
        return offsets.AsByte();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Permute16Pass<TComb, TReader>(byte* codes, int groups, int bits, float* tLo, float* tHi, float* aLo, float* aHi)
        where TComb : IFloatCombine
        where TReader : ICodes16
    {
        Debug.Assert(Avx512F.IsSupported, "one-register tables need AVX-512");
        Vector512<byte> control = MultiShiftControl(bits);
        Vector512<ulong> shifts = Vector512<ulong>.Indices * (ulong)bits;
        Vector512<ulong> mask = Vector512.Create((1UL << bits) - 1);
        Vector512<float> lo = Vector512.Load(tLo);
        Vector512<float> hi = Vector512.Load(tHi);
        for (int gi = 0; gi < groups; gi++, codes += 2 * bits, aLo += 16, aHi += 16)
        {
            Vector512<int> idx = TReader.Read(codes, bits, control, shifts, mask);
            TComb.Invoke(Vector512.Load(aLo), Avx512F.PermuteVar16x32(lo, idx)).Store(aLo);
            TComb.Invoke(Vector512.Load(aHi), Avx512F.PermuteVar16x32(hi, idx)).Store(aHi);
        }
    }

    /// <summary>Eight neurons in one pass: their sixteen tables (<c>tLo[q*16..]</c>) in registers, accumulators loaded once.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Permute16OctPass<TComb, TReader>(byte* codes, int stride, int groups, int bits, float* tLo, float* tHi, float* aLo, float* aHi)
        where TComb : IFloatCombine
        where TReader : ICodes16
    {
        Debug.Assert(Avx512F.IsSupported, "one-register tables need AVX-512");
        Vector512<byte> control = MultiShiftControl(bits);
        Vector512<ulong> shifts = Vector512<ulong>.Indices * (ulong)bits;
        Vector512<ulong> mask = Vector512.Create((1UL << bits) - 1);
        Vector512<float> lo0 = Vector512.Load(tLo);
        Vector512<float> lo1 = Vector512.Load(tLo + 16);
        Vector512<float> lo2 = Vector512.Load(tLo + 32);
        Vector512<float> lo3 = Vector512.Load(tLo + 48);
        Vector512<float> lo4 = Vector512.Load(tLo + 64);
        Vector512<float> lo5 = Vector512.Load(tLo + 80);
        Vector512<float> lo6 = Vector512.Load(tLo + 96);
        Vector512<float> lo7 = Vector512.Load(tLo + 112);
        Vector512<float> hi0 = Vector512.Load(tHi);
        Vector512<float> hi1 = Vector512.Load(tHi + 16);
        Vector512<float> hi2 = Vector512.Load(tHi + 32);
        Vector512<float> hi3 = Vector512.Load(tHi + 48);
        Vector512<float> hi4 = Vector512.Load(tHi + 64);
        Vector512<float> hi5 = Vector512.Load(tHi + 80);
        Vector512<float> hi6 = Vector512.Load(tHi + 96);
        Vector512<float> hi7 = Vector512.Load(tHi + 112);
        for (int gi = 0; gi < groups; gi++, codes += 2 * bits, aLo += 16, aHi += 16)
        {
            Vector512<int> i0 = TReader.Read(codes, bits, control, shifts, mask);
            Vector512<int> i1 = TReader.Read(codes + stride, bits, control, shifts, mask);
            Vector512<int> i2 = TReader.Read(codes + (2L * stride), bits, control, shifts, mask);
            Vector512<int> i3 = TReader.Read(codes + (3L * stride), bits, control, shifts, mask);
            Vector512<float> lo = TComb.Invoke(Vector512.Load(aLo), Avx512F.PermuteVar16x32(lo0, i0));
            Vector512<float> hi = TComb.Invoke(Vector512.Load(aHi), Avx512F.PermuteVar16x32(hi0, i0));
            lo = TComb.Invoke(lo, Avx512F.PermuteVar16x32(lo1, i1));
            hi = TComb.Invoke(hi, Avx512F.PermuteVar16x32(hi1, i1));
            lo = TComb.Invoke(lo, Avx512F.PermuteVar16x32(lo2, i2));
            hi = TComb.Invoke(hi, Avx512F.PermuteVar16x32(hi2, i2));
            lo = TComb.Invoke(lo, Avx512F.PermuteVar16x32(lo3, i3));
            hi = TComb.Invoke(hi, Avx512F.PermuteVar16x32(hi3, i3));
            i0 = TReader.Read(codes + (4L * stride), bits, control, shifts, mask);
            i1 = TReader.Read(codes + (5L * stride), bits, control, shifts, mask);
            i2 = TReader.Read(codes + (6L * stride), bits, control, shifts, mask);
            i3 = TReader.Read(codes + (7L * stride), bits, control, shifts, mask);
            lo = TComb.Invoke(lo, Avx512F.PermuteVar16x32(lo4, i0));
            hi = TComb.Invoke(hi, Avx512F.PermuteVar16x32(hi4, i0));
            lo = TComb.Invoke(lo, Avx512F.PermuteVar16x32(lo5, i1));
            hi = TComb.Invoke(hi, Avx512F.PermuteVar16x32(hi5, i1));
            lo = TComb.Invoke(lo, Avx512F.PermuteVar16x32(lo6, i2));
            hi = TComb.Invoke(hi, Avx512F.PermuteVar16x32(hi6, i2));
            TComb.Invoke(lo, Avx512F.PermuteVar16x32(lo7, i3)).Store(aLo);
            TComb.Invoke(hi, Avx512F.PermuteVar16x32(hi7, i3)).Store(aHi);
        }
    }

    /// <summary>Copies <paramref name="real"/> 16-entry tables into the 64 floats at <paramref name="quad"/> and zeros the rest.</summary>
    private static unsafe float* PadQuad(float* tables, int real, float* quad)
    {
        var padded = new Span<float>(quad, 64);
        padded.Clear();
        new ReadOnlySpan<float>(tables, real * 16).CopyTo(padded);
        return quad;
    }

    /// <summary>Four neurons in one pass: their eight tables (<c>tLo[q*16..]</c>) in registers, accumulators loaded once.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Permute16QuadPass<TComb, TReader>(
        byte* codes0, byte* codes1, byte* codes2, byte* codes3, int groups, int bits, float* tLo, float* tHi, float* aLo, float* aHi)
        where TComb : IFloatCombine
        where TReader : ICodes16
    {
        Debug.Assert(Avx512F.IsSupported, "one-register tables need AVX-512");
        Vector512<byte> control = MultiShiftControl(bits);
        Vector512<ulong> shifts = Vector512<ulong>.Indices * (ulong)bits;
        Vector512<ulong> mask = Vector512.Create((1UL << bits) - 1);
        Vector512<float> lo0 = Vector512.Load(tLo);
        Vector512<float> lo1 = Vector512.Load(tLo + 16);
        Vector512<float> lo2 = Vector512.Load(tLo + 32);
        Vector512<float> lo3 = Vector512.Load(tLo + 48);
        Vector512<float> hi0 = Vector512.Load(tHi);
        Vector512<float> hi1 = Vector512.Load(tHi + 16);
        Vector512<float> hi2 = Vector512.Load(tHi + 32);
        Vector512<float> hi3 = Vector512.Load(tHi + 48);
        int step = 2 * bits;
        for (int gi = 0; gi < groups; gi++, codes0 += step, codes1 += step, codes2 += step, codes3 += step, aLo += 16, aHi += 16)
        {
            Vector512<int> i0 = TReader.Read(codes0, bits, control, shifts, mask);
            Vector512<int> i1 = TReader.Read(codes1, bits, control, shifts, mask);
            Vector512<int> i2 = TReader.Read(codes2, bits, control, shifts, mask);
            Vector512<int> i3 = TReader.Read(codes3, bits, control, shifts, mask);
            Vector512<float> lo = TComb.Invoke(Vector512.Load(aLo), Avx512F.PermuteVar16x32(lo0, i0));
            Vector512<float> hi = TComb.Invoke(Vector512.Load(aHi), Avx512F.PermuteVar16x32(hi0, i0));
            lo = TComb.Invoke(lo, Avx512F.PermuteVar16x32(lo1, i1));
            hi = TComb.Invoke(hi, Avx512F.PermuteVar16x32(hi1, i1));
            lo = TComb.Invoke(lo, Avx512F.PermuteVar16x32(lo2, i2));
            hi = TComb.Invoke(hi, Avx512F.PermuteVar16x32(hi2, i2));
            TComb.Invoke(lo, Avx512F.PermuteVar16x32(lo3, i3)).Store(aLo);
            TComb.Invoke(hi, Avx512F.PermuteVar16x32(hi3, i3)).Store(aHi);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Permute32Pass<TComb>(byte* codes, int groups, int bits, float* tLo, float* tHi, float* aLo, float* aHi)
        where TComb : IFloatCombine
    {
        Debug.Assert(Avx512F.IsSupported, "two-register tables need AVX-512");
        Vector512<ulong> shifts = Vector512<ulong>.Indices * (ulong)bits;
        Vector512<ulong> mask = Vector512.Create((1UL << bits) - 1);
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
        Vector512<ulong> shifts = Vector512<ulong>.Indices * (ulong)bits;
        Vector512<ulong> mask = Vector512.Create((1UL << bits) - 1);
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
