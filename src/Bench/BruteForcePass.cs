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
/// benchmark on an expensive model checks every answer without materializing the layer. Over a
/// text dataset the pass runs windows, and a row is a token item.
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
        var ranking = new Ranking(kernels, queries, k, probe.Neurons);
        if (probe.IsText)
        {
            TextPass(store, probe, ranking, progress, cancellationToken);
        }
        else
        {
            ArrayPass(store, probe, ranking, progress, cancellationToken);
        }

        return ranking.Answers();
    }

    /// <summary>Inputs of an array (image) dataset, 16 at a time.</summary>
    private static void ArrayPass(StoreReader store, LayerProbe probe, Ranking ranking, IProgress<string>? progress, CancellationToken cancellationToken)
    {
        const int Batch = 16;
        int n = probe.Inputs;
        int neurons = probe.Neurons;
        int elements = StoreReader.InputElements(probe.Dataset);
        using ActivationRunner runner = probe.CreateRunner(store, Environment.ProcessorCount, Batch);
        var inputs = new float[Batch * elements];
        var rows = new float[(long)Batch * neurons];
        for (int start = 0; start < n; start += Batch)
        {
            cancellationToken.ThrowIfCancellationRequested();
            int count = Math.Min(Batch, n - start);
            store.ReadInputRange(probe.Dataset, start, count, inputs.AsSpan(0, count * elements));
            runner.Run(inputs.AsSpan(0, count * elements), count, rows.AsSpan(0, count * neurons));
            ranking.Add(rows.AsSpan(0, count * neurons), start, count);
            if ((start / Batch) % 125 == 124)
            {
                progress?.Report($"reference pass over {probe.Layer.Name}: {start + count} of {n} inputs");
            }
        }
    }

    /// <summary>
    /// Windows of a text dataset in id order, 16 at a time: their tokens' rows are items
    /// first_item.. of the first window on (item ids run window after window).
    /// </summary>
    private static void TextPass(StoreReader store, LayerProbe probe, Ranking ranking, IProgress<string>? progress, CancellationToken cancellationToken)
    {
        const int Batch = 16;
        var text = probe.Dataset.Text;
        int neurons = probe.Neurons;
        using TokenActivationRunner runner = probe.CreateTokenRunner(store, Environment.ProcessorCount, Batch);
        var rows = new float[(long)Batch * text.WindowTokens * neurons];
        for (int first = 0; first < text.Windows; first += Batch)
        {
            cancellationToken.ThrowIfCancellationRequested();
            int count = (int)Math.Min(Batch, text.Windows - first);
            var windows = store.ReadTextWindows(probe.Dataset, Enumerable.Range(first, count).ToArray());
            int tokens = windows.Sum(w => w.TokenIds.Count);
            runner.Run([.. windows.Select(w => (ReadOnlyMemory<long>)w.TokenIds.ToArray())], rows.AsSpan(0, tokens * neurons));
            ranking.Add(rows.AsSpan(0, tokens * neurons), (int)windows[0].FirstItem, tokens);
            if ((first / Batch) % 125 == 124)
            {
                progress?.Report($"reference pass over {probe.Layer.Name}: {first + count} of {text.Windows} windows");
            }
        }
    }

    /// <summary>Every query's top-k over the rows seen so far.</summary>
    private sealed class Ranking(IKernels kernels, IReadOnlyList<Query> queries, int k, int neurons)
    {
        private readonly TopKCollector[] _collectors = queries.Select(_ => new TopKCollector(k)).ToArray();
        private readonly int _largest = queries.Max(q => q.Group.Length);
        private float[] _activations = [];
        private double[] _costs = [];

        /// <summary>Ranks <paramref name="count"/> rows, those of inputs <paramref name="start"/> on.</summary>
        public void Add(ReadOnlySpan<float> rows, int start, int count)
        {
            if (_costs.Length < count)
            {
                _activations = new float[count * _largest];
                _costs = new double[count];
            }

            for (int q = 0; q < queries.Count; q++)
            {
                int[] group = queries[q].Group;
                int g = group.Length;
                for (int r = 0; r < count; r++)
                {
                    ReadOnlySpan<float> row = rows.Slice(r * neurons, neurons);
                    Span<float> destination = _activations.AsSpan(r * g, g);
                    for (int j = 0; j < g; j++)
                    {
                        destination[j] = row[group[j]];
                    }
                }

                kernels.ExactCosts(queries[q].Cost, _activations.AsSpan(0, count * g), count, _costs.AsSpan(0, count));
                for (int r = 0; r < count; r++)
                {
                    if (start + r != queries[q].Excluded)
                    {
                        _collectors[q].Add(_costs[r], start + r);
                    }
                }
            }
        }

        /// <summary>Each query's answer, keyed by <see cref="Query.Key"/>.</summary>
        public Dictionary<string, (int Id, double Score)[]> Answers()
        {
            var answers = new Dictionary<string, (int Id, double Score)[]>();
            for (int q = 0; q < queries.Count; q++)
            {
                CostFunction cost = queries[q].Cost;
                answers[queries[q].Key] = _collectors[q].Sorted().Select(h => (h.Id, cost.ToScore(h.Cost))).ToArray();
            }

            return answers;
        }
    }
}
