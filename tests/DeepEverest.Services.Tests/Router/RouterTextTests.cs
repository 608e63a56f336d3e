using DeepEverest.Contracts.V1;
using DeepEverest.Services.Tests.Infrastructure;
using Grpc.Core;
using Grpc.Net.Client;
using QueryClient = DeepEverest.Contracts.V1.QueryService.QueryServiceClient;

namespace DeepEverest.Services.Tests.Router;

/// <summary>
/// A text dataset behind the router (docs/text.md, docs/scale-out.md): one shard holds it whole,
/// another holds images. Item targets, raw-text targets and document filters answer through the
/// router exactly as the shard answers them alone.
/// </summary>
public sealed class RouterTextTests : IAsyncLifetime
{
    private const string Model = "arctic";
    private const string Dataset = "sotu";
    private const string Layer = "/encoder/layer.0/intermediate/intermediate_act_fn/Mul_1_output_0";

    private ShardNode _text = null!;
    private ShardNode _images = null!;
    private RouterFactory _router = null!;
    private GrpcChannel _textChannel = null!;
    private GrpcChannel _routerChannel = null!;

    public async Task InitializeAsync()
    {
        string[] lines = [.. File.ReadLines(Path.Combine(TestData.RepoRoot, "tests", "fixtures", "text", "moby-dick", "chapter_1.txt")).Where(l => l.Length > 0).Take(4)];
        _text = await ShardNode.StartTextAsync(Model, Dataset,
            [("1790_george_washington_n.txt", lines[1]), ("1861_abraham_lincoln_r.txt", lines[2]), ("1862_abraham_lincoln_r.txt", lines[3])],
            windowTokens: 32, namePattern: @"^(?<year>\d{4})_(?<president>.+)_(?<party>[a-z]+)\.txt$");
        _images = await ShardNode.StartAsync("fm", 50, null, null);
        _router = new RouterFactory([(_text.QueryUrl, _text.IndexUrl), (_images.QueryUrl, _images.IndexUrl)]);
        _textChannel = GrpcChannel.ForAddress(_text.QueryUrl);
        _routerChannel = _router.CreateChannel();
    }

    public async Task DisposeAsync()
    {
        _routerChannel.Dispose();
        _textChannel.Dispose();
        await _router.DisposeAsync();
        await _text.DisposeAsync();
        await _images.DisposeAsync();
    }

    [Fact]
    public async Task Similar_ItemTextAndDocumentFilter_SameAnswerThroughTheRouter()
    {
        var shard = new QueryClient(_textChannel);
        var router = new QueryClient(_routerChannel);
        var layer = new LayerRef { Model = Model, Dataset = Dataset, Layer = Layer };
        TopKSimilarRequest[] requests =
        [
            // The router used to copy the target to the other shards as a stored tensor, which a token item has not.
            new() { Layer = layer, Target = new Target { InputId = 7 }, Group = new NeuronGroup { TopOfTarget = 8 }, K = 10 },
            new() { Layer = layer, Target = new Target { Text = new TextTarget { Text = "Call me Ishmael.", Token = 2 } }, Group = new NeuronGroup { TopOfTarget = 8 }, K = 10 },
            new()
            {
                Layer = layer, Target = new Target { InputId = 3 }, Group = new NeuronGroup { TopOfTarget = 4 }, K = 5,
                Filter = new Filter { Documents = { new MetadataMatch { Key = "president", Values = { "abraham_lincoln" } } } },
            },
        ];

        foreach (TopKSimilarRequest request in requests)
        {
            TopKUpdate expected = await LastAsync(shard.TopKSimilar(request, deadline: Deadline()));
            TopKUpdate routed = await LastAsync(router.TopKSimilar(request, deadline: Deadline()));

            Assert.True(routed.Done, $"{request}: not done");
            Assert.NotEmpty(expected.Hits);
            Assert.Equal(expected.Hits.Select(h => (h.InputId, h.Score)), routed.Hits.Select(h => (h.InputId, h.Score)));

            // Each hit keeps the token's context the shard sent with it (docs/text.md).
            Assert.All(routed.Hits, h => Assert.False(string.IsNullOrEmpty(h.Text?.Text)));
            Assert.Equal(expected.Hits.Select(h => h.Text), routed.Hits.Select(h => h.Text));
            Assert.Equal(expected.Stats.InputsTotal, routed.Stats.InputsTotal);
        }
    }

    [Fact]
    public async Task ListDatasets_TextWithNamePattern_MetadataKeysAndValues()
    {
        var index = new DeepEverest.Contracts.V1.IndexService.IndexServiceClient(_routerChannel);

        ListDatasetsResponse listed = await index.ListDatasetsAsync(new ListDatasetsRequest()).ResponseAsync.DefaultTimeout();

        TextDatasetInfo text = listed.Datasets.Single(d => d.Name == Dataset).Text;
        Assert.Equal(["year", "president", "party"], text.Metadata.Select(k => k.Key));
        Assert.Equal(["abraham_lincoln", "george_washington"], text.Metadata[1].Values);
        Assert.Equal([2L, 1L], text.Metadata[1].Documents);
        Assert.Equal(["n", "r"], text.Metadata[2].Values);
    }

    private static DateTime Deadline() => DateTime.UtcNow.Add(TaskTimeoutExtensions.Timeout);

    private static async Task<TopKUpdate> LastAsync(AsyncServerStreamingCall<TopKUpdate> call)
    {
        using (call)
        {
            TopKUpdate? last = null;
            await foreach (TopKUpdate update in call.ResponseStream.ReadAllAsync())
            {
                last = update;
            }

            return last!;
        }
    }
}
