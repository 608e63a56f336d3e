namespace DeepEverest.Kernels.Tests;

/// <summary>
/// The scalar reference of every kernel, written straight from the contracts in
/// <see cref="IKernels"/> and <see cref="CostFunction"/> with no tricks: bit-by-bit code access,
/// linear MAI lookups, comparison sorts. Kernels must match it bit for bit.
/// </summary>
internal static partial class ScalarReference
{
    /// <summary>Code of input i in a stream, read one bit at a time.</summary>
    public static int CodeAt(ReadOnlySpan<byte> stream, int bits, long i)
    {
        int code = 0;
        for (int b = 0; b < bits; b++)
        {
            long bit = (i * bits) + b;
            code |= ((stream[(int)(bit / 8)] >> (int)(bit % 8)) & 1) << b;
        }

        return code;
    }

    /// <summary>Packs codes one bit at a time.</summary>
    public static byte[] Pack(ReadOnlySpan<byte> codes, int bits)
    {
        var packed = new byte[CodeLayout.StrideBytes(codes.Length, bits)];
        for (int i = 0; i < codes.Length; i++)
        {
            for (int b = 0; b < bits; b++)
            {
                if (((codes[i] >> b) & 1) != 0)
                {
                    long bit = ((long)i * bits) + b;
                    packed[bit / 8] |= (byte)(1 << (int)(bit % 8));
                }
            }
        }

        return packed;
    }

    /// <summary>Coarse bounds of every input straight from the definition of <see cref="IKernels.GroupBounds"/>.</summary>
    public static (double[] Lower, double[] Upper) GroupBounds(BoundsProblem problem)
    {
        CostFunction cost = problem.Cost;
        int n = problem.Inputs;
        int g = cost.GroupSize;
        var lower = new double[n];
        var upper = new double[n];
        for (int i = 0; i < n; i++)
        {
            float lo = 0;
            float hi = 0;
            double exactLo = 0;
            double exactHi = 0;
            for (int j = 0; j < g; j++)
            {
                int code = CodeAt(problem.Codes.AsSpan(j * problem.Stride, problem.Stride), problem.Bits, i);
                lo = Combine(cost, lo, problem.CoarseLower[(j * problem.Partitions) + code]);
                hi = Combine(cost, hi, problem.CoarseUpper[(j * problem.Partitions) + code]);
                exactLo = CombineExact(cost, exactLo, problem.CoarseLower[(j * problem.Partitions) + code]);
                exactHi = CombineExact(cost, exactHi, problem.CoarseUpper[(j * problem.Partitions) + code]);
            }

            for (int j = 0; j < g; j++)
            {
                int code = CodeAt(problem.Codes.AsSpan(j * problem.Stride, problem.Stride), problem.Bits, i);
                int e = code == 0 ? FindMai(problem, j, i) : -1;
                if (e >= 0)
                {
                    lo = Combine(cost, lo, problem.CoarseMaiLower[e]);
                    hi = Combine(cost, hi, problem.CoarseMaiUpper[e]);
                    exactLo = CombineExact(cost, exactLo, problem.CoarseMaiLower[e]);
                    exactHi = CombineExact(cost, exactHi, problem.CoarseMaiUpper[e]);
                }
            }

            // The definition's promise: float sums of the coarse terms are exact, in any order.
            if (lo != exactLo || hi != exactHi)
            {
                throw new InvalidOperationException($"input {i}: float sums {lo}, {hi} are not the exact {exactLo}, {exactHi}");
            }

            lower[i] = problem.FinishLower(lo);
            upper[i] = problem.FinishUpper(hi);
        }

        return (lower, upper);
    }

    /// <summary>Tight bounds of the given inputs straight from the definition of <see cref="IKernels.RefineBounds"/>.</summary>
    public static (double[] Lower, double[] Upper) RefineBounds(BoundsProblem problem, int[] inputs)
    {
        CostFunction cost = problem.Cost;
        var lower = new double[inputs.Length];
        var upper = new double[inputs.Length];
        for (int r = 0; r < inputs.Length; r++)
        {
            int i = inputs[r];
            double lo = 0;
            double hi = 0;
            for (int j = 0; j < cost.GroupSize; j++)
            {
                int code = CodeAt(problem.Codes.AsSpan(j * problem.Stride, problem.Stride), problem.Bits, i);
                double termLo = problem.TermLower[(j * problem.Partitions) + code];
                double termHi = problem.TermUpper[(j * problem.Partitions) + code];
                int e = code == 0 ? FindMai(problem, j, i) : -1;
                if (e >= 0)
                {
                    termLo = termHi = problem.MaiTerms[e];
                }

                lo = cost.Combine(lo, termLo);
                hi = cost.Combine(hi, termHi);
            }

            lower[r] = cost.Finish(lo);
            upper[r] = cost.Finish(hi);
        }

        return (lower, upper);
    }

    /// <summary>Neuron j's MAI entries (positions in <see cref="BoundsProblem.MaiIds"/>), block by block.</summary>
    public static IEnumerable<int> MaiEntriesOf(BoundsProblem problem, int j)
    {
        int g = problem.Cost.GroupSize;
        for (int slot = j; slot < problem.MaiBlocks * g; slot += g)
        {
            for (int e = problem.MaiOffsets[slot]; e < problem.MaiOffsets[slot + 1]; e++)
            {
                yield return e;
            }
        }
    }

