using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace DeepEverest.Kernels.Simd;

/// <content>
/// The hardware-specific vector passes of <see cref="IKernels.GroupBounds"/> and its drivers. A
/// pass handles one neuron over whole groups of 8 inputs: the 8 codes of a group fill exactly
/// <c>bits</c> bytes at byte offset <c>i*bits/8</c> (i is a multiple of 8), so one unaligned 64-bit
/// load broadcast to all lanes and shifted per lane by <c>lane*bits</c> yields every lane's code
/// without unpacking to memory first.
/// </content>
internal sealed partial class SimdKernels
{
    /// <summary>Neurons ahead whose codes are prefetched: a chunk's codes of one neuron are a short
    /// segment far from the previous neuron's, which the hardware prefetcher does not foresee.</summary>
    private const int PrefetchAhead = 2;

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

    /// <summary>Combines every neuron's terms, in group order, into the chunk's accumulators.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void CombineChunk<TComb>(BoundsPlan plan, int i0, BoundsScratch scratch, Span<double> accLo, Span<double> accHi)
        where TComb : ICombine
    {
        int len = accLo.Length;
        LookupKind lookup = plan.Lookup;
        int groups = lookup is LookupKind.None or LookupKind.Indexed ? 0 : WindowGroups(plan, i0, len);
        int bits = plan.Bits;
        ulong mask = (ulong)plan.Partitions - 1;
        int segment = ((len * bits) + 7) / 8;
        bool cursorValid = scratch.CursorInput == i0;
        int[] cursors = scratch.MaiCursor;
        BoundsProblem pr = plan.Problem;
        fixed (byte* codes = pr.Codes)
        fixed (double* tablesLo = plan.TableLower, tablesHi = plan.TableUpper)
        fixed (double* aLo = accLo, aHi = accHi)
        fixed (int* maiOffsets = pr.MaiOffsets, maiIds = pr.MaiIds)
        fixed (double* maiTerms = pr.MaiTerms)
        fixed (int* savedAt = scratch.SavedAt)
        fixed (double* savedLo = scratch.SavedLower, savedHi = scratch.SavedUpper, savedTerm = scratch.SavedTerm)
        {
            var mai = new MaiView(maiOffsets, maiIds, maiTerms, i0, len, bits);
            var save = new SavedMai(savedAt, savedLo, savedHi, savedTerm);
            byte* chunkCodes = codes + ((long)i0 * bits / 8);
            for (int j = 0; j < plan.Neurons; j++)
            {
                if (lookup == LookupKind.Permute16 && j + 1 < plan.Neurons)
                {
                    // Two neurons per pass halve the accumulator loads and stores.
                    byte* first = chunkCodes + ((long)j * plan.Stride);
                    if (j + PrefetchAhead + 1 < plan.Neurons)
                    {
                        Prefetch(first + ((long)PrefetchAhead * plan.Stride), segment);
                        Prefetch(first + ((long)(PrefetchAhead + 1) * plan.Stride), segment);
                    }

                    int saved = SaveMai(mai, codes + ((long)j * plan.Stride), j, cursorValid, ref cursors[j], save, aLo, aHi);
                    Permute16PairPass<TComb>(
                        first, plan.Stride, groups, bits, mask, tablesLo + ((long)j * plan.TableStride), tablesHi + ((long)j * plan.TableStride), plan.TableStride, aLo, aHi);
                    if (groups * 8 < len)
                    {
                        ScalarPass<TComb>(plan, j, i0, groups * 8, accLo, accHi);
                        ScalarPass<TComb>(plan, j + 1, i0, groups * 8, accLo, accHi);
                    }

                    RestoreMai<TComb>(
                        mai, codes + ((long)(j + 1) * plan.Stride), tablesLo + ((long)(j + 1) * plan.TableStride), tablesHi + ((long)(j + 1) * plan.TableStride), saved, save, aLo, aHi);
                    MaiPass<TComb>(mai, codes + ((long)(j + 1) * plan.Stride), j + 1, cursorValid, ref cursors[j + 1], aLo, aHi);
                    j++;
                    continue;
                }

                byte* stream = chunkCodes + ((long)j * plan.Stride);
                if (j + PrefetchAhead < plan.Neurons)
                {
                    Prefetch(stream + ((long)PrefetchAhead * plan.Stride), segment);
                }

                double* tLo = tablesLo + ((long)j * plan.TableStride);
                double* tHi = tablesHi + ((long)j * plan.TableStride);
                int done = groups * 8;
                switch (lookup)
                {
                    case LookupKind.Permute16:
                        Permute16Pass<TComb>(stream, groups, bits, mask, tLo, tHi, aLo, aHi);
                        break;
                    case LookupKind.Permute32:
                        Permute32Pass<TComb>(stream, groups, bits, mask, tLo, tHi, aLo, aHi);
                        break;
                    case LookupKind.Gather512:
                        Gather512Pass<TComb>(stream, groups, bits, mask, tLo, tHi, aLo, aHi);
                        break;
                    case LookupKind.Gather256:
                        Gather256Pass<TComb>(stream, groups, bits, mask, tLo, tHi, aLo, aHi);
                        break;
                    case LookupKind.Indexed:
                        done = plan.Path switch
                        {
                            SimdPath.Vector512 => IndexedPass<Double512, TComb>(plan, j, i0, accLo, accHi),
                            SimdPath.Vector256 => IndexedPass<Double256, TComb>(plan, j, i0, accLo, accHi),
                            _ => IndexedPass<DoubleT, TComb>(plan, j, i0, accLo, accHi),
                        };
                        break;
                    default:
                        done = 0;
                        break;
                }

                if (done < len)
                {
                    ScalarPass<TComb>(plan, j, i0, done, accLo, accHi);
                }

                MaiPass<TComb>(mai, codes + ((long)j * plan.Stride), j, cursorValid, ref cursors[j], aLo, aHi);
            }
        }
    }

