using System.Diagnostics.Metrics;
using DeepEverest.IndexService;
using Microsoft.Extensions.DependencyInjection;

namespace DeepEverest.Services.Tests.Infrastructure;

/// <summary>Service metrics for types tested outside a host.</summary>
internal static class TestMetrics
{
    /// <summary>The IndexService's metrics on a meter factory of their own (no exporter listens).</summary>
    public static IndexServiceMetrics ForIndexService() => new(MeterFactory());

    private static IMeterFactory MeterFactory() =>
        new ServiceCollection().AddMetrics().BuildServiceProvider().GetRequiredService<IMeterFactory>();
}
