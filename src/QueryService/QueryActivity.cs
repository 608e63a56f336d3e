namespace DeepEverest.QueryService;

/// <summary>
/// Counts query workers that are still running: a cancelled or failed call's worker leaves within
/// one verification batch, releasing what it held (observable in tests, and in metrics as
/// <c>deepeverest.queries.running</c>).
/// </summary>
internal sealed class QueryActivity(QueryServiceMetrics metrics)
{
    private readonly QueryServiceMetrics _metrics = metrics;
    private int _active;

    /// <summary>Workers running now.</summary>
    public int Active => Volatile.Read(ref _active);

    /// <summary>Marks a worker as started; dispose the result when it ends.</summary>
    public IDisposable Enter()
    {
        Interlocked.Increment(ref _active);
        _metrics.AddRunningQueries(1);
        return new Exit(this);
    }

    private sealed class Exit(QueryActivity activity) : IDisposable
    {
        private int _done;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _done, 1) == 0)
            {
                Interlocked.Decrement(ref activity._active);
                activity._metrics.AddRunningQueries(-1);
            }
        }
    }
}
