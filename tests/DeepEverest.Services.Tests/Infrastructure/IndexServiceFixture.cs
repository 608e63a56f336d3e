using DeepEverest.Contracts.V1;
using Grpc.Net.Client;
using IndexClient = DeepEverest.Contracts.V1.IndexService.IndexServiceClient;

namespace DeepEverest.Services.Tests.Infrastructure;

/// <summary>
/// One in-memory IndexService shared by a test collection, with the demo model registered as
/// <see cref="ModelName"/> and the first <see cref="DatasetSize"/> Fashion-MNIST test images
/// imported as <see cref="DatasetName"/>. Tests that publish indexes delete them again.
/// </summary>
public sealed class IndexServiceFixture : IAsyncLifetime
{
    /// <summary>Registered name of the demo model.</summary>
    public const string ModelName = "vgg";

    /// <summary>Imported name of the Fashion-MNIST slice.</summary>
    public const string DatasetName = "fashion1k";

    /// <summary>
    /// Inputs in the dataset: enough that the default index (P = 16, 1% MAI) stays under 20% of
    /// full materialization (partition bounds cost 2P floats per neuron whatever n is).
    /// </summary>
    public const int DatasetSize = 1000;

    private GrpcChannel? _channel;

    /// <summary>The hosted service.</summary>
    internal IndexServiceFactory Factory { get; private set; } = null!;

    /// <summary>A client of it.</summary>
    internal IndexClient Client { get; private set; } = null!;

    /// <summary>The demo model as registered.</summary>
    internal ModelInfo Model { get; private set; } = null!;

    /// <summary>The dataset as imported.</summary>
    internal DatasetInfo Dataset { get; private set; } = null!;

    /// <summary>The data root.</summary>
    internal string DataRoot => Factory.DataRoot;

    /// <inheritdoc />
    public async Task InitializeAsync()
    {
        string root = TestData.CreateTempDirectory();
        TestData.CopyModel(root);
        (string images, string labels) = TestData.WriteFashionSlice(root, "fashion1k", DatasetSize);

        // A 2 MiB upload limit: the 1.7 MB demo model fits, a 3 MiB upload does not; compressed
        // files may inflate to 64 MiB, so a 200 MiB gzip bomb is over the limit.
        Factory = new IndexServiceFactory(root, new Dictionary<string, string>
        {
            ["DeepEverest:MaxUploadMb"] = "2",
            ["DeepEverest:MaxDecompressedMb"] = "64",
        });
        _channel = Factory.CreateChannel();
        Client = new IndexClient(_channel);
        Model = await Client.AddModelAsync(new AddModelRequest { Name = ModelName, Path = TestData.ModelFile }).ResponseAsync.DefaultTimeout();
        var import = new ImportDatasetRequest
        {
            Name = DatasetName,
            Preprocessing = new Preprocessing { Scale = 1f / 255 },
        };
        import.Parts.Add(new DatasetPart { InputsPath = images, LabelsPath = labels });
        import.InputShape.AddRange([1, 28, 28]);
        Dataset = await Client.ImportDatasetAsync(import).ResponseAsync.DefaultTimeout();
    }

    /// <summary>The reference of a layer of the fixture's model over its dataset.</summary>
    internal static LayerRef Layer(string layer) => new() { Model = ModelName, Dataset = DatasetName, Layer = layer };

    /// <inheritdoc />
    public async Task DisposeAsync()
    {
        _channel?.Dispose();
        await Factory.DisposeAsync();
        TestData.DeleteDirectory(Factory.DataRoot);
    }
}

/// <summary>The tests that share one <see cref="IndexServiceFixture"/> (run one after another).</summary>
[CollectionDefinition(Name)]
public sealed class IndexServiceCollection : ICollectionFixture<IndexServiceFixture>
{
    /// <summary>Collection name.</summary>
    public const string Name = "IndexService";
}
