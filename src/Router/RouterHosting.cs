using DeepEverest.Hosting;
using DeepEverest.Hosting.WebConsole;
using DeepEverest.Router.Services;
using DeepEverest.Router.Shards;

namespace DeepEverest.Router;

/// <summary>How <c>Program</c> wires the router into a <see cref="DeepEverestHost"/>.</summary>
internal static class RouterHosting
{
    /// <summary>
    /// The router answers as a QueryService (same protos, so every client works against it
    /// unchanged): native gRPC on 127.0.0.1:50060, HTTP/1.1 (gRPC-Web, JSON, metrics) on
    /// 127.0.0.1:8090 by default. Override with <c>Kestrel:Endpoints:Grpc:Url</c> / <c>Kestrel:Endpoints:Http:Url</c>.
    /// </summary>
    public static readonly ServiceHostDefaults Defaults = new(
        Contracts.V1.QueryService.Descriptor.FullName,
        "router",
        "http://127.0.0.1:50060",
        "http://127.0.0.1:8090");

    /// <summary>Registers the options, the shards and the start-up check of their ranges.</summary>
    public static IServiceCollection AddRouter(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddValidatedOptions<RouterOptions>(configuration, RouterOptions.SectionName, o => o.Validate());

        // The router serves the IndexService too: its console's page calls both on its own origin
        // unless DeepEverest:Console:IndexServiceUrl says otherwise (set before binding, so it can).
        services.AddOptions<WebConsoleOptions>().Configure(o => o.IndexServiceUrl = "");
        services.AddValidatedOptions<WebConsoleOptions>(configuration, WebConsoleOptions.SectionName, o => o.Validate());
        services.AddSingleton<ShardTopology>();
        services.AddHostedService<TopologyCheck>();
        services.AddHealthChecks().AddCheck<RouterHealthCheck>("router");

        // gRPC, its error mapping, auth, health, reflection and metrics come from DeepEverestHost.
        return services;
    }

    /// <summary>Sets up the shared pipeline, the web console and the router's QueryService and IndexService.</summary>
    public static WebApplication MapRouter(this WebApplication app)
    {
        app.UseDeepEverestHost();
        app.MapWebConsole();
        app.MapGrpcService<RouterQueryService>();
        app.MapGrpcService<RouterIndexService>();
        return app;
    }
}
