namespace DeepEverest.Core.Query.Activations;

/// <summary>
/// Full-layer activation rows of inputs, shared across queries, least recently used first out,
/// within a byte budget. Thread-safe. Keys name the model file (by hash), dataset and layer, so a
/// replaced model or dataset never serves stale rows.
/// </summary>
public sealed class ActivationCache
{
    private readonly long _budgetBytes;
    private readonly Dictionary<(string Layer, int Id), LinkedListNode<(string Layer, int Id, float[] Row)>> _map = [];
    private readonly LinkedList<(string Layer, int Id, float[] Row)> _lru = new();
    private readonly Lock _lock = new();
    private long _bytes;

    /// <summary>Creates a cache of at most <paramref name="budgetBytes"/> bytes of rows.</summary>
    public ActivationCache(long budgetBytes) => _budgetBytes = budgetBytes;

    /// <summary>Bytes held.</summary>
    public long Bytes
    {
        get
        {
            lock (_lock)
            {
                return _bytes;
            }
        }
    }

    /// <summary>The cached row of an input, or null.</summary>
    public float[]? TryGet(string layerKey, int id)
    {
        lock (_lock)
        {
            if (!_map.TryGetValue((layerKey, id), out var node))
            {
                return null;
            }

            _lru.Remove(node);
            _lru.AddFirst(node);
            return node.Value.Row;
        }
    }

    /// <summary>Adds a row (the caller must not modify it afterwards).</summary>
    public void Add(string layerKey, int id, float[] row)
    {
        long size = row.Length * 4L + 64;
        if (size > _budgetBytes)
        {
            return;
        }

        lock (_lock)
        {
            if (_map.ContainsKey((layerKey, id)))
            {
                return;
            }

            _map[(layerKey, id)] = _lru.AddFirst((layerKey, id, row));
            _bytes += size;
            while (_bytes > _budgetBytes && _lru.Last is { } last)
            {
                _lru.RemoveLast();
                _map.Remove((last.Value.Layer, last.Value.Id));
                _bytes -= last.Value.Row.Length * 4L + 64;
            }
        }
    }
}