    /// <summary>Neuron j's MAI entry of input i by a linear scan, or -1.</summary>
    private static int FindMai(BoundsProblem problem, int j, int i)
    {
        foreach (int e in MaiEntriesOf(problem, j))
        {
            if (problem.MaiIds[e] == i)
            {
                return e;
            }
        }

        return -1;
    }

    private static float Combine(CostFunction cost, float acc, float term) => cost.CombinesByMax ? MathF.Max(acc, term) : acc + term;

    private static double CombineExact(CostFunction cost, double acc, float term) => cost.CombinesByMax ? Math.Max(acc, term) : acc + term;

    /// <summary>Costs of row-major rows by <see cref="CostFunction.Cost"/>.</summary>
    public static double[] ExactCosts(CostFunction cost, ReadOnlySpan<float> activations, int rows)
    {
        var costs = new double[rows];
        for (int r = 0; r < rows; r++)
        {
            costs[r] = cost.Cost(activations.Slice(r * cost.GroupSize, cost.GroupSize));
        }

        return costs;
    }

    /// <summary>The k smallest non-NaN (cost, id, position) positions by a full sort.</summary>
    public static int[] SelectTopK(double[] costs, int[] ids, int k)
    {
        var positions = Enumerable.Range(0, costs.Length).Where(p => !double.IsNaN(costs[p])).ToList();
        positions.Sort((a, b) =>
        {
            if (costs[a] != costs[b])
            {
                return costs[a] < costs[b] ? -1 : 1;
            }

            return ids[a] != ids[b] ? ids[a].CompareTo(ids[b]) : a.CompareTo(b);
        });
        return positions.Take(k).ToArray();
    }

    /// <summary>Positions with value &lt;= limit.</summary>
    public static int[] SelectAtMost(double[] values, double limit) =>
        Enumerable.Range(0, values.Length).Where(p => values[p] <= limit).ToArray();

    /// <summary>The index of one neuron block by a comparison sort.</summary>
    public static BuiltBlock BuildNeuronBlock(float[] columns, int neurons, int n, int partitions, int maiCount)
    {
        int bits = CodeLayout.BitsFor(partitions);
        int stride = CodeLayout.StrideBytes(n, bits);
        var block = new BuiltBlock(
            new int[neurons * maiCount], new float[neurons * maiCount], new byte[neurons * stride], new float[neurons * partitions], new float[neurons * partitions]);
        for (int j = 0; j < neurons; j++)
        {
            float[] column = columns.AsSpan(j * n, n).ToArray();
            int[] order = Enumerable.Range(0, n).ToArray();

            // value descending (-0.0 == +0.0 under ==), then id ascending
            Array.Sort(order, (a, b) => column[a] != column[b] ? (column[a] > column[b] ? -1 : 1) : a.CompareTo(b));
            var codes = new byte[n];
            var first = new int[partitions];
            var last = new int[partitions];
            Array.Fill(first, -1);
            for (int r = 0; r < n; r++)
            {
                int id = order[r];
                int code = r < maiCount ? 0 : 1 + (int)((long)(r - maiCount) * (partitions - 1) / (n - maiCount));
                if (r < maiCount)
                {
                    block.MaiIds[(j * maiCount) + r] = id;
                    block.MaiValues[(j * maiCount) + r] = column[id];
                }

                codes[id] = (byte)code;
                if (first[code] < 0)
                {
                    first[code] = r;
                }

                last[code] = r;
            }

            // A value that fills a whole partition p >= 1 gets one code, the first such p, for every
            // rank of it outside the MAI; partitions are then re-delimited by the new codes.
            var single = new Dictionary<float, int>();
            for (int p = 1; p < partitions; p++)
            {
                if (first[p] >= 0 && column[order[first[p]]] == column[order[last[p]]])
                {
                    single.TryAdd(Normal(column[order[first[p]]]), p);
                }
            }

            Array.Fill(first, -1);
            for (int r = 0; r < n; r++)
            {
                int id = order[r];
                if (r >= maiCount && single.TryGetValue(Normal(column[id]), out int merged))
                {
                    codes[id] = (byte)merged;
                }

                if (first[codes[id]] < 0)
                {
                    first[codes[id]] = r;
                }

                last[codes[id]] = r;
            }

            for (int p = 0; p < partitions; p++)
            {
                block.PartMax[(j * partitions) + p] = first[p] < 0 ? float.NegativeInfinity : column[order[first[p]]];
                block.PartMin[(j * partitions) + p] = first[p] < 0 ? float.PositiveInfinity : column[order[last[p]]];
            }

            Pack(codes, bits).CopyTo(block.Codes, j * stride);
        }

        return block;

        // -0.0 and +0.0 are one value (they compare equal and share a sort key).
        static float Normal(float v) => v == 0 ? 0f : v;
    }
}

/// <summary>Outputs of <see cref="IKernels.BuildNeuronBlock"/>.</summary>
internal sealed record BuiltBlock(int[] MaiIds, float[] MaiValues, byte[] Codes, float[] PartMin, float[] PartMax);
