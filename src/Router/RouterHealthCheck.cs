using DeepEverest.Router.Shards;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace DeepEverest.Router;

/// <summary>
/// The router's health: healthy once it runs (the start-up check has already refused ranges that
/// do not tile). Without a registered check the gRPC health service never publishes a status, so
/// gRPC probes (Kubernetes <c>grpc:</c> probes, grpc_health_probe) saw UNKNOWN forever. Shards
/// are not probed here: a shard that is down fails the queries that need it, naming it, and a
/// router restart would not bring it back.
/// </summary>
internal sealed class RouterHealthCheck(ShardTopology topology) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(HealthCheckResult.Healthy(
            $"routing to {topology.Shards.Count} shard(s)",
            new Dictionary<string, object> { ["shards"] = topology.Shards.Count }));
}
