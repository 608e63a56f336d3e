using DeepEverest.Core.Datasets;
using DeepEverest.Core.Files;
using DeepEverest.Core.Indexing;
using DeepEverest.Core.Models;
using DeepEverest.Core.Onnx.Proto;
using DeepEverest.Core.Query;
using DeepEverest.Core.Storage;
using DeepEverest.Core.Storage.Records;
using DeepEverest.Kernels;
using Google.Protobuf;

namespace DeepEverest.Core.Tests.Support;

/// <summary>
/// A small store of its own for tests that replace, rebuild, delete or break things (the shared
/// <see cref="DemoStore"/> must not change under other tests): the demo model and a dataset of
/// real Fashion-MNIST test images, any slice of them, so that a replacement has the same count and
/// shape but other contents.
/// </summary>
public sealed class ScratchStore : IDisposable
{
    public const string Model = "demo";
    public const string Dataset = "fm";
    public const string Layer = "/block4/block4.2/Relu_output_0";

    private static readonly Lazy<byte[]> _images = new(() =>
        RawArray.Read(Path.Combine(TestPaths.FashionMnistDir, "t10k-images-idx3-ubyte.gz")).Data);

    /// <summary>Creates the store under <paramref name="root"/> (a new temporary directory by default) with the model and images [0, inputs).</summary>
    public ScratchStore(int inputs, string? root = null)
    {
        Inputs = inputs;
        Root = root ?? Path.Combine(Path.GetTempPath(), "deepeverest-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Root);
        Store = StoreWriter.OpenPrimary(Root);
        Kernels = KernelSelector.Create(new KernelOptions { Backend = KernelBackend.Cpu });
        ModelBytes = File.ReadAllBytes(TestPaths.DemoModel);
        ModelCatalog.Register(Store, Model, ModelBytes, replace: false);
        Import(offset: 0);
    }

    public string Root { get; }

    public int Inputs { get; }

    public StoreWriter Store { get; private set; }

    public IKernels Kernels { get; }

    public byte[] ModelBytes { get; }

    /// <summary>Imports test images [offset, offset + Inputs) as the dataset (replacing it when it exists).</summary>
    public DatasetRecord Import(int offset, StoreWriter? store = null)
    {
        store ??= Store;
        string path = Path.Combine(Root, $"images-{Guid.NewGuid():N}.npy");
        DemoStore.WriteNpy(path, "|u1", [Inputs, 1, 28, 28], _images.Value.AsSpan(offset * 784, Inputs * 784));
        try
        {
            var request = new DatasetImportRequest(Dataset, [new DatasetPartPaths(path, null)], InputPreprocessing.Affine(1f / 255, 0), [1, 28, 28], Replace: true);
            return DatasetImport.Import(store, request, DataFile.OpenTrusted);
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>The demo model with another producer name: another file (and hash), the same layers.</summary>
    public byte[] ModelVariant()
    {
        ModelProto model = ModelProto.Parser.ParseFrom(ModelBytes);
        model.ProducerName += "-variant";
        return model.ToByteArray();
    }

    public IndexBuilder Builder(IndexBuildOptions? options = null) => new(Store, Kernels, options ?? new IndexBuildOptions());

    public IndexRecord BuildIndex(string layer = Layer) =>
        Builder().Build(new IndexBuildRequest(Model, Dataset, layer), null, CancellationToken.None);

    /// <summary>A top-k similarity query on <paramref name="layer"/> around a dataset input.</summary>
    public static TopKQuery Similar(int target, QueryStrategy strategy = QueryStrategy.Bounds, string layer = Layer, int k = 10) =>
        new(Model, Dataset, layer, QueryType.Similar, new QueryTarget(target, null), new GroupSpec.TopOfTarget(3), k, ScoreKind.L2, [], false, QueryFilter.None, strategy, BatchSize: 16);

    /// <summary>The final answer's (id, score) pairs.</summary>
    public static (int Id, double Score)[] Answer(IEnumerable<TopKUpdateInfo> updates)
    {
        TopKUpdateInfo last = updates.Last();
        Assert.True(last.Done);
        return last.Hits.Select(h => (h.InputId, h.Score)).ToArray();
    }

    /// <summary>Closes and reopens the primary (a restart of the IndexService).</summary>
    public void Reopen()
    {
        Store.Dispose();
        Store = StoreWriter.OpenPrimary(Root);
    }

    public void Dispose()
    {
        Kernels.Dispose();
        Store.Dispose();
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
