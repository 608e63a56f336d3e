using DeepEverest.Core.Query.Planning;
using DeepEverest.Core.Query;
using DeepEverest.Core.Indexing;
using DeepEverest.Core.Onnx;
using DeepEverest.Core.Query.Results;
using DeepEverest.Core.Storage;
using DeepEverest.Kernels;

namespace DeepEverest.Bench;

/// <summary>
/// Reference answers of many queries on one layer from a single inference pass over the dataset:
/// ReprocessAll shared by all of them (the same exact-cost kernel, the same activations), so a
/// benchmark on an expensive model checks every answer without materializing the layer.
/// </summary>
internal static class BruteForcePass
{
    /// <summary>One query of the pass: its resolved group and cost, and the input it leaves out (or -1).</summary>
    public sealed record Query(string Key, int[] Group, CostFunction Cost, int Excluded)
    {
        /// <summary>
        /// The pass's form of a benchmark query: its group resolved on the target's activations
        /// <paramref name="row"/>, l2 to the target (which it leaves out) or the sum for highest.
        /// </summary>
        public static Query For(BenchQuery q, IReadOnlyList<long> shape, float[] row)
        {
            int[] group = NeuronGroups.Resolve(q.Group, shape, row);
            bool similar = q.Type == QueryType.Similar;
            var cost = new CostFunction(similar ? ScoreKind.L2 : ScoreKind.Sum, group.Length, similar ? group.Select(j => row[j]).ToArray() : [], []);
            return new Query(q.Key, group, cost, similar ? q.Target : -1);
        }
    }

    /// <summary>Every query's exact top-k as (id, score) pairs in rank order.</summary>
    public static Dictionary<string, (int Id, double Score)[]> Answers(
        StoreReader store,
        IKernels kernels,
        LayerProbe probe,
        IReadOnlyList<Query> queries,
        int k,
        IProgress<string>? progress,
        CancellationToken cancellationToken)
    {
        const int Batch = 16;
        int n = probe.Inputs;
        int neurons = probe.Neurons;
        int elements = StoreReader.InputElements(probe.Dataset);
        using ActivationRunner runner = probe.CreateRunner(store, Environment.ProcessorCount, Batch);
        var inputs = new float[Batch * elements];
        var rows = new float[(long)Batch * neurons];
        var collectors = queries.Select(_ => new TopKCollector(k)).ToArray();
        int largest = queries.Max(q => q.Group.Length);
        var activations = new float[Batch * largest];
        var costs = new double[Batch];
        for (int start = 0; start < n; start += Batch)
        {
            cancellationToken.ThrowIfCancellationRequested();
            int count = Math.Min(Batch, n - start);
            store.ReadInputRange(probe.Dataset, start, count, inputs.AsSpan(0, count * elements));
            runner.Run(inputs.AsSpan(0, count * elements), count, rows.AsSpan(0, count * neurons));
            for (int q = 0; q < queries.Count; q++)
            {
                int[] group = queries[q].Group;
                int g = group.Length;
                for (int r = 0; r < count; r++)
                {
                    ReadOnlySpan<float> row = rows.AsSpan(r * neurons, neurons);
                    Span<float> destination = activations.AsSpan(r * g, g);
                    for (int j = 0; j < g; j++)
                    {
                        destination[j] = row[group[j]];
                    }
                }

                kernels.ExactCosts(queries[q].Cost, activations.AsSpan(0, count * g), count, costs.AsSpan(0, count));
                for (int r = 0; r < count; r++)
                {
                    if (start + r != queries[q].Excluded)
                    {
                        collectors[q].Add(costs[r], start + r);
                    }
                }
            }

            if ((start / Batch) % 125 == 124)
            {
                progress?.Report($"reference pass over {probe.Layer.Name}: {start + count} of {n} inputs");
            }
        }

        var answers = new Dictionary<string, (int Id, double Score)[]>();
        for (int q = 0; q < queries.Count; q++)
        {
            CostFunction cost = queries[q].Cost;
            answers[queries[q].Key] = collectors[q].Sorted().Select(h => (h.Id, cost.ToScore(h.Cost))).ToArray();
        }

        return answers;
    }
}
