using DeepEverest.Core;

namespace DeepEverest.IndexService;

/// <summary>
/// A count of calls of one kind in progress, refusing one beyond the configured maximum at once
/// (RESOURCE_EXHAUSTED naming the setting) rather than queueing it: a client that retries later
/// is better served than one whose call waits behind long transfers.
/// </summary>
internal sealed class ConcurrencyLimit(int limit, string what, string setting) : IDisposable
{
    private readonly SemaphoreSlim _slots = new(limit, limit);

    /// <summary>Slots taken now.</summary>
    public int InUse => limit - _slots.CurrentCount;

    /// <summary>Takes a slot; dispose the result to give it back.</summary>
    /// <exception cref="DeepEverestException">ResourceExhausted when every slot is taken.</exception>
    public IDisposable Enter()
    {
        if (!_slots.Wait(0))
        {
            throw new DeepEverestException(
                ErrorKind.ResourceExhausted,
                $"{limit} {what} already in progress, the most this service runs at once ({setting}); retry when one has finished.");
        }

        return new Slot(_slots);
    }

    /// <inheritdoc />
    public void Dispose() => _slots.Dispose();

    private sealed class Slot(SemaphoreSlim slots) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                slots.Release();
            }
        }
    }
}
