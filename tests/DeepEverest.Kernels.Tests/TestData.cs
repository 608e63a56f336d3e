namespace DeepEverest.Kernels.Tests;

/// <summary>What generated activations look like.</summary>
internal enum DataShape
{
    /// <summary>Uniform non-integer floats in [-10, 10).</summary>
    Random,

    /// <summary>Integer-valued ReLU outputs: about half exact zeros, some of them -0.0.</summary>
    Relu,

    /// <summary>A few quantised levels, so most values tie (including -0.0 against +0.0).</summary>
    Ties,
}

/// <summary>Seeded generators of activations, cost functions and bounds problems.</summary>
internal static class TestData
{
    private static readonly float[] _levels = [-1.5f, -0.0f, 0.0f, 0.5f, 2f];

    /// <summary>All score kinds.</summary>
    public static ScoreKind[] Kinds { get; } = Enum.GetValues<ScoreKind>();

    /// <summary><paramref name="count"/> activations of the given shape.</summary>
    public static float[] Activations(Random rng, int count, DataShape shape)
    {
        var values = new float[count];
        for (int i = 0; i < count; i++)
        {
            values[i] = shape switch
            {
                DataShape.Random => (float)((rng.NextDouble() * 20) - 10),
                DataShape.Relu => rng.Next(2) == 0 ? (rng.Next(4) == 0 ? -0.0f : 0.0f) : rng.Next(1, 9),
                _ => _levels[rng.Next(_levels.Length)],
            };
        }

        return values;
    }

    /// <summary>
    /// A cost of kind <paramref name="kind"/> over g neurons; weights only for distances. Targets
    /// and weights are non-integer, so that sums round and any change of combine order shows.
    /// </summary>
    public static CostFunction Cost(Random rng, ScoreKind kind, int g, bool weighted)
    {
        float[] target = Activations(rng, g, DataShape.Random);
        bool isDistance = kind is ScoreKind.L2 or ScoreKind.L1 or ScoreKind.LInf;
        float[] weights = weighted && isDistance
            ? Enumerable.Range(0, g).Select(_ => rng.Next(4) == 0 ? 0f : (float)(rng.NextDouble() * 3)).ToArray()
            : [];
        return new CostFunction(kind, g, isDistance ? target : [], weights);
    }

    /// <summary>
    /// A consistent synthetic bounds problem: per neuron, <paramref name="maiCount"/> random inputs
    /// have code 0 and an MAI entry, the others random codes in [1, P); with
    /// <paramref name="emptyPartitions"/> some partitions are empty (no input carries their code).
    /// </summary>
    public static BoundsProblem Problem(Random rng, CostFunction cost, int n, int partitions, int maiCount, bool emptyPartitions)
    {
        int g = cost.GroupSize;
        int bits = CodeLayout.BitsFor(partitions);
        int stride = CodeLayout.StrideBytes(n, bits);
        var codes = new byte[g * stride];
        var partMin = new float[g * partitions];
        var partMax = new float[g * partitions];
        var maiIds = new List<int[]>();
        var maiValues = new List<float[]>();
        for (int j = 0; j < g; j++)
        {
            var used = Enumerable.Range(1, partitions - 1).Where(p => !emptyPartitions || p % 3 != 2 || partitions == 2).ToArray();
            int[] ids = Enumerable.Range(0, n).OrderBy(_ => rng.Next()).Take(maiCount).ToArray();
            var inMai = new HashSet<int>(ids);
            var neuronCodes = new byte[n];
            for (int i = 0; i < n; i++)
            {
                neuronCodes[i] = inMai.Contains(i) ? (byte)0 : (byte)used[rng.Next(used.Length)];
            }

            ScalarReference.Pack(neuronCodes, bits).CopyTo(codes, j * stride);
            for (int p = 0; p < partitions; p++)
            {
                bool empty = p > 0 && Array.IndexOf(used, p) < 0;
                float a = (float)((rng.NextDouble() * 12) - 6);
                float b = a + (float)(rng.NextDouble() * 3);
                partMin[(j * partitions) + p] = empty ? float.PositiveInfinity : a;
                partMax[(j * partitions) + p] = empty ? float.NegativeInfinity : b;
            }

            maiIds.Add(ids);
            maiValues.Add(Activations(rng, ids.Length, DataShape.Random));
        }

        return BoundsProblem.Create(cost, n, partitions, codes, partMin, partMax, maiIds, maiValues);
    }
}
