using System.Runtime.CompilerServices;
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

    /// <summary>
    /// Chunks on every core. The calling thread starts at once and helpers join when the thread
    /// pool wakes them; chunks are claimed one by one, and the call waits only for chunks a helper
    /// has claimed. A helper that wakes late (in a VM, waking an idle vCPU can take longer than a
    /// small group's whole filter) finds nothing left and touches nothing, so it cannot delay the
    /// call (Parallel.For waits for every worker it queued).
    /// </summary>
    private static unsafe void GroupBoundsParallel(BoundsPlan plan, int chunks, Span<double> lower, Span<double> upper)
    {
        fixed (double* pLower = lower, pUpper = upper)
        {
            var work = new ChunkWork(plan, chunks, (nint)pLower, (nint)pUpper);
            for (int h = 1; h < Math.Min(Environment.ProcessorCount, chunks); h++)
            {
                ThreadPool.UnsafeQueueUserWorkItem(static w => w.Run(), work, preferLocal: false);
            }

            work.Run();
            work.WaitForClaimed();
        }
    }

    /// <summary>The shared state of <see cref="GroupBoundsParallel"/>: the next chunk to claim and
    /// how many are finished. Output addresses stay pinned until every claimed chunk is finished.</summary>
    private sealed class ChunkWork(BoundsPlan plan, int chunks, nint lower, nint upper)
    {
        [ThreadStatic]
        private static BoundsScratch? _threadScratch;

        private int _next;
        private int _finished;
        private Exception? _failure;

        /// <summary>Claims and computes chunks until none is left.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public unsafe void Run()
        {
            BoundsScratch scratch = _threadScratch ??= new BoundsScratch();
            for (int c = Interlocked.Increment(ref _next) - 1; c < chunks; c = Interlocked.Increment(ref _next) - 1)
            {
                try
                {
                    int i0 = c * ChunkInputs;
                    int len = Math.Min(ChunkInputs, plan.Inputs - i0);
                    BoundsChunk(plan, i0, len, scratch, new Span<double>((double*)lower + i0, len), new Span<double>((double*)upper + i0, len));
                }
                catch (Exception e)
                {
                    Interlocked.CompareExchange(ref _failure, e, null);
                }
                finally
                {
                    Interlocked.Increment(ref _finished);
                }
            }
        }

        /// <summary>Waits (spinning: the rest is at most a chunk of work) until every chunk is finished; rethrows a chunk's failure.</summary>
        public void WaitForClaimed()
        {
            var spin = default(SpinWait);
            while (Volatile.Read(ref _finished) < chunks)
            {
                spin.SpinOnce(sleep1Threshold: -1);
            }

            if (_failure is not null)
            {
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(_failure);
            }
        }
    }

    /// <summary>
    /// Combines every neuron's table terms, then every neuron's MAI terms, into the chunk's sums.
    /// Coarse sums are exact (integers within 2^24), so the order of neurons and of passes does
    /// not change them: the vector passes cover whole groups of lanes whose code reads stay inside
    /// their streams, and <see cref="TailPasses{TComb}"/> the rest of the chunk.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void CombineChunk<TComb>(BoundsPlan plan, int i0, BoundsScratch scratch, Span<float> accLo, Span<float> accHi)
        where TComb : IFloatCombine
    {
        int len = accLo.Length;
        LookupKind lookup = plan.Lookup;
        int lanes = LanesOf(lookup);
        int groups = lanes == 0 ? 0
            : lookup == LookupKind.Shuffle16 ? ShuffleWindowGroups(plan, i0, len)
            : WindowGroups(plan, i0, len, lanes);
        int bits = plan.Bits;
        int segment = ((len * bits) + 7) / 8;
        BoundsProblem pr = plan.Problem;
        fixed (byte* codes = pr.Codes)
        fixed (float* tablesLo = plan.TableLower, tablesHi = plan.TableUpper)
        fixed (int* packed = plan.TablePacked, pad = scratch.QuadPacked)
        fixed (float* aLo = scratch.AccLower, aHi = scratch.AccUpper)
        fixed (byte* bytes = plan.TableBytes, decode = plan.DecodeConstants)
        {
            // The packed passes' first one stores its sums (the definition starts from +0, and
            // +0 + x, max(+0, x) are x for these terms), so only what it does not cover is cleared.
            int stored = lookup is LookupKind.Permute16 or LookupKind.Shuffle16 ? groups * lanes : 0;
            // The byte-shuffle passes keep each block of 64 sums out of input order until the end,
            // so a last partial block is cleared whole.
            int cleared = lookup == LookupKind.Shuffle16 ? (len + ShuffleLanes - 1) / ShuffleLanes * ShuffleLanes : len;
            scratch.AccLower.AsSpan(stored, cleared - stored).Clear();
            scratch.AccUpper.AsSpan(stored, cleared - stored).Clear();
            byte* chunkCodes = codes + ((long)i0 * bits / 8);
            int j = 0;
            if (lookup == LookupKind.Permute16)
            {
                j = plan.MultiShift
                    ? Permute16Groups<TComb, MultiShiftReader>(plan, chunkCodes, groups, packed, pad, aLo, aHi)
                    : Permute16Groups<TComb, ShiftReader>(plan, chunkCodes, groups, packed, pad, aLo, aHi);
                if (j == 0)
                {
                    // g = 1: the single-neuron pass is the first.
                    byte* only = chunkCodes;
                    if (plan.MultiShift)
                    {
                        Permute16Pass<TComb, MultiShiftReader, StoreSink>(only, groups, bits, packed, aLo, aHi);
                    }
                    else
                    {
                        Permute16Pass<TComb, ShiftReader, StoreSink>(only, groups, bits, packed, aLo, aHi);
                    }

                    j = 1;
                }
            }
            else if (lookup == LookupKind.Shuffle16)
            {
                Shuffle16Groups<TComb>(plan, chunkCodes, groups, bytes, decode, (int*)aLo, (int*)aHi);
                j = plan.Neurons;
            }

            for (; j < plan.Neurons; j++)
            {
                byte* stream = chunkCodes + ((long)j * plan.Stride);
                if (j + PrefetchAhead < plan.Neurons)
                {
                    Prefetch(stream + ((long)PrefetchAhead * plan.Stride), segment);
                }

                if (lanes > 0)
                {
                    VectorPass<TComb>(plan, j, stream, groups, tablesLo, tablesHi, packed, aLo, aHi);
                    continue;
                }

                int covered = lookup == LookupKind.Indexed ? IndexedPass<TComb>(plan, j, i0, accLo, accHi) : 0;
                ScalarPass<TComb>(plan, j, i0, covered, accLo, accHi);
            }

            if (lanes > 0 && groups * lanes < len)
            {
                TailPasses<TComb>(plan, i0, groups * lanes, len, codes, tablesLo, tablesHi, packed, aLo, aHi);
            }

            if (lookup == LookupKind.Shuffle16)
            {
                // Integer sums in the passes' order (zero where cleared: the same bits) to floats.
                ShuffleSumsInOrder(aLo, cleared / ShuffleLanes);
                ShuffleSumsInOrder(aHi, cleared / ShuffleLanes);
            }

            MaiPasses<TComb>(pr, i0, aLo, aHi);
        }
    }

    /// <summary>Lanes per step of a vector lookup; 0 for the indexed and scalar ones.</summary>
    private static int LanesOf(LookupKind lookup) => lookup switch
    {
        LookupKind.Permute16 or LookupKind.Permute32 or LookupKind.Gather512 => 16,
        LookupKind.Gather256 => 8,
        LookupKind.Shuffle16 => ShuffleLanes,
        _ => 0,
    };

    /// <summary>Neuron j's table terms for <paramref name="groups"/> groups of lanes whose codes start at <paramref name="codes"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void VectorPass<TComb>(BoundsPlan plan, int j, byte* codes, int groups, float* tablesLo, float* tablesHi, int* packed, float* aLo, float* aHi)
        where TComb : IFloatCombine
    {
        int bits = plan.Bits;
        float* tLo = tablesLo + ((long)j * plan.TableStride);
        float* tHi = tablesHi + ((long)j * plan.TableStride);
        switch (plan.Lookup)
        {
            case LookupKind.Permute16 when plan.MultiShift:
                Permute16Pass<TComb, MultiShiftReader, CombineSink>(codes, groups, bits, packed + ((long)j * 16), aLo, aHi);
                break;
            case LookupKind.Permute16:
                Permute16Pass<TComb, ShiftReader, CombineSink>(codes, groups, bits, packed + ((long)j * 16), aLo, aHi);
                break;
            case LookupKind.Permute32:
                Permute32Pass<TComb>(codes, groups, bits, tLo, tHi, aLo, aHi);
                break;
            case LookupKind.Gather512:
                Gather512Pass<TComb>(codes, groups, bits, tLo, tHi, aLo, aHi);
                break;
            case LookupKind.Shuffle16:
                fixed (byte* bytes = plan.TableBytes, decode = plan.DecodeConstants)
                {
                    Shuffle16Pass<TComb, WordCombineSink>(codes, codes, plan.Stride, 1, groups, bits, bytes + ((long)j * 128), decode, (int*)aLo, (int*)aHi);
                }

                break;
            default:
                Gather256Pass<TComb>(codes, groups, bits, tLo, tHi, aLo, aHi);
                break;
        }
    }

    /// <summary>
    /// Chunk inputs [done, len) of every neuron, in whole groups of lanes: each neuron's remaining
    /// code bytes are copied into a zeroed buffer first, so no read passes the end of the codes
    /// (a zero code's term is 0). Lanes past len (at most a group; the accumulators have room)
    /// are never read.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void TailPasses<TComb>(BoundsPlan plan, int i0, int done, int len, byte* codes, float* tablesLo, float* tablesHi, int* packed, float* aLo, float* aHi)
        where TComb : IFloatCombine
    {
        int lanes = LanesOf(plan.Lookup);
        int groups = (len - done + lanes - 1) / lanes;
        long first = (long)(i0 + done) * plan.Bits / 8;
        // The groups' own bytes, plus the 8-byte windows' overhang (at most 8 + bits bytes). A
        // tail is what WindowGroups left (a few groups at the end of the codes) or a last
        // partial group: never more than a few hundred bytes.
        int bytes = (groups * lanes * plan.Bits / 8) + 24;
        Span<byte> buffer = stackalloc byte[bytes];
        int copied = (int)Math.Min(bytes, plan.Stride - first);
        for (int j = 0; j < plan.Neurons; j++)
        {
            buffer.Clear();
            new ReadOnlySpan<byte>(codes + ((long)j * plan.Stride) + first, copied).CopyTo(buffer);
            fixed (byte* tail = buffer)
            {
                VectorPass<TComb>(plan, j, tail, groups, tablesLo, tablesHi, packed, aLo + done, aHi + done);
            }
        }
    }

    /// <summary>
    /// The P &lt;= 16 table passes of a chunk, eight neurons at a time, then four; returns the first
    /// neuron left for single-neuron passes (at most one). Each pass sums its neurons' packed
    /// terms in 16 bits (exactly: at most eight terms within <see cref="CoarseTerms.TableLimit"/>),
    /// then widens the sums into the float accumulators; the first pass stores them instead.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe int Permute16Groups<TComb, TReader>(BoundsPlan plan, byte* chunkCodes, int groups, int* packed, int* pad, float* aLo, float* aHi)
        where TComb : IFloatCombine
        where TReader : ICodes16
    {
        int bits = plan.Bits;
        int j = 0;
        // Eight neurons per pass, then four: accumulators loaded and stored once for eight
        // (four) tables. A last pass of 2 or 3 neurons is padded with all-zero tables (adding
        // +0 to a sum, or max with +0 for linf's non-negative terms, changes nothing).
        for (; j + 8 <= plan.Neurons; j += 8)
        {
            byte* first = chunkCodes + ((long)j * plan.Stride);
            byte* next = j + 24 <= plan.Neurons ? first + (16L * plan.Stride) : first;
            if (j == 0)
            {
                Permute16OctPass<TComb, TReader, StoreSink>(first, next, plan.Stride, groups, bits, packed, aLo, aHi);
            }
            else
            {
                Permute16OctPass<TComb, TReader, CombineSink>(first, next, plan.Stride, groups, bits, packed + ((long)j * 16), aLo, aHi);
            }
        }

        for (; j + 2 <= plan.Neurons; j += 4)
        {
            int real = Math.Min(4, plan.Neurons - j);
            byte* first = chunkCodes + ((long)j * plan.Stride);
            int* quad = packed + ((long)j * 16);
            if (real < 4)
            {
                quad = PadQuad(quad, real, pad);
            }

            byte* c1 = first + plan.Stride;
            byte* c2 = real > 2 ? c1 + plan.Stride : first;
            byte* c3 = real > 3 ? c2 + plan.Stride : first;
            if (j == 0)
            {
                Permute16QuadPass<TComb, TReader, StoreSink>(first, c1, c2, c3, groups, bits, quad, aLo, aHi);
            }
            else
            {
                Permute16QuadPass<TComb, TReader, CombineSink>(first, c1, c2, c3, groups, bits, quad, aLo, aHi);
            }
        }

        return Math.Min(j, plan.Neurons);
    }

    /// <summary>
    /// Combines the MAI terms of the chunk's inputs: the chunk is MAI block i0 / 4096, whose
    /// entries of every neuron are one contiguous run (<see cref="BoundsProblem.MaiOffsets"/>), all
    /// of which apply (<see cref="BoundsProblem.Create"/> keeps only entries whose code is 0, so no
    /// code is read here). Within a neuron the ids are distinct, so consecutive updates rarely
    /// touch the same accumulator.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void MaiPasses<TComb>(BoundsProblem pr, int i0, float* aLo, float* aHi)
        where TComb : IFloatCombine
    {
        int g = pr.Cost.GroupSize;
        int block = i0 / BoundsProblem.MaiBlockInputs;
        int from = pr.MaiOffsets[block * g];
        int to = pr.MaiOffsets[(block + 1) * g];
        fixed (int* ids = pr.MaiIds)
        fixed (float* termsLo = pr.CoarseMaiLower, termsHi = pr.CoarseMaiUpper)
        {
            for (int e = from; e < to; e++)
            {
                int at = ids[e] - i0;
                aLo[at] = TComb.Invoke(aLo[at], termsLo[e]);
                aHi[at] = TComb.Invoke(aHi[at], termsHi[e]);
            }
        }
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
}
