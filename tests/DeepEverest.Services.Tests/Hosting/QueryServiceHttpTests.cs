using System.Net;
using System.Text;
using DeepEverest.Contracts.V1;
using DeepEverest.QueryService;
using DeepEverest.Services.Tests.Infrastructure;
using DeepEverest.Services.Tests.QueryService;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using Grpc.Net.Client.Web;
using Microsoft.Extensions.DependencyInjection;
using QueryClient = DeepEverest.Contracts.V1.QueryService.QueryServiceClient;

namespace DeepEverest.Services.Tests.Hosting;

/// <summary>
/// The QueryService as browsers and curl reach it, on its HTTP/1.1 endpoint (real Kestrel, port 0):
/// gRPC-Web with a streamed query arriving as several messages, and JSON transcoding with streams
/// as one JSON object per line; answers equal those over native gRPC.
/// </summary>
[Collection(QueryServiceCollection.Name)]
public sealed class QueryServiceHttpTests(QueryServiceFixture fixture) : IAsyncLifetime
{
    private static readonly JsonParser _json = new(JsonParser.Settings.Default.WithIgnoreUnknownFields(false));
    private readonly HttpClient _http = new();
    private QueryServiceFactory _service = null!;

    public Task InitializeAsync()
    {
        _service = new QueryServiceFactory(fixture.DataRoot);
        _service.UseKestrel();
        _service.StartServer();
        _http.BaseAddress = new Uri(_service.Endpoints.HttpAddress!);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _service.DisposeAsync();
    }

    [Theory]
    [InlineData(GrpcWebMode.GrpcWeb)]
    [InlineData(GrpcWebMode.GrpcWebText)]
    public async Task GrpcWeb_Http11_StreamArrivesAsSeveralMessagesAndEqualsNativeGrpc(GrpcWebMode mode)
    {
        using GrpcChannel channel = WebChannel(mode);
        var web = new QueryClient(channel);
        TopKSimilarRequest request = SmallBatches();

        List<TopKUpdate> updates = await ReadAsync(web.TopKSimilar(request));
        List<TopKUpdate> native = await ReadAsync(fixture.Client.TopKSimilar(request));

        Assert.True(updates.Count >= 3, $"{updates.Count} updates");
        Assert.All(updates[..^1], u => Assert.False(u.Done));
        Assert.True(updates[^1].Done);
        Assert.Equal(Hits(native[^1]), Hits(updates[^1]));

        GetInputResponse input = await web.GetInputAsync(new GetInputRequest { Dataset = QueryServiceFixture.Dataset, InputId = 3 }).ResponseAsync.DefaultTimeout();
        Assert.Equal(784, input.Tensor.Values.Count);
    }

