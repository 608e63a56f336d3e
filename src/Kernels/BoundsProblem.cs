namespace DeepEverest.Kernels;

/// <summary>
/// Everything <see cref="IKernels.GroupBounds"/> needs for n inputs and a group of g neurons, in flat
/// arrays (so the GPU backend can copy them as they are). Build it with <see cref="Create"/>.
/// </summary>
public sealed class BoundsProblem
{
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

    /// <summary>MAI input ids per neuron, ascending within a neuron.</summary>
    public int[] MaiIds { get; }

    /// <summary>Exact term of each MAI entry (same order as <see cref="MaiIds"/>).</summary>
    public double[] MaiTerms { get; }

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

        var offsets = new int[g + 1];
        for (int j = 0; j < g; j++)
        {
            offsets[j + 1] = offsets[j] + maiIds[j].Length;
        }

        var ids = new int[offsets[g]];
        var terms = new double[offsets[g]];
        for (int j = 0; j < g; j++)
        {
            int[] jIds = maiIds[j];
            float[] jValues = maiValues[j];
            if (jValues.Length != jIds.Length)
            {
                throw new ArgumentException($"Neuron {j}: {jIds.Length} MAI ids but {jValues.Length} values.", nameof(maiValues));
            }

            var order = new int[jIds.Length];
            for (int e = 0; e < order.Length; e++)
            {
                order[e] = e;
            }

            int[] keys = (int[])jIds.Clone();
            Array.Sort(keys, order);
            for (int e = 0; e < order.Length; e++)
            {
                ids[offsets[j] + e] = keys[e];
                terms[offsets[j] + e] = cost.Term(j, jValues[order[e]]);
            }
        }

        return new BoundsProblem(cost, inputs, partitions, codes, termLower, termUpper, offsets, ids, terms);
    }
}
