using System.Net;
using System.Net.Sockets;
using DeepEverest.Contracts.V1;
using DeepEverest.Services.Tests.Infrastructure;
using DeepEverest.Services.Tests.QueryService;
using Grpc.AspNetCore.Server;
using Grpc.Net.Client;
using Microsoft.Extensions.DependencyInjection;
using IndexClient = DeepEverest.Contracts.V1.IndexService.IndexServiceClient;

namespace DeepEverest.Services.Tests.Router;

/// <summary>
/// One store as a deployment runs it: an IndexService and a QueryService (the store opened as a
/// secondary) over one data root, both on loopback. The QueryService listens on a fixed port, so it
/// can be stopped (a killed shard) and started again at the same address.
/// </summary>
internal sealed class ShardNode : IAsyncDisposable
{
    private readonly int _queryPort;
    private GrpcChannel? _indexChannel;

    private ShardNode(string root)
    {
        Root = root;
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        _queryPort = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
    }

    public string Root { get; }

    public IndexServiceFactory Index { get; private set; } = null!;

    public QueryServiceFactory? Query { get; private set; }

    public string QueryUrl => $"http://127.0.0.1:{_queryPort}";

    public string IndexUrl => Index.Endpoints.GrpcAddress!;

    /// <summary>
    /// A node holding the ids [start, end) of the first <paramref name="sourceInputs"/> Fashion-MNIST
    /// test images as dataset <paramref name="dataset"/>, with an index on <paramref name="layer"/>
    /// (none when null), and its QueryService started. With <paramref name="otherModelVersion"/> its
    /// model is another file than the other nodes' (same weights, one more ONNX doc_string): a
    /// model re-registered on this shard only.
    /// </summary>
    public static async Task<ShardNode> StartAsync(string dataset, int sourceInputs, InputRange? range, string? layer, bool otherModelVersion = false)
    {
        var node = new ShardNode(TestData.CreateTempDirectory());
        TestData.CopyModel(node.Root);
        if (otherModelVersion)
        {
            // ModelProto field 6 (doc_string), length 1, "x": a valid model with another SHA-256.
            await using FileStream model = File.Open(Path.Combine(node.Root, TestData.ModelFile), FileMode.Append);
            model.Write([0x32, 0x01, (byte)'x']);
        }

        (string images, string labels) = TestData.WriteFashionSlice(node.Root, dataset, sourceInputs);
        node.Index = new IndexServiceFactory(node.Root);
        node.Index.UseKestrel();
        node.Index.StartServer();
        node._indexChannel = GrpcChannel.ForAddress(node.IndexUrl);
        var client = new IndexClient(node._indexChannel);
        await client.AddModelAsync(new AddModelRequest { Name = RouterFixture.Model, Path = TestData.ModelFile }).ResponseAsync.DefaultTimeout();
        var import = new ImportDatasetRequest { Name = dataset, Preprocessing = new Preprocessing { Scale = 1f / 255 }, InputRange = range };
        import.Parts.Add(new DatasetPart { InputsPath = images, LabelsPath = labels });
        import.InputShape.AddRange([1, 28, 28]);
        await client.ImportDatasetAsync(import).ResponseAsync.DefaultTimeout();
        if (layer is not null)
        {
            await client.BuildAsync(new BuildIndexRequest { Layer = new LayerRef { Model = RouterFixture.Model, Dataset = dataset, Layer = layer } });
        }

        node.StartQuery();
        return node;
    }

    /// <summary>
    /// A node holding ArcticXs as model <paramref name="model"/> and the text files
    /// <paramref name="documents"/> (name, content) as the text dataset <paramref name="dataset"/>
    /// (windows of <paramref name="windowTokens"/> tokens, metadata by <paramref name="namePattern"/>),
    /// without an index, and its QueryService started.
    /// </summary>
    public static async Task<ShardNode> StartTextAsync(string model, string dataset, IReadOnlyList<(string Name, string Text)> documents, int windowTokens, string namePattern)
    {
        var node = new ShardNode(TestData.CreateTempDirectory());
        string models = typeof(ShardNode).Assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyMetadataAttribute), false)
            .Cast<System.Reflection.AssemblyMetadataAttribute>().Single(a => a.Key == "TextModels").Value!;
        File.Copy(Path.Combine(models, "arctic-xs", "model.onnx"), Path.Combine(node.Root, "arctic.onnx"));
        File.Copy(Path.Combine(models, "arctic-xs", "vocab.txt"), Path.Combine(node.Root, "vocab.txt"));
        Directory.CreateDirectory(Path.Combine(node.Root, "corpus"));
        var source = new TextSource { Tokenizer = "bert-wordpiece", VocabPath = "vocab.txt", WindowTokens = windowTokens, NamePattern = namePattern };
        foreach ((string name, string text) in documents)
        {
            File.WriteAllText(Path.Combine(node.Root, "corpus", name), text);
            source.Paths.Add($"corpus/{name}");
        }

        node.Index = new IndexServiceFactory(node.Root);
        node.Index.UseKestrel();
        node.Index.StartServer();
        node._indexChannel = GrpcChannel.ForAddress(node.IndexUrl);
        var client = new IndexClient(node._indexChannel);
        await client.AddModelAsync(new AddModelRequest { Name = model, Path = "arctic.onnx" }).ResponseAsync.DefaultTimeout();
        await client.ImportDatasetAsync(new ImportDatasetRequest { Name = dataset, Text = source }).ResponseAsync.DefaultTimeout();
        node.StartQuery();
        return node;
    }

    /// <summary>The router's calls as the QueryService sees them (an interceptor on it).</summary>
    public CallProbe Probe { get; } = new();

    /// <summary>Starts the QueryService (again) at <see cref="QueryUrl"/>.</summary>
    public void StartQuery()
    {
        Query = new QueryServiceFactory(
            Root,
            new Dictionary<string, string> { ["Kestrel:Endpoints:Grpc:Url"] = QueryUrl },
            services =>
            {
                services.AddSingleton(Probe);
                services.Configure<GrpcServiceOptions>(grpc => grpc.Interceptors.Add<CallProbe>());
            });
        Query.UseKestrel();
        Query.StartServer();
    }

    /// <summary>Stops the QueryService: its address refuses connections, as a killed shard's does.</summary>
    public async Task StopQueryAsync()
    {
        if (Query is not null)
        {
            await Query.DisposeAsync();
            Query = null;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopQueryAsync();
        _indexChannel?.Dispose();
        await Index.DisposeAsync();
        TestData.DeleteDirectory(Root);
    }
}