    [Fact]
    public async Task GrpcWeb_BadRequest_StatusInTrailers()
    {
        using GrpcChannel channel = WebChannel(GrpcWebMode.GrpcWeb);
        TopKSimilarRequest request = SmallBatches();
        request.K = 0;

        RpcException e = await Assert.ThrowsAsync<RpcException>(() => ReadAsync(new QueryClient(channel).TopKSimilar(request)));

        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
        Assert.Contains("k", e.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Json_TopKSimilar_OneUpdatePerLineEndingDoneAndEqualsNativeGrpc()
    {
        TopKSimilarRequest request = SmallBatches();

        using HttpResponseMessage response = await PostAsync("/v1/layers:topKSimilar", request);
        string[] lines = (await response.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        List<TopKUpdate> native = await ReadAsync(fixture.Client.TopKSimilar(request));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        List<TopKUpdate> updates = lines.Select(_json.Parse<TopKUpdate>).ToList();
        Assert.True(updates.Count >= 3, $"{updates.Count} lines");
        Assert.All(updates[..^1], u => Assert.False(u.Done));
        Assert.True(updates[^1].Done);
        Assert.Equal(Hits(native[^1]), Hits(updates[^1]));

        // Enums by name, 64-bit integers as JSON numbers, every field present.
        Assert.Contains("\"strategy\":\"STRATEGY_BOUNDS\"", lines[^1], StringComparison.Ordinal);
        Assert.Matches("\"inputId\":[0-9]+,", lines[^1]);
        Assert.Contains("\"done\":false", lines[0], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Json_TopKSimilar_FirstLineArrivesWhileTheQueryRuns()
    {
        QueryActivity activity = _service.Services.GetRequiredService<QueryActivity>();

        // ReprocessAll one input per batch over an unindexed layer: far longer than reading a line.
        TopKSimilarRequest request = SmallBatches(QueryServiceFixture.UnindexedLayer, Strategy.ReprocessAll, batchSize: 1);
        using var message = new HttpRequestMessage(HttpMethod.Post, "/v1/layers:topKSimilar") { Content = Json(request) };
        using HttpResponseMessage response = await _http.SendAsync(message, HttpCompletionOption.ResponseHeadersRead).DefaultTimeout();
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        TopKUpdate first = _json.Parse<TopKUpdate>((await reader.ReadLineAsync().DefaultTimeout())!);

        Assert.False(first.Done);
        Assert.Equal(1, activity.Active);

        // Closing the response cancels the query on the server.
        response.Dispose();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (activity.Active > 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }

        Assert.Equal(0, activity.Active);
    }

    [Fact]
    public async Task Json_BadAndUnknown_HttpStatusWithGrpcCodeAndMessage()
    {
        TopKSimilarRequest zero = SmallBatches();
        zero.K = 0;
        TopKSimilarRequest unknown = SmallBatches();
        unknown.Layer.Layer = "/no/such/layer";

        using HttpResponseMessage bad = await PostAsync("/v1/layers:topKSimilar", zero);
        using HttpResponseMessage missing = await PostAsync("/v1/layers:topKSimilar", unknown);
        using HttpResponseMessage notJson = await _http.PostAsync("/v1/layers:topKSimilar", new StringContent("{\"k\":", Encoding.UTF8, "application/json")).DefaultTimeout();

        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Google.Rpc.Status status = _json.Parse<Google.Rpc.Status>(await bad.Content.ReadAsStringAsync());
        Assert.Equal((int)StatusCode.InvalidArgument, status.Code);
        Assert.Contains("k", status.Message, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal((int)StatusCode.NotFound, _json.Parse<Google.Rpc.Status>(await missing.Content.ReadAsStringAsync()).Code);
        Assert.Equal(HttpStatusCode.BadRequest, notJson.StatusCode);
    }

    [Fact]
    public async Task Json_GetActivationsAndGetInput_QueryStringAndPathEqualNativeGrpc()
    {
        string layer = Uri.EscapeDataString(QueryServiceFixture.IndexedLayer);
        string activationsJson = await _http.GetStringAsync(
            $"/v1/layers:activations?layer.model={QueryServiceFixture.Model}&layer.dataset={QueryServiceFixture.Dataset}&layer.layer={layer}&target.inputId=5&topM=4").DefaultTimeout();
        string inputJson = await _http.GetStringAsync($"/v1/datasets/{QueryServiceFixture.Dataset}/inputs/5").DefaultTimeout();

        var request = new GetActivationsRequest { Layer = QueryServiceFixture.Layer(QueryServiceFixture.IndexedLayer), Target = new Target { InputId = 5 }, TopM = 4 };
        Assert.Equal(await fixture.Client.GetActivationsAsync(request).ResponseAsync.DefaultTimeout(), _json.Parse<GetActivationsResponse>(activationsJson));
        GetInputResponse native = await fixture.Client.GetInputAsync(new GetInputRequest { Dataset = QueryServiceFixture.Dataset, InputId = 5 }).ResponseAsync.DefaultTimeout();
        Assert.Equal(native, _json.Parse<GetInputResponse>(inputJson));
    }

    [Fact]
    public async Task Json_TopKHighest_EqualsNativeGrpc()
    {
        var request = new TopKHighestRequest
        {
            Layer = QueryServiceFixture.Layer(QueryServiceFixture.IndexedLayer),
            Target = new Target { InputId = 11 },
            Group = new NeuronGroup { TopOfTarget = 2 },
            K = 7,
            Aggregate = Aggregate.Mean,
        };

        using HttpResponseMessage response = await PostAsync("/v1/layers:topKHighest", request);
        string[] lines = (await response.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        List<TopKUpdate> native = await ReadAsync(fixture.Client.TopKHighest(request));

        Assert.Equal(Hits(native[^1]), Hits(_json.Parse<TopKUpdate>(lines[^1])));
    }

    private static TopKSimilarRequest SmallBatches(string layer = QueryServiceFixture.IndexedLayer, Strategy strategy = Strategy.Bounds, int batchSize = 4) => new()
    {
        Layer = QueryServiceFixture.Layer(layer),
        Target = new Target { InputId = 7 },
        Group = new NeuronGroup { TopOfTarget = 3 },
        K = 20,
        Options = new QueryOptions { Strategy = strategy, BatchSize = batchSize, NoCache = true, MinUpdateIntervalMs = 0 },
    };

    private static IEnumerable<(long Id, double Score)> Hits(TopKUpdate update) => update.Hits.Select(h => (h.InputId, h.Score)).ToList();

    private static StringContent Json(IMessage request) => new(JsonFormatter.Default.Format(request), Encoding.UTF8, "application/json");

    private static async Task<List<TopKUpdate>> ReadAsync(AsyncServerStreamingCall<TopKUpdate> call)
    {
        using (call)
        {
            var updates = new List<TopKUpdate>();
            await foreach (TopKUpdate update in call.ResponseStream.ReadAllAsync().WithCancellation(CancellationToken.None))
            {
                updates.Add(update);
            }

            return updates;
        }
    }

    /// <summary>A gRPC-Web channel over HTTP/1.1 exactly, as a browser on the HTTP/1.1 endpoint.</summary>
    private GrpcChannel WebChannel(GrpcWebMode mode) => GrpcChannel.ForAddress(_service.Endpoints.HttpAddress!, new GrpcChannelOptions
    {
        HttpHandler = new GrpcWebHandler(mode, new HttpClientHandler()),
        HttpVersion = HttpVersion.Version11,
        HttpVersionPolicy = HttpVersionPolicy.RequestVersionExact,
    });

    private async Task<HttpResponseMessage> PostAsync(string path, IMessage request) =>
        await _http.PostAsync(path, Json(request)).DefaultTimeout();
}