    /// <summary>
    /// Combines the exact terms of neuron j's MAI inputs in the chunk whose code is 0 (an entry
    /// whose code is not 0 is not an MAI input by its code: its table term already counted).
    /// <paramref name="cursor"/> is the neuron's first MAI entry at or after the chunk when
    /// <paramref name="cursorValid"/>; it is left at the first entry after the chunk.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void MaiPass<TComb>(in MaiView mai, byte* stream, int j, bool cursorValid, ref int cursor, double* aLo, double* aHi)
        where TComb : ICombine
    {
        int end = mai.Offsets[j + 1];
        int k = cursorValid ? cursor : LowerBound(mai.Ids, mai.Offsets[j], end, mai.Start);
        for (; k < end && mai.Ids[k] < mai.Stop; k++)
        {
            int id = mai.Ids[k];
            if (CodeAt(stream, mai.Bits, id) == 0)
            {
                int at = id - mai.Start;
                double term = mai.Terms[k];
                aLo[at] = TComb.Invoke(aLo[at], term);
                aHi[at] = TComb.Invoke(aHi[at], term);
            }
        }

        cursor = k;
    }

    /// <summary>
    /// Before a two-neuron pass over neurons j and j+1: saves the accumulators and exact terms of
    /// neuron j's MAI inputs in the chunk (code 0), whose correct value the pass cannot produce (it
    /// combines j+1's term before j's MAI term could go in). Returns how many were saved.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe int SaveMai(in MaiView mai, byte* stream, int j, bool cursorValid, ref int cursor, in SavedMai save, double* aLo, double* aHi)
    {
        int end = mai.Offsets[j + 1];
        int k = cursorValid ? cursor : LowerBound(mai.Ids, mai.Offsets[j], end, mai.Start);
        int saved = 0;
        for (; k < end && mai.Ids[k] < mai.Stop; k++)
        {
            int id = mai.Ids[k];
            if (CodeAt(stream, mai.Bits, id) == 0)
            {
                int at = id - mai.Start;
                save.At[saved] = at;
                save.Lower[saved] = aLo[at];
                save.Upper[saved] = aHi[at];
                save.Term[saved] = mai.Terms[k];
                saved++;
            }
        }

        cursor = k;
        return saved;
    }

