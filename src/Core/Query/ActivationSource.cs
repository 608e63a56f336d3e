using DeepEverest.Core.Indexing;
using DeepEverest.Core.Storage;

namespace DeepEverest.Core.Query;

/// <summary>
/// Where one query gets exact activations: the shared cache first, then inference of the misses in
/// batches. Counts what it inferred and what the cache served. Not thread-safe (one per query).
/// </summary>
public sealed class ActivationSource
{
    private readonly DeepEverestStore _store;
    private readonly LayerProbe _probe;
    private readonly RunnerPool _runners;
    private readonly ActivationCache? _cache;
    private readonly string _cacheKey;
    private readonly int _elements;

    /// <summary>Creates a source; <paramref name="cache"/> null disables caching (the ReprocessAll baseline).</summary>
    public ActivationSource(DeepEverestStore store, LayerProbe probe, RunnerPool runners, ActivationCache? cache)
    {
        _store = store;
        _probe = probe;
        _runners = runners;
        _cache = cache;
        _cacheKey = probe.Model.Sha256 + "\u001f" + probe.Dataset.Id + "\u001f" + probe.Layer.Name;
        _elements = DeepEverestStore.InputElements(probe.Dataset);
    }

    /// <summary>Where the time of this query goes (reads, inference, the rest).</summary>
    public QueryProfile Profile { get; } = new();

    /// <summary>Inputs run through the model.</summary>
    public long Inferred { get; private set; }

    /// <summary>Inputs served by the cache.</summary>
    public long CacheHits { get; private set; }

    /// <summary>Full-layer activations of a raw model input (not counted, not cached).</summary>
    public float[] InferTensor(float[] tensor, CancellationToken cancellationToken)
    {
        var row = new float[_probe.Neurons];
        _runners.Run(_store, _probe, tensor, 1, row, cancellationToken);
        return row;
    }

    /// <summary>
    /// Full-layer activations of one dataset input: the query's target, which is not counted in
    /// the statistics (they count the work of answering, which starts once the target is known).
    /// </summary>
    public float[] TargetRow(int id, CancellationToken cancellationToken)
    {
        var row = new float[_probe.Neurons];
        long inferred = Inferred;
        long hits = CacheHits;
        Rows([id], row, cancellationToken);
        Inferred = inferred;
        CacheHits = hits;
        return row;
    }

    /// <summary>Activations of the group's neurons for each id: ids.Length x group.Length, row-major.</summary>
    public void GroupRows(ReadOnlySpan<int> ids, int[] group, Span<float> destination, CancellationToken cancellationToken)
    {
        int neurons = _probe.Neurons;
        var rows = new float[(long)ids.Length * neurons];
        Rows(ids, rows, cancellationToken);
        for (int i = 0; i < ids.Length; i++)
        {
            ReadOnlySpan<float> row = rows.AsSpan(i * neurons, neurons);
            Span<float> dest = destination.Slice(i * group.Length, group.Length);
            for (int j = 0; j < group.Length; j++)
            {
                dest[j] = row[group[j]];
            }
        }
    }

    /// <summary>Full-layer activations for each id: ids.Length x neurons, row-major.</summary>
    public void Rows(ReadOnlySpan<int> ids, Span<float> destination, CancellationToken cancellationToken)
    {
        int neurons = _probe.Neurons;
        var missing = new List<int>();
        var missingAt = new List<int>();
        for (int i = 0; i < ids.Length; i++)
        {
            float[]? cached = _cache?.TryGet(_cacheKey, ids[i]);
            if (cached is not null)
            {
                cached.CopyTo(destination.Slice(i * neurons, neurons));
                CacheHits++;
            }
            else
            {
                missing.Add(ids[i]);
                missingAt.Add(i);
            }
        }

        if (missing.Count == 0)
        {
            return;
        }

        cancellationToken.ThrowIfCancellationRequested();
        long started = QueryProfile.Start();
        var inputs = new float[missing.Count * _elements];
        _store.ReadInputs(_probe.Dataset, missing.ToArray(), inputs);
        Profile.InputReadMs += QueryProfile.Elapsed(started);
        started = QueryProfile.Start();
        var rows = new float[(long)missing.Count * neurons];
        _runners.Run(_store, _probe, inputs, missing.Count, rows, cancellationToken);
        Profile.InferenceMs += QueryProfile.Elapsed(started);
        Inferred += missing.Count;
        for (int m = 0; m < missing.Count; m++)
        {
            float[] row = rows.AsSpan(m * neurons, neurons).ToArray();
            row.CopyTo(destination.Slice(missingAt[m] * neurons, neurons));
            _cache?.Add(_cacheKey, missing[m], row);
        }
    }
}
