using System.Runtime.CompilerServices;

namespace DeepEverest.Kernels;

/// <summary>
/// Everything <see cref="IKernels.GroupBounds"/> and <see cref="IKernels.RefineBounds"/> need for n
/// inputs and a group of g neurons, in flat arrays (so the GPU backend can copy them as they are).
/// Build it with <see cref="Create"/>.
/// </summary>
/// <remarks>
/// Two precisions of the same bounds. The <b>tight</b> terms (<see cref="TermLower"/>,
/// <see cref="MaiTerms"/>) are doubles with the arithmetic of <see cref="CostFunction"/>, so tight
/// bounds of an input are exact when all its terms are. The <b>coarse</b> terms
/// (<see cref="CoarseLower"/> and the rest) are those doubles times <see cref="CoarseScale"/>,
/// rounded outward to integers small enough that every sum of them is exact in float (and a table
/// term fits 16 bits): GroupBounds sums them in float or narrower integers (more lanes per vector,
/// less work) and widens the sums by <see cref="LowerScale"/>/<see cref="LowerSlack"/> (and the upper
/// pair), which cover the rounding of the exact cost's double sum, so that
/// <c>coarse lower &lt;= tight lower &lt;= exact cost &lt;= tight upper &lt;= coarse upper</c>.
/// docs/kernels.md has the proof.
/// </remarks>
public sealed class BoundsProblem
{
    /// <summary>MAI entries from which <see cref="Create"/> sorts neurons in parallel.</summary>
    private const long ParallelMaiEntries = 16_000;

    /// <summary>
    /// Inputs per MAI block: entries are stored block by block (inputs [b·4096, (b+1)·4096)), then
    /// by neuron, then by id, so a kernel that works through the inputs in blocks of this size
    /// finds each block's entries in one contiguous run.
    /// </summary>
    public const int MaiBlockInputs = 4096;

    /// <summary>The largest group the coarse bounds support: (2g + 4)·2^-24 must stay well below 1,
    /// and g rounded terms within 2^24.</summary>
    public const int MaxGroupSize = 1 << 22;

    private BoundsProblem(
        CostFunction cost,
        int inputs,
        int partitions,
        byte[] codes,
        double[] termLower,
        double[] termUpper,
        int[] maiOffsets,
        int[] maiIds,
        double[] maiTerms)
    {
        Cost = cost;
        Inputs = inputs;
        Partitions = partitions;
        Bits = CodeLayout.BitsFor(partitions);
        Stride = CodeLayout.StrideBytes(inputs, Bits);
        Codes = codes;
        TermLower = termLower;
        TermUpper = termUpper;
        MaiOffsets = maiOffsets;
        MaiIds = maiIds;
        MaiTerms = maiTerms;
        var coarse = CoarseTerms.Derive(cost, partitions, termLower, termUpper, maiOffsets, MaiBlocks, maiTerms);
        CoarseScale = coarse.Scale;
        CoarseLower = coarse.Lower;
        CoarseUpper = coarse.Upper;
        CoarseMaiLower = coarse.MaiLower;
        CoarseMaiUpper = coarse.MaiUpper;
        (LowerScale, UpperScale, LowerSlack, UpperSlack) = (coarse.LowerScale, coarse.UpperScale, coarse.LowerSlack, coarse.UpperSlack);
        if (cost.Kind == ScoreKind.L2)
        {
            // Weights are non-negative, so l2 terms are: no slack. sqrt(x) * (1 -+ 2^-21) covers the
            // float square root's half ulp, the rounding of the sum to float (none: sums are exact
            // integers) and of these products, with room to spare (docs/kernels.md).
            const double Margin = 1.0 / (1 << 21);
            SqrtLowerFactor = Math.Sqrt(LowerScale) * (1 - Margin);
            SqrtUpperFactor = Math.Sqrt(UpperScale) * (1 + Margin);
        }
    }

    /// <summary>The cost being bounded (g = <see cref="CostFunction.GroupSize"/>).</summary>
    public CostFunction Cost { get; }

    /// <summary>n, the number of inputs (ids 0..n-1).</summary>
    public int Inputs { get; }

    /// <summary>P, partitions per neuron.</summary>
    public int Partitions { get; }

    /// <summary>Bits per code, log2 P.</summary>
    public int Bits { get; }

    /// <summary>Bytes of one neuron's packed codes.</summary>
    public int Stride { get; }

    /// <summary>g packed code streams back to back (g x <see cref="Stride"/> bytes).</summary>
    public byte[] Codes { get; }

    /// <summary>Lower term per (neuron, partition): <c>TermLower[j*P + p]</c>; 0 for partition 0 and
    /// for empty partitions.</summary>
    public double[] TermLower { get; }

    /// <summary>Upper term per (neuron, partition), laid out like <see cref="TermLower"/>.</summary>
    public double[] TermUpper { get; }

