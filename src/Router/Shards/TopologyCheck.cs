using Grpc.Core;

namespace DeepEverest.Router.Shards;

/// <summary>
/// Checks at start-up that the shards' ranges tile every dataset: overlapping or missing ranges stop
/// the router before it listens, with a message naming the shards and ranges. Shards that cannot be
/// reached yet (started after the router) do not stop it: queries read them when they run.
/// </summary>
internal sealed class TopologyCheck(ShardTopology topology, ILogger<TopologyCheck> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        RouterLog.Started(logger, topology.Shards.Count, string.Join(", ", topology.Shards.Select(s => s.Name)));
        try
        {
            await topology.CheckAllAsync(cancellationToken);
            RouterLog.TopologyChecked(logger, "every dataset's ranges tile it");
        }
        catch (RpcException e) when (e.StatusCode is StatusCode.Unavailable or StatusCode.DeadlineExceeded)
        {
            topology.Invalidate();
            RouterLog.TopologyUnreachable(logger, e.Status.Detail);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
