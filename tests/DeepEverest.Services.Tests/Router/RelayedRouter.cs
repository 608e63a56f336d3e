using Grpc.AspNetCore.Server;
using Grpc.Net.Client;
using Microsoft.Extensions.DependencyInjection;
using QueryClient = DeepEverest.Contracts.V1.QueryService.QueryServiceClient;

namespace DeepEverest.Services.Tests.Router;

/// <summary>
/// A router of its own over the fixture's shards, each reached through relays (<see cref="TcpRelay"/>)
/// for its QueryService and its IndexService, so a test can kill a shard mid-query or put another
/// store at its address without touching the fixture's router. A <see cref="CallProbe"/> on the
/// router sees how its clients' calls ended.
/// </summary>
internal sealed class RelayedRouter : IAsyncDisposable
{
    private readonly GrpcChannel _channel;

    public RelayedRouter(IReadOnlyList<ShardNode> shards, IReadOnlyDictionary<string, string>? settings = null)
    {
        Query = [.. shards.Select(s => new TcpRelay(s.QueryUrl))];
        Index = [.. shards.Select(s => new TcpRelay(s.IndexUrl))];
        Router = new RouterFactory(
            [.. Query.Zip(Index, (q, i) => (q.Url, i.Url))],
            settings,
            services =>
            {
                services.AddSingleton(Probe);
                services.Configure<GrpcServiceOptions>(grpc => grpc.Interceptors.Add<CallProbe>());
            });
        _channel = Router.CreateChannel();
        Client = new QueryClient(_channel);
    }

    /// <summary>Relays to each shard's QueryService, in shard order.</summary>
    public TcpRelay[] Query { get; }

    /// <summary>Relays to each shard's IndexService, in shard order.</summary>
    public TcpRelay[] Index { get; }

    public RouterFactory Router { get; }

    public QueryClient Client { get; }

    /// <summary>The router's calls as it served them.</summary>
    public CallProbe Probe { get; } = new();

    public async ValueTask DisposeAsync()
    {
        _channel.Dispose();
        await Router.DisposeAsync();
        foreach (TcpRelay relay in Query.Concat(Index))
        {
            await relay.DisposeAsync();
        }
    }
}
