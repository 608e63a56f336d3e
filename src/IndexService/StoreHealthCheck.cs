using DeepEverest.Core.Storage;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace DeepEverest.IndexService;

/// <summary>Reports the service healthy while its store answers a read.</summary>
internal sealed class StoreHealthCheck(StoreWriter store) : IHealthCheck
{
    /// <inheritdoc />
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            // A point lookup: cheap, and fails if RocksDB is closed or in a background error state.
            store.GetModel("health-check");
            return Task.FromResult(HealthCheckResult.Healthy());
        }
        catch (Exception e)
        {
            return Task.FromResult(HealthCheckResult.Unhealthy("The store does not answer reads.", e));
        }
    }
}