    /// <summary>Blocks of <see cref="MaiBlockInputs"/> inputs: ceil(n / 4096).</summary>
    public int MaiBlocks => (Inputs + MaiBlockInputs - 1) / MaiBlockInputs;

    /// <summary>
    /// <c>MaiBlocks * g + 1</c> offsets into <see cref="MaiIds"/> / <see cref="MaiTerms"/>: the MAI
    /// entries of neuron j among the inputs of block b are <c>[MaiOffsets[b*g + j], MaiOffsets[b*g + j + 1])</c>,
    /// so block b's entries of every neuron are <c>[MaiOffsets[b*g], MaiOffsets[(b+1)*g])</c>.
    /// </summary>
    public int[] MaiOffsets { get; }

    /// <summary>MAI input ids by block, neuron, then id: distinct within a neuron, in [0, n) and
    /// with code 0 (<see cref="Create"/> checks the first three and drops entries that break the last).</summary>
    public int[] MaiIds { get; }

    /// <summary>Exact term of each MAI entry (same order as <see cref="MaiIds"/>).</summary>
    public double[] MaiTerms { get; }

    /// <summary>The power of two the coarse terms are multiplied by before rounding to integers:
    /// the largest that keeps every table term's |value| within 32767 / min(g, 8) - 1 and the
    /// largest possible |sum| of an input's terms within 2^24 - 2g (1 when every term is 0).</summary>
    public double CoarseScale { get; }

    /// <summary><see cref="TermLower"/> times <see cref="CoarseScale"/>, rounded down to an integer.</summary>
    public float[] CoarseLower { get; }

    /// <summary><see cref="TermUpper"/> times <see cref="CoarseScale"/>, rounded up to an integer.</summary>
    public float[] CoarseUpper { get; }

    /// <summary><see cref="MaiTerms"/> times <see cref="CoarseScale"/>, rounded down to an integer.</summary>
    public float[] CoarseMaiLower { get; }

    /// <summary><see cref="MaiTerms"/> times <see cref="CoarseScale"/>, rounded up to an integer.</summary>
    public float[] CoarseMaiUpper { get; }

    /// <summary>Coarse lower accumulator = (double)floatSum * LowerScale - LowerSlack.</summary>
    public double LowerScale { get; }

    /// <summary>Coarse upper accumulator = (double)floatSum * UpperScale + UpperSlack.</summary>
    public double UpperScale { get; }

    /// <summary>See <see cref="LowerScale"/>; 0 unless the terms have mixed signs.</summary>
    public double LowerSlack { get; }

    /// <summary>See <see cref="UpperScale"/>; 0 unless the terms have mixed signs.</summary>
    public double UpperSlack { get; }

    /// <summary>
    /// The coarse lower accumulator of a float sum of lower terms: what <see cref="FinishLower"/>
    /// finishes (<see cref="CostFunction.Finish"/>) into the lower bound, except for l2.
    /// </summary>
    public double WidenLower(float sum) => ((double)sum * LowerScale) - LowerSlack;

    /// <summary>The coarse upper accumulator of a float sum of upper terms.</summary>
    public double WidenUpper(float sum) => ((double)sum * UpperScale) + UpperSlack;

    /// <summary>
    /// For l2: <c>sqrt(LowerScale)</c> made smaller by 2^-21 (relative), so that
    /// <c>(double)MathF.Sqrt(sum) * SqrtLowerFactor &lt;= sqrt(sum * LowerScale)</c> despite the
    /// float square root's rounding (terms are non-negative, so there is no slack). 0 otherwise.
    /// </summary>
    public double SqrtLowerFactor { get; }

    /// <summary>For l2: <c>sqrt(UpperScale)</c> made larger by 2^-21; see <see cref="SqrtLowerFactor"/>.</summary>
    public double SqrtUpperFactor { get; }

    /// <summary>
    /// The coarse lower bound of an input whose lower terms sum (or max) to <paramref name="sum"/>:
    /// what <see cref="IKernels.GroupBounds"/> returns. For l2 the square root is taken in float,
    /// where it costs a third as much: <c>(double)MathF.Sqrt(sum) * SqrtLowerFactor</c>;
    /// otherwise <c>Cost.Finish(WidenLower(sum))</c>.
    /// </summary>
    public double FinishLower(float sum) => Cost.Kind == ScoreKind.L2 ? (double)MathF.Sqrt(sum) * SqrtLowerFactor : Cost.Finish(WidenLower(sum));

    /// <summary>The coarse upper bound of an input; see <see cref="FinishLower"/>.</summary>
    public double FinishUpper(float sum) => Cost.Kind == ScoreKind.L2 ? (double)MathF.Sqrt(sum) * SqrtUpperFactor : Cost.Finish(WidenUpper(sum));

