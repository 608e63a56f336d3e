using System.Net;
using System.Text;
using DeepEverest.Contracts.V1;
using DeepEverest.Services.Tests.Infrastructure;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using IndexClient = DeepEverest.Contracts.V1.IndexService.IndexServiceClient;

namespace DeepEverest.Services.Tests.Hosting;

/// <summary>
/// Every JSON route of the IndexService (in memory: the routes and their mapping, not the
/// endpoints, are under test here), from registering a model to deleting an index, and what
/// errors look like. Answers equal those over native gRPC.
/// </summary>
public sealed class IndexServiceJsonTests : IAsyncLifetime
{
    private const int Inputs = 300;
    private static readonly JsonParser _json = new(JsonParser.Settings.Default.WithIgnoreUnknownFields(false));
    private IndexServiceFactory _service = null!;
    private HttpClient _http = null!;
    private GrpcChannel _channel = null!;
    private IndexClient _grpc = null!;
    private string _images = "";
    private string _labels = "";

    public Task InitializeAsync()
    {
        string root = TestData.CreateTempDirectory();
        TestData.CopyModel(root);
        (_images, _labels) = TestData.WriteFashionSlice(root, "slice", Inputs);
        _service = new IndexServiceFactory(root);
        _http = _service.CreateClient();
        _channel = _service.CreateChannel();
        _grpc = new IndexClient(_channel);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        _channel.Dispose();
        await _service.DisposeAsync();
        TestData.DeleteDirectory(_service.DataRoot);
    }

    [Fact]
    public async Task Routes_RegisterImportBuildDescribeMaterializeDelete_EqualNativeGrpc()
    {
        ModelInfo model = await PostAsync<ModelInfo>("/v1/models", new AddModelRequest { Name = "vgg", Path = TestData.ModelFile });
        var import = new ImportDatasetRequest { Name = "fm", Preprocessing = new Preprocessing { Scale = 1f / 255 } };
        import.Parts.Add(new DatasetPart { InputsPath = _images, LabelsPath = _labels });
        import.InputShape.AddRange([1, 28, 28]);
        DatasetInfo dataset = await PostAsync<DatasetInfo>("/v1/datasets", import);

        Assert.Equal(await _grpc.ListModelsAsync(new ListModelsRequest()), await GetAsync<ListModelsResponse>("/v1/models"));
        Assert.Equal(model, Assert.Single((await GetAsync<ListModelsResponse>("/v1/models")).Models));
        Assert.Equal(dataset, Assert.Single((await GetAsync<ListDatasetsResponse>("/v1/datasets")).Datasets));
        Assert.Equal(Inputs, dataset.Count);
        Assert.Equal(
            await _grpc.ListLayersAsync(new ListLayersRequest { Model = "vgg" }),
            await GetAsync<ListLayersResponse>("/v1/models/vgg/layers"));

        var layer = new LayerRef { Model = "vgg", Dataset = "fm", Layer = TestData.SmallLayer };
        List<BuildProgress> build = await PostLinesAsync<BuildProgress>("/v1/indexes:build", new BuildIndexRequest { Layer = layer, Partitions = 8 });
        Assert.True(build.Count >= 3, $"{build.Count} lines");
        Assert.Equal(BuildPhase.Done, build[^1].Phase);
        Assert.Equal(8u, build[^1].Index.Partitions);
        Assert.Equal(build.Select(m => m.Phase).Order(), build.Select(m => m.Phase));

        string query = $"layer.model=vgg&layer.dataset=fm&layer.layer={Uri.EscapeDataString(layer.Layer)}";
        IndexInfo described = await GetAsync<IndexInfo>($"/v1/indexes:describe?{query}");
        Assert.Equal(build[^1].Index, described);
        Assert.Equal(described, await PostAsync<IndexInfo>("/v1/indexes:describe", new DescribeIndexRequest { Layer = layer }));
        Assert.Equal(described, Assert.Single((await GetAsync<ListIndexesResponse>("/v1/indexes?model=vgg&dataset=fm")).Indexes));
        Assert.Empty((await GetAsync<ListIndexesResponse>("/v1/indexes?model=other")).Indexes);

        List<BuildProgress> materialized = await PostLinesAsync<BuildProgress>("/v1/layers:materialize", new MaterializeLayerRequest { Layer = layer });
        Assert.True(materialized[^1].Index.Materialized);

        DeleteIndexResponse deleted = await PostAsync<DeleteIndexResponse>("/v1/indexes:delete", new DeleteIndexRequest { Layer = layer });
        Assert.Equal(described.IndexBytes, deleted.BytesFreed);
        Assert.Empty((await GetAsync<ListIndexesResponse>("/v1/indexes")).Indexes);
    }

    [Fact]
    public async Task Errors_HttpStatusOfTheGrpcCodeWithCodeAndMessageInBody()
    {
        (HttpStatusCode status, Google.Rpc.Status body) = await ErrorAsync(HttpMethod.Get, "/v1/models/nope/layers", null);
        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.Equal((int)StatusCode.NotFound, body.Code);
        Assert.Contains("nope", body.Message, StringComparison.Ordinal);

        (status, body) = await ErrorAsync(HttpMethod.Post, "/v1/models", new AddModelRequest { Name = "bad name!", Path = TestData.ModelFile });
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal((int)StatusCode.InvalidArgument, body.Code);

        // A stream refused before its first message: a plain error response, not a 200 with lines.
        (status, body) = await ErrorAsync(HttpMethod.Post, "/v1/indexes:build", new BuildIndexRequest { Layer = new LayerRef { Model = "vgg" } });
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("layer.layer is required", body.Message, StringComparison.Ordinal);

        (status, _) = await ErrorAsync(HttpMethod.Get, "/v1/indexes:describe?layer.model=vgg", null);
        Assert.Equal(HttpStatusCode.BadRequest, status);

        // A field that does not exist: refused, not ignored.
        using var unknownField = new StringContent("""{"name":"x","pth":"fashion_vgg.onnx"}""", Encoding.UTF8, "application/json");
        using HttpResponseMessage refused = await _http.PostAsync("/v1/models", unknownField).DefaultTimeout();
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
    }

    private async Task<(HttpStatusCode Status, Google.Rpc.Status Body)> ErrorAsync(HttpMethod method, string path, IMessage? body)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = new StringContent(JsonFormatter.Default.Format(body), Encoding.UTF8, "application/json");
        }

        using HttpResponseMessage response = await _http.SendAsync(request).DefaultTimeout();
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        return (response.StatusCode, _json.Parse<Google.Rpc.Status>(await response.Content.ReadAsStringAsync()));
    }

    private async Task<T> GetAsync<T>(string path)
        where T : IMessage<T>, new()
    {
        using HttpResponseMessage response = await _http.GetAsync(path).DefaultTimeout();
        string text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        return _json.Parse<T>(text);
    }

    private async Task<T> PostAsync<T>(string path, IMessage body)
        where T : IMessage<T>, new()
    {
        using HttpResponseMessage response = await _http.PostAsync(path, new StringContent(JsonFormatter.Default.Format(body), Encoding.UTF8, "application/json")).DefaultTimeout();
        string text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        return _json.Parse<T>(text);
    }

    private async Task<List<T>> PostLinesAsync<T>(string path, IMessage body)
        where T : IMessage<T>, new()
    {
        using HttpResponseMessage response = await _http.PostAsync(path, new StringContent(JsonFormatter.Default.Format(body), Encoding.UTF8, "application/json")).DefaultTimeout();
        string text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        return text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(_json.Parse<T>).ToList();
    }
}
