using DeepEverest.Core.Indexing;
using DeepEverest.Core.Query;
using DeepEverest.Core.Storage;
using DeepEverest.Kernels;

namespace DeepEverest.Bench;

/// <summary>
/// The workload's LRU baseline: ReprocessAll with an LRU cache of full-layer activation rows that
/// may use as many bytes as our indexes. A query scores every considered input: rows the cache
/// holds first (no inference), then the misses in id order, inferred in batches and added to the
/// cache. Serving hits first matters: scanning in plain id order, a cache smaller than the layer
/// evicts every row before it is reused and never hits.
/// </summary>
internal sealed class LruBaseline : IDisposable
{
    private const int Batch = 256;

    private readonly StoreReader _store;
    private readonly IKernels _kernels;
    private readonly RunnerPool _runners = new(0, Batch);

    /// <summary>Creates the baseline over a store holding the dataset and model.</summary>
    public LruBaseline(StoreReader store, IKernels kernels, long budgetBytes)
    {
        _store = store;
        _kernels = kernels;
        Cache = new LruRowCache(budgetBytes);
    }

    /// <summary>The row cache.</summary>
    public LruRowCache Cache { get; }

    /// <summary>Answers a top-m-of-target query exactly; returns the answer and its counters.</summary>
    public (IReadOnlyList<(int Id, double Score)> Answer, long Inferred, long CacheHits) Run(
        string layer, QueryType type, int target, int groupSize, int k, CancellationToken cancellationToken)
    {
        LayerProbe probe = LayerProbe.Resolve(_store, BenchStores.Model, BenchStores.Dataset, layer);
        var source = new ActivationSource(_store, probe, _runners, null);
        int n = probe.Inputs;
        int neurons = probe.Neurons;

        // The target's row, like every engine strategy, is not counted.
        float[]? targetRow = Cache.TryGet(layer, target);
        if (targetRow is null)
        {
            targetRow = new float[neurons];
            source.Rows([target], targetRow, cancellationToken);
            Cache.Add(layer, target, targetRow);
        }

        int[] group = NeuronGroups.Resolve(new GroupSpec.TopOfTarget(groupSize), probe.Layer.Shape, targetRow);
        int g = group.Length;
        bool similar = type == QueryType.Similar;
        var cost = new CostFunction(similar ? ScoreKind.L2 : ScoreKind.Sum, g, similar ? group.Select(j => targetRow[j]).ToArray() : [], []);

        var hits = new List<int>();
        var misses = new List<int>();
        var hitRows = new List<float[]>();
        for (int i = 0; i < n; i++)
        {
            if (similar && i == target)
            {
                continue;
            }

            if (Cache.TryGet(layer, i) is { } row)
            {
                hits.Add(i);
                hitRows.Add(row);
            }
            else
            {
                misses.Add(i);
            }
        }

        int[] ids = [.. hits, .. misses];
        var costs = new double[ids.Length];
        var activations = new float[Batch * g];
        for (int start = 0; start < hits.Count; start += Batch)
        {
            int count = Math.Min(Batch, hits.Count - start);
            for (int r = 0; r < count; r++)
            {
                Gather(hitRows[start + r], group, activations.AsSpan(r * g, g));
            }

            _kernels.ExactCosts(cost, activations.AsSpan(0, count * g), count, costs.AsSpan(start, count));
        }

        var rows = new float[(long)Batch * neurons];
        int[] missing = [.. misses];
        for (int start = 0; start < missing.Length; start += Batch)
        {
            cancellationToken.ThrowIfCancellationRequested();
            int count = Math.Min(Batch, missing.Length - start);
            source.Rows(missing.AsSpan(start, count), rows.AsSpan(0, count * neurons), cancellationToken);
            for (int r = 0; r < count; r++)
            {
                float[] row = rows.AsSpan(r * neurons, neurons).ToArray();
                Cache.Add(layer, missing[start + r], row);
                Gather(row, group, activations.AsSpan(r * g, g));
            }

            _kernels.ExactCosts(cost, activations.AsSpan(0, count * g), count, costs.AsSpan(hits.Count + start, count));
        }

        var positions = new int[k];
        int found = _kernels.SelectTopK(costs, ids, k, positions);
        var answer = new List<(int Id, double Score)>(found);
        for (int i = 0; i < found; i++)
        {
            answer.Add((ids[positions[i]], cost.ToScore(costs[positions[i]])));
        }

        return (answer, source.Inferred, hits.Count);
    }

    /// <inheritdoc />
    public void Dispose() => _runners.Dispose();

    private static void Gather(float[] row, int[] group, Span<float> destination)
    {
        for (int j = 0; j < group.Length; j++)
        {
            destination[j] = row[group[j]];
        }
    }
}
