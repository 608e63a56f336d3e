using DeepEverest.Core.Indexing;
using DeepEverest.Core.Storage;
using DeepEverest.Kernels;

namespace DeepEverest.IndexService;

/// <summary>
/// Opens the store and creates the kernels when the host starts (its constructor takes them), so
/// a locked store or a missing GPU stops the service before it listens rather than failing the
/// first call. Also removes the spill directories of builds killed mid-way, and warns about
/// indexes whose model or dataset changed after they were built (left by versions before content
/// stamps; they are never used).
/// </summary>
internal sealed class IndexServiceStartup(StoreWriter store, IKernels kernels, IndexBuilder builder, ILogger<IndexServiceStartup> logger) : IHostedService
{
    /// <inheritdoc />
    public Task StartAsync(CancellationToken cancellationToken)
    {
        // Uploads a crash interrupted left files that no call will ever finish.
        int uploads = StagedUpload.RemoveLeftovers(store.DataRoot);
        if (uploads > 0)
        {
            IndexServiceLog.UploadsRemoved(logger, uploads);
        }

        int spill = builder.RemoveAbandonedSpill();
        if (spill > 0)
        {
            IndexServiceLog.SpillRemoved(logger, spill, builder.SpillRoot);
        }

        foreach (string stale in store.ListStale())
        {
            IndexServiceLog.StaleIndex(logger, stale);
        }

        IndexServiceLog.Ready(logger, store.DataRoot, kernels.Name, store.ListModels().Count, store.ListDatasets().Count, store.ListIndexes().Count);
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