    /// <summary>
    /// After a two-neuron pass: recomputes neuron j's saved MAI inputs in order, its exact term
    /// then neuron j+1's table term (an input also in j+1's MAI gets 0 here and its exact term from
    /// j+1's MAI pass, which follows).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void RestoreMai<TComb>(
        in MaiView mai, byte* nextStream, double* nextLo, double* nextHi, int saved, in SavedMai save, double* aLo, double* aHi)
        where TComb : ICombine
    {
        for (int s = 0; s < saved; s++)
        {
            int at = save.At[s];
            int code = CodeAt(nextStream, mai.Bits, (long)mai.Start + at);
            double term = save.Term[s];
            aLo[at] = TComb.Invoke(TComb.Invoke(save.Lower[s], term), nextLo[code]);
            aHi[at] = TComb.Invoke(TComb.Invoke(save.Upper[s], term), nextHi[code]);
        }
    }

    /// <summary>The code of input <paramref name="i"/> in a neuron's stream (no bounds checks).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe int CodeAt(byte* stream, int bits, long i)
    {
        long bit = i * bits;
        byte* at = stream + (bit >> 3);
        int shift = (int)(bit & 7);
        int v = at[0];
        if (shift + bits > 8)
        {
            v |= at[1] << 8;
        }

        return (v >> shift) & ((1 << bits) - 1);
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

    /// <summary>Leading groups of 8 chunk inputs whose 8-byte code window ends inside the stream.</summary>
    private static int WindowGroups(BoundsPlan plan, int i0, int len)
    {
        if (plan.Stride < 8)
        {
            return 0;
        }

        // A group starting at input i reads bytes [i*bits/8, i*bits/8 + 8).
        long lastStart = ((long)plan.Stride - 8) * 8 / plan.Bits;
        return lastStart < i0 ? 0 : (int)Math.Min(len / 8, ((lastStart - i0) / 8) + 1);
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

    /// <summary>Per-lane codes of the group at <paramref name="codes"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe Vector512<long> Codes512(byte* codes, Vector512<ulong> shifts, Vector512<ulong> mask) =>
        (Avx512F.ShiftRightLogicalVariable(Vector512.Create(Unsafe.ReadUnaligned<ulong>(codes)), shifts) & mask).AsInt64();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Permute16Pass<TComb>(byte* codes, int groups, int bits, ulong mask, double* tLo, double* tHi, double* aLo, double* aHi)
        where TComb : ICombine
    {
        Debug.Assert(Avx512F.IsSupported, "two-register tables need AVX-512 (and 16 readable entries)");
        Vector512<ulong> shifts = Vector512<ulong>.Indices * (ulong)bits;
        Vector512<ulong> m = Vector512.Create(mask);

        // The neuron's whole table lives in four registers for the pass.
        Vector512<double> lo0 = Vector512.Load(tLo);
        Vector512<double> lo1 = Vector512.Load(tLo + 8);
        Vector512<double> hi0 = Vector512.Load(tHi);
        Vector512<double> hi1 = Vector512.Load(tHi + 8);
        for (int gi = 0; gi < groups; gi++, codes += bits, aLo += 8, aHi += 8)
        {
            Vector512<long> idx = Codes512(codes, shifts, m);
            TComb.Invoke(new Double512(Vector512.Load(aLo)), new Double512(Avx512F.PermuteVar8x64x2(lo0, idx, lo1))).Value.Store(aLo);
            TComb.Invoke(new Double512(Vector512.Load(aHi)), new Double512(Avx512F.PermuteVar8x64x2(hi0, idx, hi1))).Value.Store(aHi);
        }
    }

    /// <summary>Neurons j and j+1 in one pass: both tables in eight registers, accumulators loaded once.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Permute16PairPass<TComb>(
        byte* codes, int stride, int groups, int bits, ulong mask, double* tLo, double* tHi, int tableStride, double* aLo, double* aHi)
        where TComb : ICombine
    {
        Debug.Assert(Avx512F.IsSupported, "two-register tables need AVX-512 (and 16 readable entries)");
        Vector512<ulong> shifts = Vector512<ulong>.Indices * (ulong)bits;
        Vector512<ulong> m = Vector512.Create(mask);
        Vector512<double> lo0 = Vector512.Load(tLo);
        Vector512<double> lo1 = Vector512.Load(tLo + 8);
        Vector512<double> hi0 = Vector512.Load(tHi);
        Vector512<double> hi1 = Vector512.Load(tHi + 8);
        Vector512<double> lo2 = Vector512.Load(tLo + tableStride);
        Vector512<double> lo3 = Vector512.Load(tLo + tableStride + 8);
        Vector512<double> hi2 = Vector512.Load(tHi + tableStride);
        Vector512<double> hi3 = Vector512.Load(tHi + tableStride + 8);
        for (int gi = 0; gi < groups; gi++, codes += bits, aLo += 8, aHi += 8)
        {
            Vector512<long> idx = Codes512(codes, shifts, m);
            Vector512<long> idxNext = Codes512(codes + stride, shifts, m);
            Double512 lo = TComb.Invoke(new Double512(Vector512.Load(aLo)), new Double512(Avx512F.PermuteVar8x64x2(lo0, idx, lo1)));
            Double512 hi = TComb.Invoke(new Double512(Vector512.Load(aHi)), new Double512(Avx512F.PermuteVar8x64x2(hi0, idx, hi1)));
            TComb.Invoke(lo, new Double512(Avx512F.PermuteVar8x64x2(lo2, idxNext, lo3))).Value.Store(aLo);
            TComb.Invoke(hi, new Double512(Avx512F.PermuteVar8x64x2(hi2, idxNext, hi3))).Value.Store(aHi);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Permute32Pass<TComb>(byte* codes, int groups, int bits, ulong mask, double* tLo, double* tHi, double* aLo, double* aHi)
        where TComb : ICombine
    {
        Debug.Assert(Avx512F.IsSupported, "32-entry tables need AVX-512");
        Vector512<ulong> shifts = Vector512<ulong>.Indices * (ulong)bits;
        Vector512<ulong> m = Vector512.Create(mask);
        Vector512<long> high = Vector512.Create(16L);
        Vector512<double> lo0 = Vector512.Load(tLo);
        Vector512<double> lo1 = Vector512.Load(tLo + 8);
        Vector512<double> lo2 = Vector512.Load(tLo + 16);
        Vector512<double> lo3 = Vector512.Load(tLo + 24);
        Vector512<double> hi0 = Vector512.Load(tHi);
        Vector512<double> hi1 = Vector512.Load(tHi + 8);
        Vector512<double> hi2 = Vector512.Load(tHi + 16);
        Vector512<double> hi3 = Vector512.Load(tHi + 24);
        for (int gi = 0; gi < groups; gi++, codes += bits, aLo += 8, aHi += 8)
        {
            Vector512<long> idx = Codes512(codes, shifts, m);

            // Bit 4 of the code picks the upper half of the table.
            Vector512<double> upperHalf = Vector512.Equals(idx & high, high).AsDouble();
            Vector512<double> termLo = Vector512.ConditionalSelect(upperHalf, Avx512F.PermuteVar8x64x2(lo2, idx, lo3), Avx512F.PermuteVar8x64x2(lo0, idx, lo1));
            Vector512<double> termHi = Vector512.ConditionalSelect(upperHalf, Avx512F.PermuteVar8x64x2(hi2, idx, hi3), Avx512F.PermuteVar8x64x2(hi0, idx, hi1));
            TComb.Invoke(new Double512(Vector512.Load(aLo)), new Double512(termLo)).Value.Store(aLo);
            TComb.Invoke(new Double512(Vector512.Load(aHi)), new Double512(termHi)).Value.Store(aHi);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Gather512Pass<TComb>(byte* codes, int groups, int bits, ulong mask, double* tLo, double* tHi, double* aLo, double* aHi)
        where TComb : ICombine
    {
        Debug.Assert(Avx512F.IsSupported && Avx2.IsSupported, "needs AVX-512 shifts and AVX2 gathers");
        Vector512<ulong> shifts = Vector512<ulong>.Indices * (ulong)bits;
        Vector512<ulong> m = Vector512.Create(mask);
        for (int gi = 0; gi < groups; gi++, codes += bits, aLo += 8, aHi += 8)
        {
            Vector512<long> idx = Codes512(codes, shifts, m);
            Vector256<long> first = idx.GetLower();
            Vector256<long> second = idx.GetUpper();
            Vector512<double> termLo = Vector512.Create(Avx2.GatherVector256(tLo, first, 8), Avx2.GatherVector256(tLo, second, 8));
            Vector512<double> termHi = Vector512.Create(Avx2.GatherVector256(tHi, first, 8), Avx2.GatherVector256(tHi, second, 8));
            TComb.Invoke(new Double512(Vector512.Load(aLo)), new Double512(termLo)).Value.Store(aLo);
            TComb.Invoke(new Double512(Vector512.Load(aHi)), new Double512(termHi)).Value.Store(aHi);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Gather256Pass<TComb>(byte* codes, int groups, int bits, ulong mask, double* tLo, double* tHi, double* aLo, double* aHi)
        where TComb : ICombine
    {
        Debug.Assert(Avx2.IsSupported, "needs AVX2");
        Vector256<ulong> shiftsFirst = Vector256<ulong>.Indices * (ulong)bits;
        Vector256<ulong> shiftsSecond = shiftsFirst + Vector256.Create(4UL * (ulong)bits);
        Vector256<ulong> m = Vector256.Create(mask);
        for (int gi = 0; gi < groups; gi++, codes += bits, aLo += 8, aHi += 8)
        {
            Vector256<ulong> window = Vector256.Create(Unsafe.ReadUnaligned<ulong>(codes));
            Vector256<long> first = (Avx2.ShiftRightLogicalVariable(window, shiftsFirst) & m).AsInt64();
            Vector256<long> second = (Avx2.ShiftRightLogicalVariable(window, shiftsSecond) & m).AsInt64();
            TComb.Invoke(new Double256(Vector256.Load(aLo)), new Double256(Avx2.GatherVector256(tLo, first, 8))).Value.Store(aLo);
            TComb.Invoke(new Double256(Vector256.Load(aLo + 4)), new Double256(Avx2.GatherVector256(tLo, second, 8))).Value.Store(aLo + 4);
            TComb.Invoke(new Double256(Vector256.Load(aHi)), new Double256(Avx2.GatherVector256(tHi, first, 8))).Value.Store(aHi);
            TComb.Invoke(new Double256(Vector256.Load(aHi + 4)), new Double256(Avx2.GatherVector256(tHi, second, 8))).Value.Store(aHi + 4);
        }
    }

    /// <summary>Pinned MAI arrays of a bounds problem and the chunk being processed.</summary>
    private readonly unsafe struct MaiView(int* offsets, int* ids, double* terms, int start, int count, int bits)
    {
        /// <summary>g + 1 offsets into <see cref="Ids"/> and <see cref="Terms"/>.</summary>
        public readonly int* Offsets = offsets;

        /// <summary>MAI ids, ascending per neuron.</summary>
        public readonly int* Ids = ids;

        /// <summary>Exact MAI terms.</summary>
        public readonly double* Terms = terms;

        /// <summary>First input of the chunk.</summary>
        public readonly int Start = start;

        /// <summary>One past the last input of the chunk.</summary>
        public readonly int Stop = start + count;

        /// <summary>Bits per code.</summary>
        public readonly int Bits = bits;
    }

    /// <summary>Pinned buffers of the MAI inputs saved across a two-neuron pass.</summary>
    private readonly unsafe struct SavedMai(int* at, double* lower, double* upper, double* term)
    {
        /// <summary>Chunk positions.</summary>
        public readonly int* At = at;

        /// <summary>Lower accumulators before the pass.</summary>
        public readonly double* Lower = lower;

        /// <summary>Upper accumulators before the pass.</summary>
        public readonly double* Upper = upper;

        /// <summary>Exact terms.</summary>
        public readonly double* Term = term;
    }
}