    /// <summary>The entry of <paramref name="input"/> in neuron <paramref name="neuron"/>'s MAI, or -1.</summary>
    public int FindMai(int neuron, int input)
    {
        int slot = ((input / MaiBlockInputs) * Cost.GroupSize) + neuron;
        int from = MaiOffsets[slot];
        int to = MaiOffsets[slot + 1];
        int e = Array.BinarySearch(MaiIds, from, to - from, input);
        return e >= 0 ? e : -1;
    }

    /// <summary>
    /// Builds a bounds problem from index data of the group's neurons.
    /// </summary>
    /// <param name="cost">The cost; its group size is g.</param>
    /// <param name="inputs">n.</param>
    /// <param name="partitions">P.</param>
    /// <param name="codes">g packed code streams back to back.</param>
    /// <param name="partMin">Per-partition minimum, <c>[j*P + p]</c>.</param>
    /// <param name="partMax">Per-partition maximum, <c>[j*P + p]</c>.</param>
    /// <param name="maiIds">Per neuron, its MAI ids (any order).</param>
    /// <param name="maiValues">Per neuron, the MAI values matching <paramref name="maiIds"/>.</param>
    public static BoundsProblem Create(
        CostFunction cost,
        int inputs,
        int partitions,
        byte[] codes,
        ReadOnlySpan<float> partMin,
        ReadOnlySpan<float> partMax,
        IReadOnlyList<int[]> maiIds,
        IReadOnlyList<float[]> maiValues)
    {
        int g = cost.GroupSize;
        if (g > MaxGroupSize)
        {
            throw new ArgumentOutOfRangeException(nameof(cost), g, $"Bounds support groups of at most {MaxGroupSize} neurons.");
        }

        int bits = CodeLayout.BitsFor(partitions);
        int stride = CodeLayout.StrideBytes(inputs, bits);
        if (codes.Length != (long)g * stride)
        {
            throw new ArgumentException($"Expected {(long)g * stride} code bytes, got {codes.Length}.", nameof(codes));
        }

        if (partMin.Length != g * partitions || partMax.Length != g * partitions)
        {
            throw new ArgumentException("Partition bounds must hold g x P values.", nameof(partMin));
        }

        if (maiIds.Count != g || maiValues.Count != g)
        {
            throw new ArgumentException("MAI lists must hold one entry per neuron.", nameof(maiIds));
        }

        var termLower = new double[g * partitions];
        var termUpper = new double[g * partitions];
        for (int j = 0; j < g; j++)
        {
            for (int p = 1; p < partitions; p++)
            {
                float lo = partMin[j * partitions + p];
                float hi = partMax[j * partitions + p];
                if (lo > hi)
                {
                    continue; // empty partition: no input carries its code
                }

                (termLower[j * partitions + p], termUpper[j * partitions + p]) = cost.IntervalTerm(j, lo, hi);
            }
        }

        for (int j = 0; j < g; j++)
        {
            if (maiValues[j].Length != maiIds[j].Length)
            {
                throw new ArgumentException($"Neuron {j}: {maiIds[j].Length} MAI ids but {maiValues[j].Length} values.", nameof(maiValues));
            }
        }

        // Per neuron: ids ascending with their exact terms. The index stores them by value (NTA
        // walks that order), so each neuron is sorted here; neurons in parallel for large groups.
        var sortedIds = new int[g][];
        var sortedTerms = new double[g][];
        void SortNeuron(int j)
        {
            (sortedIds[j], sortedTerms[j]) = SortMai(cost, j, inputs, codes.AsSpan(j * stride, stride), bits, maiIds[j], maiValues[j]);
        }

        long total = 0;
        foreach (int[] jIds in maiIds)
        {
            total += jIds.Length;
        }

        bool parallel = total >= ParallelMaiEntries && g > 1 && Environment.ProcessorCount > 1;
        PerNeuron(g, parallel, SortNeuron);
        (int[] offsets, int[] ids, double[] terms) = ByBlock(sortedIds, sortedTerms, inputs, g, parallel);
        return new BoundsProblem(cost, inputs, partitions, codes, termLower, termUpper, offsets, ids, terms);
    }

