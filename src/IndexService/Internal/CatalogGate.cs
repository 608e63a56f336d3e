namespace DeepEverest.IndexService.Internal;

/// <summary>
/// Serializes changes to the catalog (dataset imports, model registrations): each checks whether
/// a name is taken and then writes it, and two such calls interleaving could both pass the check.
/// Index builds take the <see cref="BuildQueue"/> instead, so a long build never blocks imports.
/// </summary>
internal sealed class CatalogGate : IDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);

    /// <summary>
    /// Runs the synchronous <paramref name="work"/> (file and store I/O) on the thread pool while
    /// holding the gate; the token only cancels the wait for the gate, not work that has started.
    /// </summary>
    public async Task<T> RunAsync<T>(Func<T> work, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await Task.Run(work, CancellationToken.None).ConfigureAwait(false);
        }
        finally
        {
            // An import reads and writes gigabytes: give the memory back before the next call.
            LargeJobMemory.Release();
            _gate.Release();
        }
    }

    /// <inheritdoc />
    public void Dispose() => _gate.Dispose();
}
