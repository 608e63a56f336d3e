using DeepEverest.Core.Query;
using DeepEverest.Hosting;
using DeepEverest.Kernels;
using DeepEverest.QueryService.Limits;
using DeepEverest.QueryService.Services;
using DeepEverest.Hosting.WebConsole;
using Microsoft.Extensions.Options;

namespace DeepEverest.QueryService;

/// <summary>How <c>Program</c> wires the QueryService into a <see cref="DeepEverestHost"/>.</summary>
internal static class QueryServiceHosting
{
    /// <summary>
    /// The service's name and its endpoints' default addresses: native gRPC on 127.0.0.1:50052,
    /// HTTP/1.1 (gRPC-Web, JSON, metrics, web console) on 127.0.0.1:8080. Override with
    /// <c>Kestrel:Endpoints:Grpc:Url</c> / <c>Kestrel:Endpoints:Http:Url</c> (empty disables one).
    /// </summary>
    public static readonly ServiceHostDefaults Defaults = new(
        Contracts.V1.QueryService.Descriptor.FullName,
        "query-service",
        "http://127.0.0.1:50052",
        "http://127.0.0.1:8080");

    /// <summary>Registers options, the kernels, the engine and the health check.</summary>
    public static IServiceCollection AddQueryService(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddValidatedOptions<QueryServiceOptions>(configuration, QueryServiceOptions.SectionName, o => o.Validate());
        services.AddValidatedOptions<QueryEngineOptions>(configuration, QueryEngineOptions.SectionName, o => o.Validate());
        services.AddValidatedOptions<QueryLimitsOptions>(configuration, QueryLimitsOptions.SectionName, o => o.Validate());
        services.AddValidatedOptions<WebConsoleOptions>(configuration, WebConsoleOptions.SectionName, o => o.Validate());
        services.AddSingleton<IKernels>(sp => KernelSelector.Create(
            new KernelOptions { Backend = sp.GetRequiredService<IOptions<QueryServiceOptions>>().Value.Kernels },
            sp.GetRequiredService<ILoggerFactory>().CreateLogger("DeepEverest.Kernels")));
        services.AddSingleton<QueryEngineHolder>();
        services.AddHostedService<StoreFollower>();
        services.AddSingleton<QueryServiceMetrics>();
        services.AddSingleton<QueryActivity>();
        services.AddSingleton<QueryAdmission>();

        // gRPC, its error mapping, health, reflection and metrics come from DeepEverestHost.
        services.AddHealthChecks().AddCheck<KernelsHealthCheck>("kernels");
        return services;
    }

    /// <summary>Sets up the shared pipeline, the web console and the QueryService.</summary>
    public static WebApplication MapQueryService(this WebApplication app)
    {
        app.UseDeepEverestHost();
        app.MapWebConsole();
        app.MapGrpcService<QueryServiceImpl>();
        IKernels kernels = app.Services.GetRequiredService<IKernels>();
        string dataRoot = Path.GetFullPath(app.Services.GetRequiredService<IOptions<QueryServiceOptions>>().Value.DataRoot);
        QueryServiceLog.Started(app.Logger, dataRoot, kernels.Name);
        return app;
    }
}
