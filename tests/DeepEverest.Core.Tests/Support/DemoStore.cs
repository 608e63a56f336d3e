using System.Text;
using DeepEverest.Core.Datasets;
using DeepEverest.Core.Files;
using DeepEverest.Core.Indexing;
using DeepEverest.Core.Models;
using DeepEverest.Core.Onnx;
using DeepEverest.Core.Storage;
using DeepEverest.Core.Storage.Records;
using DeepEverest.Core.Tests.Onnx;
using DeepEverest.Kernels;

namespace DeepEverest.Core.Tests.Support;

/// <summary>
/// A temporary store holding the demo model and the first <see cref="Inputs"/> Fashion-MNIST test
/// images (real data, imported from .npy files written here), plus helpers that compute the
/// reference: a layer's activations for every input, taken from the FULL model's outputs.
/// </summary>
public sealed class DemoStore : IDisposable
{
    /// <summary>Inputs in the test dataset.</summary>
    public const int Inputs = 2500;

    /// <summary>Images after the dataset, used as targets that are not in it.</summary>
    public const int OutsideImages = 20;

    public const string Model = "demo";
    public const string Dataset = "fm";

    private readonly Dictionary<string, float[]> _fullActivations = [];

    public DemoStore()
    {
        Root = Path.Combine(Path.GetTempPath(), "deepeverest-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Root);
        Store = StoreWriter.OpenPrimary(Root);
        Kernels = KernelSelector.Create(new KernelOptions { Backend = KernelBackend.Cpu });
        ModelBytes = File.ReadAllBytes(TestPaths.DemoModel);
        ModelFile = OnnxModelFile.Load(ModelBytes);
        ModelCatalog.Register(Store, Model, ModelBytes, replace: false);

        RawArray images = RawArray.Read(Path.Combine(TestPaths.FashionMnistDir, "t10k-images-idx3-ubyte.gz"));
        RawArray labels = RawArray.Read(Path.Combine(TestPaths.FashionMnistDir, "t10k-labels-idx1-ubyte.gz"));
        RawImages = images.Data.AsSpan(0, (Inputs + OutsideImages) * 784).ToArray();
        Labels = labels.Labels![..Inputs];
        string inputsPath = Path.Combine(Root, "inputs.npy");
        string labelsPath = Path.Combine(Root, "labels.npy");
        WriteNpy(inputsPath, "|u1", [Inputs, 1, 28, 28], RawImages.AsSpan(0, Inputs * 784));
        WriteNpy(labelsPath, "|u1", [Inputs], Labels.Select(l => (byte)l).ToArray());
        var request = new DatasetImportRequest(Dataset, [new DatasetPartPaths(inputsPath, labelsPath)], InputPreprocessing.Affine(1f / 255, 0), [1, 28, 28], Replace: false);
        DatasetImport.Import(Store, request, DataFile.OpenTrusted);
    }

    public string Root { get; }

    public StoreWriter Store { get; }

    public IKernels Kernels { get; }

    public byte[] ModelBytes { get; }

    public OnnxModelFile ModelFile { get; }

    /// <summary>uint8 pixels of the dataset's images followed by <see cref="OutsideImages"/> more.</summary>
    public byte[] RawImages { get; }

    public int[] Labels { get; }

    /// <summary>Model input (pixel / 255) of image i of <see cref="RawImages"/>.</summary>
    public float[] Image(int i) => RawImages.AsSpan(i * 784, 784).ToArray().Select(b => b * (1f / 255)).ToArray();

    /// <summary>Builds (or rebuilds) an index with the default kernels.</summary>
    public IndexRecord BuildIndex(string layer, int partitions, double ratio, long memoryBudgetMb = 0) =>
        new IndexBuilder(Store, Kernels, new IndexBuildOptions()).Build(
            new IndexBuildRequest(Model, Dataset, layer, partitions, ratio, MemoryBudgetMb: memoryBudgetMb), null, CancellationToken.None);

    /// <summary>
    /// The layer's activations of every dataset input (Inputs x neurons, row-major) followed by the
    /// outside images, read from the full model with the layer added as an output (the reference).
    /// </summary>
    public float[] FullActivations(string layer)
    {
        lock (_fullActivations)
        {
            if (!_fullActivations.TryGetValue(layer, out float[]? rows))
            {
                int total = Inputs + OutsideImages;
                var inputs = new float[total * 784];
                for (int i = 0; i < inputs.Length; i++)
                {
                    inputs[i] = RawImages[i] * (1f / 255);
                }

                var parts = new List<float[]>();
                const int Batch = 500;
                for (int start = 0; start < total; start += Batch)
                {
                    int count = Math.Min(Batch, total - start);
                    parts.Add(OnnxTestModels.FullModelTensor(ModelFile, layer, inputs.AsSpan(start * 784, count * 784).ToArray(), count));
                }

                rows = [.. parts.SelectMany(p => p)];
                _fullActivations[layer] = rows;
            }

            return rows;
        }
    }

    internal static void WriteNpy(string path, string descr, long[] shape, ReadOnlySpan<byte> data)
    {
        string dims = shape.Length == 1 ? $"{shape[0]}," : string.Join(", ", shape);
        string header = $"{{'descr': '{descr}', 'fortran_order': False, 'shape': ({dims}), }}";
        int total = 10 + header.Length + 1;
        header = header.PadRight(header.Length + (64 - total % 64) % 64) + "\n";
        using var file = File.Create(path);
        file.Write([0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0]);
        file.Write(BitConverter.GetBytes((ushort)header.Length));
        file.Write(Encoding.Latin1.GetBytes(header));
        file.Write(data);
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

[CollectionDefinition(Name)]
public sealed class DemoStoreCollection : ICollectionFixture<DemoStore>
{
    public const string Name = "demo store";
}
