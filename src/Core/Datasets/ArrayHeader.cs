using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace DeepEverest.Core.Datasets;

/// <summary>
/// The header of an array file: idx (MNIST's format: two zero bytes, a type byte, the number of
/// dimensions, each dimension as a big-endian u32, then big-endian data) or NumPy .npy (format
/// 1.0-3.0: magic, version, header length, a Python dict literal with <c>descr</c>,
/// <c>fortran_order</c> and <c>shape</c>, then the data in C order). Every size is checked for
/// overflow; a header that does not parse is refused naming what is wrong.
/// </summary>
/// <param name="Shape">Full shape; Shape[0] is the number of items (inputs or labels).</param>
/// <param name="Format">Element type of the data as stored in the file.</param>
/// <param name="DataBytes">Bytes of data the header declares (product of the shape times the element size).</param>
public sealed partial record ArrayHeader(long[] Shape, ElementFormat Format, long DataBytes)
{
    /// <summary>Largest .npy header accepted (NumPy itself refuses headers above 10,000 bytes by default).</summary>
    public const int MaxNpyHeaderBytes = 65536;

    /// <summary>Items (first dimension).</summary>
    public long Items => Shape[0];

    /// <summary>Elements per item: the product of the dimensions after the first (1 for a 1-D array).</summary>
    public long ItemElements => Shape.Length == 1 ? 1 : Shape.Skip(1).Aggregate(1L, (a, b) => a * b);

    /// <summary>Reads an idx header from <paramref name="stream"/>, which is positioned after the first <paramref name="magic"/> bytes.</summary>
    internal static ArrayHeader ReadIdx(Stream stream, ReadOnlySpan<byte> magic, string what)
    {
        // magic = the 4 bytes already read: 0, 0, type, dimensions.
        ElementFormat format = ElementFormat.FromIdx(magic[2])
            ?? throw DeepEverestException.Invalid($"{what}: unknown idx element type 0x{magic[2]:x2} (known: 0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32, 0x0D float32, 0x0E float64).");
        int dims = magic[3];
        if (dims == 0)
        {
            throw DeepEverestException.Invalid($"{what}: the idx header declares 0 dimensions.");
        }

        var raw = new byte[4 * dims];
        ReadHeaderBytes(stream, raw, what, "idx");
        var shape = new long[dims];
        for (int d = 0; d < dims; d++)
        {
            shape[d] = BinaryPrimitives.ReadUInt32BigEndian(raw.AsSpan(4 * d));
        }

        return Create(shape, format, what);
    }

    /// <summary>Reads a .npy header from <paramref name="stream"/>, positioned after the 6-byte magic.</summary>
    internal static ArrayHeader ReadNpy(Stream stream, string what)
    {
        var version = new byte[2];
        ReadHeaderBytes(stream, version, what, ".npy");
        int major = version[0];
        if (major is < 1 or > 3)
        {
            throw DeepEverestException.Invalid($"{what}: unsupported .npy format version {major}.{version[1]} (1.0-3.0 are read).");
        }

        var lengthBytes = new byte[major == 1 ? 2 : 4];
        ReadHeaderBytes(stream, lengthBytes, what, ".npy");
        long headerLength = major == 1 ? BinaryPrimitives.ReadUInt16LittleEndian(lengthBytes) : BinaryPrimitives.ReadUInt32LittleEndian(lengthBytes);
        if (headerLength > MaxNpyHeaderBytes)
        {
            throw DeepEverestException.Invalid($"{what}: the .npy header length {headerLength} is over the {MaxNpyHeaderBytes} bytes accepted (a corrupt file?).");
        }

        var headerBytes = new byte[headerLength];
        ReadHeaderBytes(stream, headerBytes, what, ".npy");

        // Version 3 headers are UTF-8, earlier ones Latin-1; the keys read here are ASCII either way.
        string header = major == 3 ? Encoding.UTF8.GetString(headerBytes) : Encoding.Latin1.GetString(headerBytes);
        Match descr = DescrPattern().Match(header);
        Match fortran = FortranPattern().Match(header);
        Match shapeMatch = ShapePattern().Match(header);
        if (!descr.Success || !fortran.Success || !shapeMatch.Success)
        {
            string missing = string.Join(", ", new[] { (descr, "'descr'"), (fortran, "'fortran_order'"), (shapeMatch, "'shape'") }.Where(m => !m.Item1.Success).Select(m => m.Item2));
            throw DeepEverestException.Invalid($"{what}: the .npy header has no readable {missing} (header: {Shown(header)}).");
        }

        ElementFormat format = ElementFormat.FromNpy(descr.Groups[1].Value)
            ?? throw DeepEverestException.Invalid(
                $"{what}: unsupported .npy dtype (descr) '{Shown(descr.Groups[1].Value)}'; inputs must be uint8, float32 or float64, labels integers of 1-8 bytes.");
        if (fortran.Groups[1].Value == "True")
        {
            throw DeepEverestException.Invalid($"{what}: Fortran-ordered arrays are not supported; save with np.ascontiguousarray.");
        }

        string[] dims = shapeMatch.Groups[1].Value.Split(',', StringSplitOptions.TrimEntries);
        if (dims.Length > 0 && dims[^1].Length == 0)
        {
            // The trailing comma of a 1-tuple: (5,).
            dims = dims[..^1];
        }

        if (dims.Length == 0)
        {
            throw DeepEverestException.Invalid($"{what}: a scalar array (shape ()) holds no inputs.");
        }

        if (dims.Length > 32)
        {
            throw DeepEverestException.Invalid($"{what}: the .npy shape has {dims.Length} dimensions (NumPy allows 32 at most).");
        }

        var shape = new long[dims.Length];
        for (int d = 0; d < dims.Length; d++)
        {
            if (dims[d].Length == 0 || !dims[d].All(char.IsAsciiDigit) || !long.TryParse(dims[d], NumberStyles.None, CultureInfo.InvariantCulture, out shape[d]))
            {
                throw DeepEverestException.Invalid(
                    $"{what}: the .npy shape '({Shown(shapeMatch.Groups[1].Value)})' has '{Shown(dims[d])}' where a dimension (a non-negative integer) belongs.");
            }
        }

        return Create(shape, format, what);
    }

    private static ArrayHeader Create(long[] shape, ElementFormat format, string what)
    {
        long count = 1;
        long bytes;
        try
        {
            foreach (long dim in shape)
            {
                count = checked(count * dim);
            }

            bytes = checked(count * format.Size);
        }
        catch (OverflowException)
        {
            throw DeepEverestException.Invalid($"{what}: the shape [{string.Join(", ", shape)}] declares more elements than fit in 64 bits (a corrupt header?).");
        }

        return new ArrayHeader(shape, format, bytes);
    }

    private static void ReadHeaderBytes(Stream stream, byte[] buffer, string what, string format)
    {
        if (stream.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false) < buffer.Length)
        {
            throw DeepEverestException.Invalid($"{what}: the file ends inside its {format} header (truncated).");
        }
    }

    private static string Shown(string text)
    {
        string trimmed = text.Trim();
        return trimmed.Length <= 80 ? trimmed : trimmed[..80] + "…";
    }

    [GeneratedRegex(@"'descr'\s*:\s*'([^']*)'")]
    private static partial Regex DescrPattern();

    [GeneratedRegex(@"'fortran_order'\s*:\s*(True|False)")]
    private static partial Regex FortranPattern();

    [GeneratedRegex(@"'shape'\s*:\s*\(([^)]*)\)")]
    private static partial Regex ShapePattern();
}
