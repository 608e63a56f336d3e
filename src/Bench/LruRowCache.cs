namespace DeepEverest.Bench;

/// <summary>
/// Full-layer activation rows of inputs, least recently used out first, within a byte budget: the
/// store of the LRU baseline. Not thread-safe (the workload runs one query at a time).
/// </summary>
internal sealed class LruRowCache
{
    // Per-row overhead counted against the budget (node, key, array header), as the engine's cache does.
    private const long RowOverheadBytes = 64;

    private readonly long _budgetBytes;
    private readonly Dictionary<(string Layer, int Id), LinkedListNode<(string Layer, int Id, float[] Row)>> _map = [];
    private readonly LinkedList<(string Layer, int Id, float[] Row)> _lru = new();

    /// <summary>Creates an empty cache of at most <paramref name="budgetBytes"/> bytes.</summary>
    public LruRowCache(long budgetBytes) => _budgetBytes = budgetBytes;

    /// <summary>Bytes held.</summary>
    public long Bytes { get; private set; }

    /// <summary>Rows held.</summary>
    public int Count => _map.Count;

    /// <summary>The row of an input (now the most recently used), or null.</summary>
    public float[]? TryGet(string layer, int id)
    {
        if (!_map.TryGetValue((layer, id), out var node))
        {
            return null;
        }

        _lru.Remove(node);
        _lru.AddFirst(node);
        return node.Value.Row;
    }

    /// <summary>Adds a row as the most recently used, evicting the least recently used beyond the budget.</summary>
    public void Add(string layer, int id, float[] row)
    {
        long size = (row.Length * 4L) + RowOverheadBytes;
        if (size > _budgetBytes || _map.ContainsKey((layer, id)))
        {
            return;
        }

        _map[(layer, id)] = _lru.AddFirst((layer, id, row));
        Bytes += size;
        while (Bytes > _budgetBytes && _lru.Last is { } last)
        {
            _lru.RemoveLast();
            _map.Remove((last.Value.Layer, last.Value.Id));
            Bytes -= (last.Value.Row.Length * 4L) + RowOverheadBytes;
        }
    }
}
