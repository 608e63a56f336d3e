using System.Buffers.Binary;
using System.IO.Compression;

namespace DeepEverest.Core.Tests.Onnx;

/// <summary>Reads the first images of Fashion-MNIST's test set as model inputs (pixels scaled by 1/255).</summary>
internal static class FashionMnistImages
{
    public const int Pixels = 28 * 28;

    /// <summary><paramref name="count"/> images, row-major, <c>count x 784</c> floats in [0, 1].</summary>
    public static float[] ReadTestImages(int count)
    {
        string path = Path.Combine(TestPaths.FashionMnistDir, "t10k-images-idx3-ubyte.gz");
        using var gzip = new GZipStream(File.OpenRead(path), CompressionMode.Decompress);
        Span<byte> header = stackalloc byte[16];
        gzip.ReadExactly(header);

        // idx3: magic 0x00000803, then image count, rows, columns, all big-endian int32.
        Assert.Equal(0x803, BinaryPrimitives.ReadInt32BigEndian(header));
        Assert.True(BinaryPrimitives.ReadInt32BigEndian(header[4..]) >= count);
        Assert.Equal(28, BinaryPrimitives.ReadInt32BigEndian(header[8..]));
        Assert.Equal(28, BinaryPrimitives.ReadInt32BigEndian(header[12..]));

        var pixels = new byte[count * Pixels];
        gzip.ReadExactly(pixels);
        return Array.ConvertAll(pixels, p => p / 255f);
    }
}
