using DeepEverest.Core.Files;

namespace DeepEverest.Core.Datasets;

/// <summary>
/// A whole array file read into memory: the first dimension indexes inputs; data is the stored
/// elements in little-endian order (uint8 or float32). For small local files (tests, the CLI's
/// target tensors, benchmarks); services stream files with <see cref="ArrayFileReader"/>.
/// </summary>
/// <param name="Shape">Full shape; Shape[0] is the number of items.</param>
/// <param name="ElementType">1 = uint8, 2 = float32, 3 = integer labels (decoded into <paramref name="Labels"/>).</param>
/// <param name="Data">Raw elements (uint8 or float32 LE); empty for labels.</param>
/// <param name="Labels">Decoded integer labels, for 1-D label files.</param>
public sealed record RawArray(long[] Shape, int ElementType, byte[] Data, int[]? Labels)
{
    /// <summary>
    /// Reads an idx or .npy file (optionally gzip-compressed) of the local machine: a 1-D integer
    /// array as labels, uint8 or float inputs as stored. At most 2 GiB of data.
    /// </summary>
    public static RawArray Read(string path)
    {
        using ArrayFileReader reader = ArrayFileReader.Open(DataFile.OpenTrusted(path), long.MaxValue);
        ArrayHeader header = reader.Header;
        if (header.Shape.Length == 1 && header.Format.IsInteger)
        {
            int[] labels = reader.ReadLabels(CancellationToken.None);
            reader.EnsureEnd();
            return new RawArray(header.Shape, 3, [], labels);
        }

        if (!header.Format.IsInputType)
        {
            throw DeepEverestException.Invalid($"{reader.What} holds {header.Format} values; inputs must be uint8, float32 or float64.");
        }

        long bytes = header.Items * reader.StoredItemBytes;
        if (bytes > Array.MaxLength)
        {
            throw DeepEverestException.Invalid($"{reader.What} holds {bytes} bytes of inputs; read files over 2 GiB with ArrayFileReader.");
        }

        var data = new byte[bytes];
        int items = reader.ReadItems(data, CancellationToken.None);
        reader.EnsureEnd();
        return items == header.Items
            ? new RawArray(header.Shape, header.Format == ElementFormat.UInt8 ? 1 : 2, data, null)
            : throw new InvalidOperationException("A whole file did not fit its own buffer.");
    }
}
