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
/// rounded outward to float: GroupBounds sums them in float (twice the lanes of a vector, half
/// the work) and widens the sums by <see cref="LowerScale"/>/<see cref="LowerSlack"/> (and the upper
/// pair), which cover every rounding of the float sum and of the exact cost's double sum, so that
/// <c>coarse lower &lt;= tight lower &lt;= exact cost &lt;= tight upper &lt;= coarse upper</c>.
/// docs/kernels.md has the proof.
/// </remarks>
public sealed class BoundsProblem
{
    /// <summary>MAI entries from which <see cref="Create"/> sorts neurons in parallel.</summary>
    private const long ParallelMaiEntries = 50_000;

    /// <summary>The largest group the coarse bounds support: (2g + 4)·2^-24 must stay well below 1.</summary>
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
        var coarse = CoarseTerms.Derive(cost, partitions, termLower, termUpper, maiOffsets, maiTerms);
        CoarseScale = coarse.Scale;
        CoarseLower = coarse.Lower;
        CoarseUpper = coarse.Upper;
        CoarseMaiLower = coarse.MaiLower;
        CoarseMaiUpper = coarse.MaiUpper;
        (LowerScale, UpperScale, LowerSlack, UpperSlack) = (coarse.LowerScale, coarse.UpperScale, coarse.LowerSlack, coarse.UpperSlack);
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

    /// <summary>g+1 offsets into <see cref="MaiIds"/> / <see cref="MaiTerms"/>: neuron j's MAI
    /// entries are <c>[MaiOffsets[j], MaiOffsets[j+1])</c>.</summary>
    public int[] MaiOffsets { get; }

    /// <summary>MAI input ids per neuron: distinct, ascending within a neuron, in [0, n) and with
    /// code 0 (<see cref="Create"/> checks the first three and drops entries that break the last).</summary>
    public int[] MaiIds { get; }

    /// <summary>Exact term of each MAI entry (same order as <see cref="MaiIds"/>).</summary>
    public double[] MaiTerms { get; }

    /// <summary>The power of two the coarse terms are multiplied by before rounding to float (1
    /// unless the terms' magnitudes would overflow or underflow float).</summary>
    public double CoarseScale { get; }

    /// <summary><see cref="TermLower"/> times <see cref="CoarseScale"/>, rounded down to float.</summary>
    public float[] CoarseLower { get; }

    /// <summary><see cref="TermUpper"/> times <see cref="CoarseScale"/>, rounded up to float.</summary>
    public float[] CoarseUpper { get; }

    /// <summary><see cref="MaiTerms"/> times <see cref="CoarseScale"/>, rounded down to float.</summary>
    public float[] CoarseMaiLower { get; }

    /// <summary><see cref="MaiTerms"/> times <see cref="CoarseScale"/>, rounded up to float.</summary>
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
    /// The coarse lower accumulator of a float sum of lower terms: what <see cref="IKernels.GroupBounds"/>
    /// finishes (<see cref="CostFunction.Finish"/>) into the lower bound.
    /// </summary>
    public double WidenLower(float sum) => ((double)sum * LowerScale) - LowerSlack;

    /// <summary>The coarse upper accumulator of a float sum of upper terms.</summary>
    public double WidenUpper(float sum) => ((double)sum * UpperScale) + UpperSlack;

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

        if (total >= ParallelMaiEntries && g > 1 && Environment.ProcessorCount > 1)
        {
            try
            {
                Parallel.For(0, g, SortNeuron);
            }
            catch (AggregateException e) when (e.InnerExceptions.Count > 0)
            {
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(e.InnerExceptions[0]);
            }
        }
        else
        {
            for (int j = 0; j < g; j++)
            {
                SortNeuron(j);
            }
        }

        var offsets = new int[g + 1];
        for (int j = 0; j < g; j++)
        {
            offsets[j + 1] = offsets[j] + sortedIds[j].Length;
        }

        var ids = new int[offsets[g]];
        var terms = new double[offsets[g]];
        for (int j = 0; j < g; j++)
        {
            sortedIds[j].CopyTo(ids, offsets[j]);
            sortedTerms[j].CopyTo(terms, offsets[j]);
        }

        return new BoundsProblem(cost, inputs, partitions, codes, termLower, termUpper, offsets, ids, terms);
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
