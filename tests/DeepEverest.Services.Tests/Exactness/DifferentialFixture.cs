using DeepEverest.Core.Datasets;
using DeepEverest.Core.Indexing;
using DeepEverest.Core.Models;
using DeepEverest.Core.Storage;
using DeepEverest.Core.Storage.Records;
using DeepEverest.Kernels;
using DeepEverest.Services.Tests.Infrastructure;
using DeepEverest.Services.Tests.QueryService;
using Grpc.Net.Client;

namespace DeepEverest.Services.Tests.Exactness;

/// <summary>
/// The data the differential test queries, served by the QueryService in memory, and its
/// reference activations. By default a small data root built here: the demo model, the first
/// <see cref="SmallInputs"/> Fashion-MNIST test images with labels, indexes on three layers (two
/// with channel summaries, banded and one segment per channel, one without, with different
/// partitions and ratios), one layer materialized, one left unindexed. With
/// <c>DEEPEVEREST_EXACTNESS_DATA</c> set to a data root (e.g. <c>make demo</c>'s ./data), that root
/// instead, read-only: its indexed and materialized layers of one model and dataset.
/// </summary>
public sealed class DifferentialFixture : IAsyncLifetime
{
    /// <summary>Inputs of the small data root.</summary>
    public const int SmallInputs = 600;

    private const string Model = "demo";
    private const string Dataset = "fm";

    private static readonly (string Layer, int Partitions, double Ratio)[] _indexes =
    [
        ("/block2/block2.5/Relu_output_0", 8, 0.05),
        ("/block3/block3.2/Relu_output_0", 16, 0.01),
        ("/block4/block4.2/Relu_output_0", 4, 0.02),
    ];

    private const string MaterializedLayer = "/block4/block4.2/Relu_output_0";
    private const string UnindexedLayer = "/classifier/classifier.2/Relu_output_0";

    private StoreReader? _store;
    private QueryServiceFactory? _factory;
    private GrpcChannel? _channel;
    private bool _ownsRoot;

    /// <summary>The data root served.</summary>
    public string DataRoot { get; private set; } = "";

    /// <summary>Whether the data root is an external one (DEEPEVEREST_EXACTNESS_DATA).</summary>
    public bool External { get; private set; }

    internal RequestSpace Space { get; private set; } = null!;

    internal ReferenceActivations Reference { get; private set; } = null!;

    internal Contracts.V1.QueryService.QueryServiceClient Client { get; private set; } = null!;

    public Task InitializeAsync()
    {
        string? external = Environment.GetEnvironmentVariable("DEEPEVEREST_EXACTNESS_DATA");
        if (!string.IsNullOrEmpty(external))
        {
            External = true;
            DataRoot = Path.GetFullPath(external);
            _store = StoreReader.OpenSecondary(DataRoot);
            Space = DescribeExternal(_store);
        }
        else
        {
            _ownsRoot = true;
            DataRoot = TestData.CreateTempDirectory();
            StoreWriter writer = StoreWriter.OpenPrimary(DataRoot);
            _store = writer;
            Space = BuildSmall(writer, DataRoot);
        }

        Reference = new ReferenceActivations(_store, _store.RequireModel(Space.Model), _store.RequireDataset(Space.Dataset));
        _factory = new QueryServiceFactory(DataRoot);
        _channel = _factory.CreateChannel();
        Client = new Contracts.V1.QueryService.QueryServiceClient(_channel);
        return Task.CompletedTask;
    }

