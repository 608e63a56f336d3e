using System.Runtime.CompilerServices;

namespace DeepEverest.Kernels.Simd;

/// <content>
/// <see cref="IKernels.BuildNeuronBlock"/>. Each neuron's (value, id) pairs are ordered by an LSD
/// radix sort on a 32-bit key that maps value descending to key ascending (-0.0 is folded into
/// +0.0 so the two compare equal). The sort is stable and the pairs enter in id order, so equal
/// values stay in ascending id order: exactly the (value desc, id asc) order, with no comparisons.
/// Ranks then give the MAI, the equi-depth codes and each partition's extremes directly.
/// </content>
internal sealed partial class SimdKernels
{
    /// <inheritdoc/>
    public void BuildNeuronBlock(
        ReadOnlySpan<float> columns,
        int neurons,
        int n,
        int partitions,
        int maiCount,
        Span<int> maiIds,
        Span<float> maiValues,
        Span<byte> codes,
        Span<float> partMin,
        Span<float> partMax)
    {
        int bits = KernelArguments.CheckBuild(columns, neurons, n, partitions, maiCount, maiIds, maiValues, codes, partMin, partMax);
        if (neurons == 0)
        {
            return;
        }

        if ((long)neurons * n >= ParallelThreshold && neurons > 1 && Environment.ProcessorCount > 1)
        {
            BuildParallel(columns, neurons, n, partitions, maiCount, bits, maiIds, maiValues, codes, partMin, partMax);
            return;
        }

        var scratch = new BuildScratch(n);
        int stride = CodeLayout.StrideBytes(n, bits);
        for (int j = 0; j < neurons; j++)
        {
            BuildNeuron(
                columns.Slice(j * n, n),
                partitions,
                bits,
                maiIds.Slice(j * maiCount, maiCount),
                maiValues.Slice(j * maiCount, maiCount),
                codes.Slice(j * stride, stride),
                partMin.Slice(j * partitions, partitions),
                partMax.Slice(j * partitions, partitions),
                scratch,
                UseBmi2);
        }
    }

    /// <summary>Builds one neuron: sorts, then writes its MAI, codes and partition extremes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void BuildNeuron(
        ReadOnlySpan<float> column,
        int partitions,
        int bits,
        Span<int> maiIds,
        Span<float> maiValues,
        Span<byte> packed,
        Span<float> partMin,
        Span<float> partMax,
        BuildScratch scratch,
        bool useBmi2)
    {
        int n = column.Length;
        int maiCount = maiIds.Length;
        ReadOnlySpan<ulong> order = SortDescending(column, scratch);
        Span<byte> codes = scratch.Codes.AsSpan(0, n);
        for (int r = 0; r < maiCount; r++)
        {
            int id = (int)(uint)order[r];
            maiIds[r] = id;
            maiValues[r] = column[id];
            codes[id] = 0;
        }

        SetExtremes(column, order, 0, maiCount, partMin, partMax, 0);

        // Rank r after the MAI gets code 1 + r*(P-1)/m, so partition p holds the ranks r with
        // ceil((p-1)*m/(P-1)) <= r < ceil(p*m/(P-1)).
        long m = n - maiCount;
        int from = maiCount;
        for (int p = 1; p < partitions; p++)
        {
            int to = maiCount + (int)(((p * m) + partitions - 2) / (partitions - 1));
            for (int r = from; r < to; r++)
            {
                codes[(int)(uint)order[r]] = (byte)p;
            }

            SetExtremes(column, order, from, to, partMin, partMax, p);
            from = to;
        }

        TiedPartitions.Merge(column, order, maiCount, partitions, codes, partMin, partMax);
        CodePacking.Pack(codes, bits, packed, useBmi2);
    }

    /// <summary>
    /// Returns the neuron's items (key &lt;&lt; 32 | id) in (value desc, id asc) order: 3 stable
    /// counting passes of 11 bits over the key; a pass whose digit is the same for every item is
    /// skipped (common: ReLU layers are full of equal zeros).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static ReadOnlySpan<ulong> SortDescending(ReadOnlySpan<float> column, BuildScratch scratch)
    {
        int n = column.Length;
        ulong[] items = scratch.Items;
        ulong[] spare = scratch.Spare;
        int[] hist = scratch.Histogram;
        Array.Clear(hist);
        for (int i = 0; i < n; i++)
        {
            uint key = DescendingKey(column[i]);
            items[i] = ((ulong)key << 32) | (uint)i;
            hist[key & (BuildScratch.Buckets - 1)]++;
            hist[BuildScratch.Buckets + (int)((key >> BuildScratch.DigitBits) & (BuildScratch.Buckets - 1))]++;
            hist[(2 * BuildScratch.Buckets) + (int)(key >> (2 * BuildScratch.DigitBits))]++;
        }

        for (int pass = 0; pass < BuildScratch.Passes && n > 1; pass++)
        {
            int shift = 32 + (pass * BuildScratch.DigitBits);
            Span<int> offsets = hist.AsSpan(pass * BuildScratch.Buckets, BuildScratch.Buckets);
            if (offsets[(int)((items[0] >> shift) & (BuildScratch.Buckets - 1))] == n)
            {
                continue;
            }

            int sum = 0;
            for (int d = 0; d < offsets.Length; d++)
            {
                int c = offsets[d];
                offsets[d] = sum;
                sum += c;
            }

            Scatter(items, spare, n, shift, offsets);
            (items, spare) = (spare, items);
        }

        // Keep the buffers paired for the next neuron whichever ended up holding the result.
        scratch.Items = items;
        scratch.Spare = spare;
        return items.AsSpan(0, n);
    }

    /// <summary>
    /// Order-preserving key with value descending = key ascending; -0.0 and +0.0 map to the same
    /// key so that their order falls to the id.
    /// </summary>
    internal static uint DescendingKey(float value)
    {
        uint bits = BitConverter.SingleToUInt32Bits(value);
        if (bits == 0x8000_0000u)
        {
            bits = 0;
        }

        // Ascending key: flip all bits of negatives, only the sign bit of positives; then invert.
        uint negative = (uint)((int)bits >> 31);
        return ~(bits ^ (negative | 0x8000_0000u));
    }

    /// <summary>
    /// Partition p's extremes: the value of its first rank is its max and of its last rank its
    /// min (as stored, so a -0.0 stays -0.0); an empty partition gets +inf / -inf.
    /// </summary>
    private static void SetExtremes(
        ReadOnlySpan<float> column, ReadOnlySpan<ulong> order, int from, int to, Span<float> partMin, Span<float> partMax, int p)
    {
        if (from < to)
        {
            partMax[p] = column[(int)(uint)order[from]];
            partMin[p] = column[(int)(uint)order[to - 1]];
        }
        else
        {
            partMin[p] = float.PositiveInfinity;
            partMax[p] = float.NegativeInfinity;
        }
    }
}
