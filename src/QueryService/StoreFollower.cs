using Microsoft.Extensions.Options;

namespace DeepEverest.QueryService;

/// <summary>
/// Follows the IndexService's writes in the background: every
/// <see cref="QueryServiceOptions.FollowIntervalMs"/> it catches the secondary up and pins a new
/// generation for the queries that start next (<see cref="Core.Storage.StoreReader.CatchUp"/>),
/// so no query pays for a catch-up unless the IndexService has published since the last one.
/// </summary>
internal sealed class StoreFollower(QueryEngineHolder holder, IOptions<QueryServiceOptions> options, ILogger<StoreFollower> logger) : BackgroundService
{
    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(options.Value.FollowIntervalMs));
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                try
                {
                    holder.OpenedStore?.CatchUp();
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    QueryServiceLog.FollowFailed(logger, e);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down.
        }
    }
}
