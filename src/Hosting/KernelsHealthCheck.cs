using DeepEverest.Kernels;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace DeepEverest.Hosting;

/// <summary>Healthy once the kernels are up; its description and data name the backend in use.</summary>
public sealed class KernelsHealthCheck(IKernels kernels) : IHealthCheck
{
    /// <inheritdoc />
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(HealthCheckResult.Healthy($"kernels: {kernels.Name}", new Dictionary<string, object> { ["kernels"] = kernels.Name }));
}
