using DeepEverest.Kernels;

namespace DeepEverest.Bench.Kernels;

/// <summary>Generated inputs of <see cref="KernelBenchmark"/>.</summary>
internal static class BenchmarkData
{
    /// <summary>
    /// Neuron-major ReLU-like activations: about half exact zeros, the rest positive with a
    /// long tail, like the demo model's layers.
    /// </summary>
    public static float[] ReluActivations(Random rng, int neurons, int n)
    {
        var columns = new float[(long)neurons * n];
        for (long e = 0; e < columns.Length; e++)
        {
            double u = rng.NextDouble();
            columns[e] = u < 0.5 ? 0f : (float)(-Math.Log(1 - ((u - 0.5) * 2)) * 0.7);
        }

        return columns;
    }

    /// <summary>The first g neurons of neuron-major columns as row-major rows (rows x g).</summary>
    public static float[] RowMajor(float[] columns, int n, int g)
    {
        var rows = new float[(long)n * g];
        for (int j = 0; j < g; j++)
        {
            for (int i = 0; i < n; i++)
            {
                rows[((long)i * g) + j] = columns[((long)j * n) + i];
            }
        }

        return rows;
    }

    /// <summary>The q-quantile of the finite values (approximately; for choosing a limit).</summary>
    public static double Quantile(double[] values, double q)
    {
        double[] sorted = values.Where(double.IsFinite).Order().ToArray();
        return sorted.Length == 0 ? 0 : sorted[(int)Math.Min(sorted.Length - 1, q * sorted.Length)];
    }

    /// <summary>The built index of a block of neurons (outputs of BuildNeuronBlock).</summary>
    public sealed class Index
    {
        private readonly int _n;
        private readonly int _partitions;
        private readonly int _mai;
        private readonly int _stride;

        /// <summary>Allocates outputs for <paramref name="neurons"/> neurons.</summary>
        public Index(int neurons, int n, int partitions, int mai)
        {
            _n = n;
            _partitions = partitions;
            _mai = mai;
            _stride = CodeLayout.StrideBytes(n, CodeLayout.BitsFor(partitions));
            MaiIds = new int[neurons * mai];
            MaiValues = new float[neurons * mai];
            Codes = new byte[(long)neurons * _stride];
            PartMin = new float[neurons * partitions];
            PartMax = new float[neurons * partitions];
        }

        /// <summary>MAI ids, neuron-major.</summary>
        public int[] MaiIds { get; }

        /// <summary>MAI values, neuron-major.</summary>
        public float[] MaiValues { get; }

        /// <summary>Packed codes, neuron-major.</summary>
        public byte[] Codes { get; }

        /// <summary>Partition minima.</summary>
        public float[] PartMin { get; }

        /// <summary>Partition maxima.</summary>
        public float[] PartMax { get; }

        /// <summary>
        /// The arguments of an l2 bounds problem over the first g neurons (targets from input 0),
        /// prepared once; the returned function runs <see cref="BoundsProblem.Create"/> on them, as a
        /// query does.
        /// </summary>
        public Func<BoundsProblem> ProblemFactory(float[] columns, int g)
        {
            var target = new float[g];
            var ids = new int[g][];
            var values = new float[g][];
            for (int j = 0; j < g; j++)
            {
                target[j] = columns[(long)j * _n];
                ids[j] = MaiIds.AsSpan(j * _mai, _mai).ToArray();
                values[j] = MaiValues.AsSpan(j * _mai, _mai).ToArray();
            }

            var cost = new CostFunction(ScoreKind.L2, g, target, []);
            byte[] codes = Codes.AsSpan(0, g * _stride).ToArray();
            float[] partMin = PartMin.AsSpan(0, g * _partitions).ToArray();
            float[] partMax = PartMax.AsSpan(0, g * _partitions).ToArray();
            return () => BoundsProblem.Create(cost, _n, _partitions, codes, partMin, partMax, ids, values);
        }
    }
}
