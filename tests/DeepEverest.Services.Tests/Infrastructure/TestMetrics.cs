using System.Diagnostics.Metrics;
using DeepEverest.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace DeepEverest.Services.Tests.Infrastructure;

/// <summary>A <see cref="DeepEverestMetrics"/> for types tested outside a host.</summary>
internal static class TestMetrics
{
    /// <summary>Metrics on a meter factory of their own (no exporter listens).</summary>
    public static DeepEverestMetrics Create() =>
        new(new ServiceCollection().AddMetrics().BuildServiceProvider().GetRequiredService<IMeterFactory>());
}
