using DeepEverest.Contracts.V1;
using DeepEverest.Services.Tests.Infrastructure;
using Grpc.Net.Client;
using QueryClient = DeepEverest.Contracts.V1.QueryService.QueryServiceClient;

namespace DeepEverest.Services.Tests.Router;

/// <summary>
/// The first <see cref="Inputs"/> Fashion-MNIST test images as one whole store and as three
/// input-range shards of unequal size (each with its own index on <see cref="Layer"/>), every store
/// served by its own IndexService and QueryService on loopback, and a router over the shards.
/// </summary>
public sealed class RouterFixture : IAsyncLifetime
{
    public const string Model = "vgg";
    public const string Dataset = "fm";
    public const int Inputs = 1200;

    /// <summary>A 2048-neuron layer ([128, 4, 4]): quick to index.</summary>
    public const string Layer = TestData.SmallLayer;

    /// <summary>The shards' ranges: unequal sizes, so no shard boundary is a round number of the others.</summary>
    public static readonly (int Start, int End)[] Ranges = [(0, 300), (300, 750), (750, Inputs)];

    private GrpcChannel? _wholeChannel;
    private GrpcChannel? _routerChannel;

    internal ShardNode Whole { get; private set; } = null!;

    internal ShardNode[] Shards { get; private set; } = [];

    internal RouterFactory Router { get; private set; } = null!;

    internal QueryClient WholeClient { get; private set; } = null!;

    internal QueryClient RouterClient { get; private set; } = null!;

    /// <summary>The shards' addresses, as the router's configuration names them.</summary>
    internal IReadOnlyList<(string QueryUrl, string IndexUrl)> Addresses => [.. Shards.Select(s => (s.QueryUrl, s.IndexUrl))];

    public async Task InitializeAsync()
    {
        Whole = await ShardNode.StartAsync(Dataset, Inputs, null, Layer);
        var shards = new List<ShardNode>();
        foreach ((int start, int end) in Ranges)
        {
            shards.Add(await ShardNode.StartAsync(Dataset, Inputs, new InputRange { Start = start, End = end }, Layer));
        }

        Shards = [.. shards];
        _wholeChannel = GrpcChannel.ForAddress(Whole.QueryUrl);
        WholeClient = new QueryClient(_wholeChannel);
        Router = new RouterFactory(Addresses);
        _routerChannel = Router.CreateChannel();
        RouterClient = new QueryClient(_routerChannel);
    }

    internal static LayerRef LayerRef() => new() { Model = Model, Dataset = Dataset, Layer = Layer };

    public async Task DisposeAsync()
    {
        _routerChannel?.Dispose();
        _wholeChannel?.Dispose();
        await Router.DisposeAsync();
        foreach (ShardNode node in Shards.Append(Whole))
        {
            await node.DisposeAsync();
        }
    }
}

[CollectionDefinition(Name)]
public sealed class RouterCollection : ICollectionFixture<RouterFixture>
{
    public const string Name = "Router";
}
