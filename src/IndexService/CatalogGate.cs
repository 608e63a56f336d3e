namespace DeepEverest.IndexService;

/// <summary>
/// Serializes changes to the catalog (model registrations, the commit of a dataset import): each
/// checks whether a name is taken and then writes it, and two such calls interleaving could both
/// pass the check. Reading an import's files happens outside the gate, so a long import never
/// blocks other registrations; index builds take the <see cref="BuildQueue"/> instead.
/// </summary>
internal sealed class CatalogGate : IDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);

    /// <summary>
    /// Runs the synchronous <paramref name="work"/> (file and store I/O) on the thread pool while
    /// holding the gate. The token cancels the wait for the gate and is handed to the work, which
    /// checks it between blocks of I/O.
    /// </summary>
    public async Task<T> RunAsync<T>(Func<CancellationToken, T> work, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await Task.Run(() => work(cancellationToken), CancellationToken.None).ConfigureAwait(false);
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
