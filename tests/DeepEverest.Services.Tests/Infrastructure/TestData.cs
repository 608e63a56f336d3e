using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace DeepEverest.Services.Tests.Infrastructure;

/// <summary>
/// Files the service tests put under a temporary data root: the demo model and small slices of
/// the Fashion-MNIST test set (idx), plus hand-made .npy files for the bad cases.
/// </summary>
internal static class TestData
{
    /// <summary>Fashion-MNIST test images (Debian package dataset-fashion-mnist).</summary>
    public const string FashionImages = "/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz";

    /// <summary>Fashion-MNIST test labels.</summary>
    public const string FashionLabels = "/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz";

    /// <summary>File name of the demo model inside a prepared data root.</summary>
    public const string ModelFile = "fashion_vgg.onnx";

    /// <summary>A 2048-neuron layer: quick to build.</summary>
    public const string SmallLayer = "/block4/block4.5/Relu_output_0";

    /// <summary>Another 2048-neuron layer.</summary>
    public const string SmallLayer2 = "/block4/block4.2/Relu_output_0";

    /// <summary>An 8192-neuron layer: a build of a few thousand inputs takes about a second.</summary>
    public const string BigLayer = "/block2/block2.5/Relu_output_0";

    private static readonly Lazy<byte[]> _images = new(() => Decompress(FashionImages));
    private static readonly Lazy<byte[]> _labels = new(() => Decompress(FashionLabels));

    /// <summary>The repository root (the folder holding models/demo).</summary>
    public static string RepoRoot { get; } = FindRepoRoot();

    /// <summary>Creates an empty temporary directory.</summary>
    public static string CreateTempDirectory()
    {
        string path = Path.Combine(Path.GetTempPath(), "deepeverest-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(path);
        return path;
    }

    /// <summary>Deletes a temporary directory, ignoring failures (a file may still be open).</summary>
    public static void DeleteDirectory(string path)
    {
        try
        {
            Directory.Delete(path, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    /// <summary>Copies the demo model into <paramref name="dataRoot"/> as <see cref="ModelFile"/>.</summary>
    public static void CopyModel(string dataRoot) =>
        File.Copy(Path.Combine(RepoRoot, "models", "demo", "fashion_vgg.onnx"), Path.Combine(dataRoot, ModelFile), overwrite: true);

    /// <summary>
    /// Writes the first <paramref name="count"/> test images and labels as uncompressed idx files
    /// <c>{name}-images.idx</c> and <c>{name}-labels.idx</c>; returns their names (relative to the root).
    /// </summary>
    public static (string Images, string Labels) WriteFashionSlice(string dataRoot, string name, int count)
    {
        byte[] images = _images.Value;
        byte[] labels = _labels.Value;
        int available = (int)BinaryPrimitives.ReadUInt32BigEndian(images.AsSpan(4));
        if (count > available)
        {
            throw new ArgumentOutOfRangeException(nameof(count), $"Only {available} images are available.");
        }

        // idx3: magic, count, rows, cols, then count*rows*cols bytes; idx1: magic, count, bytes.
        byte[] imageSlice = images[..(16 + count * 28 * 28)];
        BinaryPrimitives.WriteUInt32BigEndian(imageSlice.AsSpan(4), (uint)count);
        byte[] labelSlice = labels[..(8 + count)];
        BinaryPrimitives.WriteUInt32BigEndian(labelSlice.AsSpan(4), (uint)count);
        string imageFile = $"{name}-images.idx";
        string labelFile = $"{name}-labels.idx";
        File.WriteAllBytes(Path.Combine(dataRoot, imageFile), imageSlice);
        File.WriteAllBytes(Path.Combine(dataRoot, labelFile), labelSlice);
        return (imageFile, labelFile);
    }

    /// <summary>Writes a float32 .npy file of the given shape filled with small values.</summary>
    public static string WriteFloatNpy(string dataRoot, string fileName, params long[] shape)
    {
        long count = shape.Aggregate(1L, (a, b) => a * b);
        var data = new byte[count * 4];
        for (long i = 0; i < count; i++)
        {
            BinaryPrimitives.WriteSingleLittleEndian(data.AsSpan((int)(i * 4)), (i % 7) / 7f);
        }

        WriteNpy(Path.Combine(dataRoot, fileName), "<f4", shape, data);
        return fileName;
    }

    /// <summary>Writes a .npy file (format 1.0) with a header padded to 64 bytes, as NumPy does.</summary>
    public static void WriteNpy(string path, string descr, long[] shape, byte[] data)
    {
        string dims = shape.Length == 1 ? $"{shape[0]}," : string.Join(", ", shape);
        string header = $"{{'descr': '{descr}', 'fortran_order': False, 'shape': ({dims}), }}";
        int total = 10 + header.Length + 1;
        header += new string(' ', (64 - total % 64) % 64) + "\n";
        using var stream = File.Create(path);
        stream.Write([0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0]);
        Span<byte> length = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16LittleEndian(length, (ushort)header.Length);
        stream.Write(length);
        stream.Write(Encoding.Latin1.GetBytes(header));
        stream.Write(data);
    }

    private static byte[] Decompress(string path)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException(
                $"{path} is missing: the service tests use Fashion-MNIST (apt-get install dataset-fashion-mnist).", path);
        }

        using var gz = new GZipStream(File.OpenRead(path), CompressionMode.Decompress);
        using var plain = new MemoryStream();
        gz.CopyTo(plain);
        return plain.ToArray();
    }

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "models", "demo", "fashion_vgg.onnx")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"No models/demo/fashion_vgg.onnx above {AppContext.BaseDirectory}.");
    }
}