    private static RequestSpace BuildSmall(StoreWriter store, string root)
    {
        ModelCatalog.Register(store, Model, File.ReadAllBytes(Path.Combine(TestData.RepoRoot, "models", "demo", "fashion_vgg.onnx")), replace: false);
        (string images, string labels) = TestData.WriteFashionSlice(root, "slice", SmallInputs);
        var import = new DatasetImportRequest(Dataset, [new DatasetPartPaths(images, labels)], InputPreprocessing.Affine(1f / 255, 0), [1, 28, 28], Replace: false);
        DatasetImport.Import(store, import, (path, field) => global::DeepEverest.Core.DataRoot.OpenRead(root, path, field));
        using IKernels kernels = KernelSelector.Create(new KernelOptions { Backend = KernelBackend.Cpu });
        var builder = new IndexBuilder(store, kernels, new IndexBuildOptions());
        foreach ((string layer, int partitions, double ratio) in _indexes)
        {
            builder.Build(new IndexBuildRequest(Model, Dataset, layer, partitions, ratio), null, CancellationToken.None);
        }

        builder.Materialize(Model, Dataset, MaterializedLayer, 0, null, CancellationToken.None);
        return Describe(store, Model, Dataset, [.. _indexes.Select(i => i.Layer), UnindexedLayer], scanLimit: SmallInputs);
    }

    private static RequestSpace DescribeExternal(StoreReader store)
    {
        string? model = Environment.GetEnvironmentVariable("DEEPEVEREST_EXACTNESS_MODEL");
        string? dataset = Environment.GetEnvironmentVariable("DEEPEVEREST_EXACTNESS_DATASET");
        IndexRecord first = store.ListIndexes().FirstOrDefault(i => (string.IsNullOrEmpty(model) || i.Model == model) && (string.IsNullOrEmpty(dataset) || i.Dataset == dataset))
            ?? throw new InvalidOperationException("DEEPEVEREST_EXACTNESS_DATA holds no index (of DEEPEVEREST_EXACTNESS_MODEL / _DATASET): run `make demo` first.");
        model = first.Model;
        dataset = first.Dataset;
        if (store.RequireModel(model).PreprocessingSha256.Length > 0)
        {
            throw new InvalidOperationException($"model '{model}' has a preprocessing model: the reference reads the stored (composed) model, which the test does not support yet.");
        }

        var layers = store.ListIndexes().Where(i => i.Model == model && i.Dataset == dataset).Select(i => i.Layer)
            .Concat(store.ListMaterializations().Where(m => m.Model == model && m.Dataset == dataset).Select(m => m.Layer))
            .Distinct().Order(StringComparer.Ordinal).ToArray();
        int scanLimit = int.TryParse(Environment.GetEnvironmentVariable("DEEPEVEREST_EXACTNESS_SCAN_LIMIT"), out int limit) ? limit : 2000;
        return Describe(store, model, dataset, layers, scanLimit);
    }

    private static RequestSpace Describe(StoreReader store, string model, string dataset, string[] layers, int scanLimit)
    {
        ModelRecord modelRecord = store.RequireModel(model);
        DatasetRecord datasetRecord = store.RequireDataset(dataset);
        var described = layers.Select(name =>
        {
            LayerEntry entry = modelRecord.Layers.Single(l => l.Name == name);
            IndexRecord? index = store.GetIndex(model, dataset, name);
            return new SpaceLayer(name, [.. entry.Shape], index is not null, index?.Summaries is not null, store.GetMaterialization(model, dataset, name) is not null);
        }).ToList();
        bool onlyOne = store.ListModels().Count == 1 && store.ListDatasets().Count == 1;
        return new RequestSpace(model, dataset, onlyOne, (int)datasetRecord.Count, [.. datasetRecord.InputShape], store.GetLabels(dataset), described, scanLimit);
    }

    public async Task DisposeAsync()
    {
        _channel?.Dispose();
        if (_factory is not null)
        {
            await _factory.DisposeAsync();
        }

        Reference?.Dispose();
        _store?.Dispose();
        if (_ownsRoot)
        {
            TestData.DeleteDirectory(DataRoot);
        }
    }
}

[CollectionDefinition(Name)]
public sealed class DifferentialCollection : ICollectionFixture<DifferentialFixture>
{
    public const string Name = "differential";
}
