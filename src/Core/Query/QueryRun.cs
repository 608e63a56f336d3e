namespace DeepEverest.Core.Query;

/// <summary>
/// A validated, planned query (<see cref="QueryEngine.Start"/>): the strategy that answers it, and
/// its updates. It holds the store snapshot the query reads: enumerating <see cref="Updates"/> to
/// its end releases it, and so does <see cref="Dispose"/> (for a run refused or abandoned before or
/// while it is enumerated, e.g. by admission control).
/// </summary>
public sealed class QueryRun : IDisposable
{
    private readonly IDisposable _snapshot;

    internal QueryRun(QueryStrategy strategy, IEnumerable<TopKUpdateInfo> updates, IDisposable snapshot)
    {
        Strategy = strategy;
        Updates = updates;
        _snapshot = snapshot;
    }

    /// <summary>
    /// The strategy that will run: the one asked for, or ReprocessAll when the layer has no usable index.
    /// </summary>
    public QueryStrategy Strategy { get; }

    /// <summary>
    /// Progressive updates, produced as they are enumerated (the work happens then); the last has Done
    /// set and is exact. Enumerate once.
    /// </summary>
    public IEnumerable<TopKUpdateInfo> Updates { get; }

    /// <summary>Releases the snapshot the query reads (idempotent).</summary>
    public void Dispose() => _snapshot.Dispose();
}
