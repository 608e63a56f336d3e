using Grpc.Net.Client;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace DeepEverest.Services.Tests.Router;

/// <summary>
/// The router hosted in memory over shards given as (QueryService, IndexService) native gRPC
/// addresses; it reads the shards' datasets on every query (TopologyRefreshSeconds 0).
/// </summary>
internal sealed class RouterFactory(IReadOnlyList<(string QueryUrl, string IndexUrl)> shards, IReadOnlyDictionary<string, string>? settings = null, Action<IServiceCollection>? services = null)
    : WebApplicationFactory<DeepEverest.Router.RouterHost>
{
    public Infrastructure.CapturingLoggerProvider Logs { get; } = new();

    public GrpcChannel CreateChannel() =>
        GrpcChannel.ForAddress(Server.BaseAddress, new GrpcChannelOptions { HttpHandler = Server.CreateHandler() });

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting("Kestrel:Endpoints:Grpc:Url", "http://127.0.0.1:0");
        builder.UseSetting("Kestrel:Endpoints:Http:Url", "http://127.0.0.1:0");
        builder.UseSetting("DeepEverest:Router:TopologyRefreshSeconds", "0");
        for (int i = 0; i < shards.Count; i++)
        {
            builder.UseSetting($"DeepEverest:Router:Shards:{i}:QueryUrl", shards[i].QueryUrl);
            builder.UseSetting($"DeepEverest:Router:Shards:{i}:IndexUrl", shards[i].IndexUrl);
        }

        foreach ((string key, string value) in settings ?? new Dictionary<string, string>())
        {
            builder.UseSetting(key, value);
        }

        builder.ConfigureServices(s =>
        {
            s.AddSingleton<ILoggerProvider>(Logs);
            services?.Invoke(s);
        });
    }
}
