using System.Buffers.Binary;
using System.Text;
using System.Text.RegularExpressions;

namespace DeepEverest.Core.Datasets;

/// <summary>
/// Reads NumPy .npy files (format versions 1-3, C order) of uint8 or float32 inputs, or 1-D integer
/// labels. The header is a tiny Python dict literal; only its three documented keys are read.
/// </summary>
public static partial class NpyReader
{
    /// <summary>Reads a .npy file.</summary>
    public static RawArray Read(string path)
    {
        byte[] bytes = File.ReadAllBytes(path);
        string name = Path.GetFileName(path);
        ReadOnlySpan<byte> magic = [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];
        if (bytes.Length < 10 || !bytes.AsSpan(0, 6).SequenceEqual(magic))
        {
            throw DeepEverestException.Invalid($"{name} is not a .npy file (bad magic).");
        }

        int major = bytes[6];
        int headerLength = major == 1 ? BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(8)) : (int)BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(8));
        int headerStart = major == 1 ? 10 : 12;
        if (bytes.Length < headerStart + headerLength)
        {
            throw DeepEverestException.Invalid($"{name}: truncated .npy header.");
        }

        string header = Encoding.Latin1.GetString(bytes, headerStart, headerLength);
        Match descr = DescrPattern().Match(header);
        Match fortran = FortranPattern().Match(header);
        Match shapeMatch = ShapePattern().Match(header);
        if (!descr.Success || !fortran.Success || !shapeMatch.Success)
        {
            throw DeepEverestException.Invalid($"{name}: unreadable .npy header '{header.Trim()}'.");
        }

        if (fortran.Groups[1].Value == "True")
        {
            throw DeepEverestException.Invalid($"{name}: Fortran-ordered arrays are not supported; save with np.ascontiguousarray.");
        }

        long[] shape = shapeMatch.Groups[1].Value
            .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(long.Parse)
            .ToArray();
        if (shape.Length == 0)
        {
            throw DeepEverestException.Invalid($"{name}: a scalar array holds no inputs.");
        }

        long count = shape.Aggregate(1L, (a, b) => a * b);
        string type = descr.Groups[1].Value;
        int elementSize = type.Length >= 3 ? int.Parse(type[2..]) : 0;
        ReadOnlySpan<byte> data = bytes.AsSpan(headerStart + headerLength);
        if (data.Length != count * elementSize)
        {
            throw DeepEverestException.Invalid($"{name}: expected {count * elementSize} data bytes for shape [{string.Join(", ", shape)}], found {data.Length}.");
        }

        bool bigEndian = type[0] == '>';
        char kind = type[1];
        if (shape.Length == 1 && kind is 'i' or 'u')
        {
            var labels = new int[count];
            for (int i = 0; i < count; i++)
            {
                ReadOnlySpan<byte> e = data.Slice(i * elementSize, elementSize);
                labels[i] = elementSize switch
                {
                    1 => kind == 'u' ? e[0] : (sbyte)e[0],
                    2 => bigEndian ? BinaryPrimitives.ReadInt16BigEndian(e) : BinaryPrimitives.ReadInt16LittleEndian(e),
                    4 => bigEndian ? BinaryPrimitives.ReadInt32BigEndian(e) : BinaryPrimitives.ReadInt32LittleEndian(e),
                    8 => checked((int)(bigEndian ? BinaryPrimitives.ReadInt64BigEndian(e) : BinaryPrimitives.ReadInt64LittleEndian(e))),
                    _ => throw DeepEverestException.Invalid($"{name}: unsupported label type {type}."),
                };
            }

            return new RawArray(shape, 3, [], labels);
        }

        if (type is "|u1" or "<u1" or ">u1")
        {
            return new RawArray(shape, 1, data.ToArray(), null);
        }

        if (type is "<f4" or ">f4")
        {
            byte[] floats = data.ToArray();
            if (bigEndian)
            {
                for (int i = 0; i < floats.Length; i += 4)
                {
                    Array.Reverse(floats, i, 4);
                }
            }

            return new RawArray(shape, 2, floats, null);
        }

        throw DeepEverestException.Invalid($"{name}: inputs must be uint8 or float32, found dtype '{type}'.");
    }

    [GeneratedRegex(@"'descr'\s*:\s*'([<>|=][a-z]\d+)'")]
    private static partial Regex DescrPattern();

    [GeneratedRegex(@"'fortran_order'\s*:\s*(True|False)")]
    private static partial Regex FortranPattern();

    [GeneratedRegex(@"'shape'\s*:\s*\(([^)]*)\)")]
    private static partial Regex ShapePattern();
}
