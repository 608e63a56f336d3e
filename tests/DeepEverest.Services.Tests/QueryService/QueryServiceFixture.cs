using DeepEverest.Contracts.V1;
using DeepEverest.Core.Datasets;
using DeepEverest.Core.Indexing;
using DeepEverest.Core.Models;
using DeepEverest.Core.Storage;
using DeepEverest.Hosting;
using DeepEverest.Kernels;
using DeepEverest.Services.Tests.Infrastructure;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace DeepEverest.Services.Tests.QueryService;

/// <summary>
/// A data root written by the primary store (as the IndexService would: the demo model, 1,500 real
/// Fashion-MNIST images with labels, an index on one layer) and the QueryService hosted in memory
/// over it as a secondary. The primary stays open, so tests can publish more while it serves.
/// </summary>
public sealed class QueryServiceFixture : IAsyncLifetime
{
    public const string Model = "vgg";
    public const string Dataset = "fm";
    public const int Inputs = 1500;
    public const string IndexedLayer = "/block4/block4.2/Relu_output_0";
    public const string UnindexedLayer = "/classifier/classifier.2/Relu_output_0";
    public const string LateLayer = "/block4/block4.5/Relu_output_0";

    internal string DataRoot { get; } = TestData.CreateTempDirectory();

    internal StoreWriter Primary { get; private set; } = null!;

    internal IKernels Kernels { get; } = KernelSelector.Create(new KernelOptions { Backend = KernelBackend.Cpu });

    internal QueryServiceFactory Factory { get; private set; } = null!;

    internal Contracts.V1.QueryService.QueryServiceClient Client { get; private set; } = null!;

    private GrpcChannel? _channel;

    public Task InitializeAsync()
    {
        Primary = StoreWriter.OpenPrimary(DataRoot);
        ModelCatalog.Register(Primary, Model, File.ReadAllBytes(Path.Combine(TestData.RepoRoot, "models", "demo", "fashion_vgg.onnx")), replace: false);
        (string images, string labels) = TestData.WriteFashionSlice(DataRoot, "slice", Inputs);
        var import = new DatasetImportRequest(Dataset, [new DatasetPartPaths(images, labels)], InputPreprocessing.Affine(1f / 255, 0), [1, 28, 28], Replace: false);
        DatasetImport.Import(Primary, import, (path, field) => global::DeepEverest.Core.DataRoot.OpenRead(DataRoot, path, field));
        BuildIndex(IndexedLayer);
        Factory = new QueryServiceFactory(DataRoot);
        _channel = Factory.CreateChannel();
        Client = new Contracts.V1.QueryService.QueryServiceClient(_channel);
        return Task.CompletedTask;
    }

    internal void BuildIndex(string layer) =>
        new IndexBuilder(Primary, Kernels, new IndexBuildOptions()).Build(new IndexBuildRequest(Model, Dataset, layer), null, CancellationToken.None);

    internal static LayerRef Layer(string layer) => new() { Model = Model, Dataset = Dataset, Layer = layer };

    public async Task DisposeAsync()
    {
        _channel?.Dispose();
        await Factory.DisposeAsync();
        Primary.Dispose();
        Kernels.Dispose();
        TestData.DeleteDirectory(DataRoot);
    }
}

/// <summary>
/// The QueryService in memory over a data root (or, after <c>UseKestrel()</c>, on loopback port 0
/// for both endpoints), logging errors to a capturing provider.
/// </summary>
internal sealed class QueryServiceFactory(string dataRoot, IReadOnlyDictionary<string, string>? settings = null, Action<IServiceCollection>? services = null) : WebApplicationFactory<DeepEverest.QueryService.QueryServiceHost>
{
    public CapturingLoggerProvider Logs { get; } = new();

    /// <summary>The addresses of a Kestrel-hosted factory's endpoints (after <c>UseKestrel()</c> and start).</summary>
    public ServiceEndpoints Endpoints => Services.GetRequiredService<ServiceEndpoints>();

    public GrpcChannel CreateChannel() =>
        GrpcChannel.ForAddress(Server.BaseAddress, new GrpcChannelOptions { HttpHandler = Server.CreateHandler() });

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting("DeepEverest:DataRoot", dataRoot);
        builder.UseSetting("DeepEverest:Kernels", "Cpu");
        builder.UseSetting("Kestrel:Endpoints:Grpc:Url", "http://127.0.0.1:0");
        builder.UseSetting("Kestrel:Endpoints:Http:Url", "http://127.0.0.1:0");
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

[CollectionDefinition(Name)]
public sealed class QueryServiceCollection : ICollectionFixture<QueryServiceFixture>
{
    public const string Name = "QueryService";
}
