using System.IO.Compression;
using DeepEverest.Core.Datasets;
using DeepEverest.Core.Files;
using DeepEverest.Core.Indexing;
using DeepEverest.Core.Models;
using DeepEverest.Core.Onnx;
using DeepEverest.Core.Query;
using DeepEverest.Core.Storage;
using DeepEverest.Core.Tests.Onnx;
using DeepEverest.Kernels;

namespace DeepEverest.Core.Tests.Support;

/// <summary>
/// One source of real Fashion-MNIST test images in two parts (a plain .npy of images [0, 700) and a
/// gzip-compressed .npy of [700, 1200), labels alike), imported once whole and once as three
/// input-range shards of unequal size, each a store of its own with its own index on
/// <see cref="Layer"/>; plus the reference activations of every image, from the full model.
/// </summary>
public sealed class ShardedStores : IDisposable
{
    public const int Inputs = 1200;
    public const int FirstPart = 700;

    /// <summary>Images after the source, used as targets that no store holds.</summary>
    public const int OutsideImages = 5;

    public const string Model = "demo";
    public const string Dataset = "fm";
    public const string Layer = "/block3/block3.2/Relu_output_0";

    /// <summary>The shards' global ranges: the second spans both parts, the third starts inside the compressed one.</summary>
    public static readonly (int Start, int End)[] Ranges = [(0, 250), (250, 900), (900, 1200)];

    public ShardedStores()
    {
        Root = Path.Combine(Path.GetTempPath(), "deepeverest-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Root);
        Kernels = KernelSelector.Create(new KernelOptions { Backend = KernelBackend.Cpu });
        RawImages = RawArray.Read(Path.Combine(TestPaths.FashionMnistDir, "t10k-images-idx3-ubyte.gz")).Data.AsSpan(0, (Inputs + OutsideImages) * 784).ToArray();
        Labels = RawArray.Read(Path.Combine(TestPaths.FashionMnistDir, "t10k-labels-idx1-ubyte.gz")).Labels![..Inputs];
        byte[] labelBytes = [.. Labels.Select(l => (byte)l)];
        Parts =
        [
            new DatasetPartPaths(Write("a.npy", [FirstPart, 1, 28, 28], RawImages.AsSpan(0, FirstPart * 784), gzip: false), Write("a-labels.npy", [FirstPart], labelBytes.AsSpan(0, FirstPart), gzip: false)),
            new DatasetPartPaths(Write("b.npy.gz", [Inputs - FirstPart, 1, 28, 28], RawImages.AsSpan(FirstPart * 784, (Inputs - FirstPart) * 784), gzip: true), Write("b-labels.npy.gz", [Inputs - FirstPart], labelBytes.AsSpan(FirstPart), gzip: true)),
        ];

        Whole = Open("whole", null);
        Shards = [.. Ranges.Select((r, i) => Open($"shard{i}", ImportSlice.Range(r.Start, r.End)))];
        ModelFile = OnnxModelFile.Load(File.ReadAllBytes(TestPaths.DemoModel));
        var inputs = new float[(Inputs + OutsideImages) * 784];
        for (int i = 0; i < inputs.Length; i++)
        {
            inputs[i] = RawImages[i] * (1f / 255);
        }

        var rows = new List<float>();
        for (int start = 0; start < Inputs + OutsideImages; start += 400)
        {
            int count = Math.Min(400, Inputs + OutsideImages - start);
            rows.AddRange(OnnxTestModels.FullModelTensor(ModelFile, Layer, inputs.AsSpan(start * 784, count * 784).ToArray(), count));
        }

        Activations = [.. rows];
        Neurons = Activations.Length / (Inputs + OutsideImages);
    }

    public string Root { get; }

    public IKernels Kernels { get; }

    public OnnxModelFile ModelFile { get; }

    /// <summary>uint8 pixels of the source's images followed by <see cref="OutsideImages"/> more.</summary>
    public byte[] RawImages { get; }

    public int[] Labels { get; }

    public DatasetPartPaths[] Parts { get; }

    /// <summary>The whole source in one store.</summary>
    public (StoreWriter Store, QueryEngine Engine) Whole { get; }

    /// <summary>The shards of <see cref="Ranges"/>, in order.</summary>
    public (StoreWriter Store, QueryEngine Engine)[] Shards { get; }

    /// <summary>The layer's activations of every image (row-major), from the full model.</summary>
    public float[] Activations { get; }

    public int Neurons { get; }

    /// <summary>The reference activations of image <paramref name="i"/>.</summary>
    public float[] Row(int i) => Activations.AsSpan(i * Neurons, Neurons).ToArray();

    /// <summary>Image <paramref name="i"/> in stored units (pixels 0..255), as a router sends a target.</summary>
    public float[] Stored(int i) => [.. RawImages.AsSpan(i * 784, 784).ToArray().Select(b => (float)b)];

    /// <summary>Opens an empty store with the model and nothing else (for refused imports).</summary>
    public StoreWriter EmptyStore(string name)
    {
        StoreWriter store = StoreWriter.OpenPrimary(Path.Combine(Root, name));
        ModelCatalog.Register(store, Model, File.ReadAllBytes(TestPaths.DemoModel), replace: false);
        return store;
    }

    public static DatasetImportRequest Request(DatasetPartPaths[] parts, ImportSlice? slice) =>
        new(Dataset, parts, InputPreprocessing.Affine(1f / 255, 0), [1, 28, 28], Replace: false, Slice: slice);

    private (StoreWriter, QueryEngine) Open(string name, ImportSlice? slice)
    {
        StoreWriter store = EmptyStore(name);
        DatasetImport.Import(store, Request(Parts, slice), DataFile.OpenTrusted);
        new IndexBuilder(store, Kernels, new IndexBuildOptions()).Build(new IndexBuildRequest(Model, Dataset, Layer), null, CancellationToken.None);
        return (store, new QueryEngine(store, Kernels, new QueryEngineOptions { CacheMb = 16 }));
    }

    private string Write(string name, long[] shape, ReadOnlySpan<byte> data, bool gzip)
    {
        string path = Path.Combine(Root, name);
        string plain = gzip ? path + ".tmp" : path;
        DemoStore.WriteNpy(plain, "|u1", shape, data);
        if (gzip)
        {
            using (FileStream input = File.OpenRead(plain))
            using (FileStream output = File.Create(path))
            using (var zip = new GZipStream(output, CompressionLevel.Fastest))
            {
                input.CopyTo(zip);
            }

            File.Delete(plain);
        }

        return path;
    }

    public void Dispose()
    {
        foreach ((StoreWriter store, QueryEngine engine) in Shards.Append(Whole))
        {
            engine.Dispose();
            store.Dispose();
        }

        Kernels.Dispose();
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