    /// <summary>
    /// Lays out per-neuron id-sorted MAI entries block by block (see <see cref="MaiOffsets"/>):
    /// each neuron's run splits at block boundaries, and the pieces go where their (block, neuron)
    /// slot starts.
    /// </summary>
    private static (int[] Offsets, int[] Ids, double[] Terms) ByBlock(int[][] sortedIds, double[][] sortedTerms, int inputs, int g, bool parallel)
    {
        int blocks = (inputs + MaiBlockInputs - 1) / MaiBlockInputs;
        var offsets = new int[(blocks * g) + 1];

        // Each neuron writes only its own slots: counts, then (after the prefix sum) its pieces.
        PerNeuron(g, parallel, j =>
        {
            int[] jIds = sortedIds[j];
            for (int e = 0, b = 0; e < jIds.Length; b++)
            {
                int end = BlockEnd(jIds, e, b);
                offsets[(b * g) + j + 1] = end - e;
                e = end;
            }
        });
        for (int slot = 0; slot < blocks * g; slot++)
        {
            offsets[slot + 1] += offsets[slot];
        }

        var ids = new int[offsets[blocks * g]];
        var terms = new double[ids.Length];
        PerNeuron(g, parallel, j =>
        {
            int[] jIds = sortedIds[j];
            for (int e = 0, b = 0; e < jIds.Length; b++)
            {
                int end = BlockEnd(jIds, e, b);
                int at = offsets[(b * g) + j];
                jIds.AsSpan(e, end - e).CopyTo(ids.AsSpan(at));
                sortedTerms[j].AsSpan(e, end - e).CopyTo(terms.AsSpan(at));
                e = end;
            }
        });

        return (offsets, ids, terms);
    }

    /// <summary>First position at or after <paramref name="from"/> of ascending ids past block <paramref name="block"/>.</summary>
    private static int BlockEnd(int[] ids, int from, int block)
    {
        int stop = (block + 1) * MaiBlockInputs;
        while (from < ids.Length && ids[from] < stop)
        {
            from++;
        }

        return from;
    }

    /// <summary>Runs <paramref name="body"/> for every neuron, in parallel if asked (rethrowing the
    /// first failure as itself). <see cref="Create"/> and <see cref="CoarseTerms"/> share it.</summary>
    internal static void PerNeuron(int g, bool parallel, Action<int> body)
    {
        if (!parallel)
        {
            for (int j = 0; j < g; j++)
            {
                body(j);
            }

            return;
        }

        try
        {
            Parallel.For(0, g, body);
        }
        catch (AggregateException e) when (e.InnerExceptions.Count > 0)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(e.InnerExceptions[0]);
        }
    }

    /// <summary>
    /// One neuron's MAI entries by ascending id, with exact terms; entries whose input's code is not
    /// 0 never apply and are dropped (so the kernels never read codes for MAI entries).
    /// </summary>
    private static (int[] Ids, double[] Terms) SortMai(CostFunction cost, int j, int inputs, ReadOnlySpan<byte> stream, int bits, int[] jIds, float[] jValues)
    {
        for (int e = 0; e < jIds.Length; e++)
        {
            if ((uint)jIds[e] >= (uint)inputs)
            {
                throw new ArgumentOutOfRangeException("maiIds", jIds[e], $"Neuron {j}: MAI id {jIds[e]} is not an input (n = {inputs}).");
            }
        }

        int[] order = SortByKey(jIds, inputs);
        var ids = new int[order.Length];
        var terms = new double[order.Length];
        int kept = 0;
        for (int e = 0; e < order.Length; e++)
        {
            int id = jIds[order[e]];
            if (e > 0 && id == jIds[order[e - 1]])
            {
                // The kernels write one entry per MAI id through raw pointers and binary-search ids.
                throw new ArgumentException($"Neuron {j}: MAI id {id} appears twice.", "maiIds");
            }

            if (Simd.CodePacking.CodeAt(stream, bits, id) == 0)
            {
                ids[kept] = id;
                terms[kept] = cost.Term(j, jValues[order[e]]);
                kept++;
            }
        }

        if (kept < ids.Length)
        {
            Array.Resize(ref ids, kept);
            Array.Resize(ref terms, kept);
        }

        return (ids, terms);
    }

    /// <summary>
    /// Positions of <paramref name="keys"/> (each in [0, <paramref name="bound"/>)) in ascending key
    /// order, equal keys in position order: a stable LSD radix sort of 8-bit digits, as many as
    /// <paramref name="bound"/> needs (three for 70,000 inputs). For the few hundred MAI ids of a
    /// neuron it is several times faster than a comparison sort.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static int[] SortByKey(int[] keys, int bound)
    {
        var order = new int[keys.Length];
        for (int e = 0; e < order.Length; e++)
        {
            order[e] = e;
        }

        int bits = bound <= 1 ? 0 : 32 - System.Numerics.BitOperations.LeadingZeroCount((uint)(bound - 1));
        var other = new int[keys.Length];
        Span<int> counts = stackalloc int[256];
        for (int shift = 0; shift < bits; shift += 8)
        {
            counts.Clear();
            foreach (int position in order)
            {
                counts[(keys[position] >> shift) & 0xFF]++;
            }

            int sum = 0;
            for (int d = 0; d < 256; d++)
            {
                (counts[d], sum) = (sum, sum + counts[d]);
            }

            foreach (int position in order)
            {
                other[counts[(keys[position] >> shift) & 0xFF]++] = position;
            }

            (order, other) = (other, order);
        }

        return order;
    }
}
