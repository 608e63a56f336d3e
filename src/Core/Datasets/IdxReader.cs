using System.Buffers.Binary;
using System.IO.Compression;

namespace DeepEverest.Core.Datasets;

/// <summary>
/// Reads the idx format of MNIST-like datasets (optionally gzip-compressed): two zero bytes, a type
/// byte, the number of dimensions, then each dimension as a big-endian u32, then big-endian data.
/// </summary>
public static class IdxReader
{
    /// <summary>Reads an idx file; 1-D files of integers are returned as labels.</summary>
    public static RawArray Read(string path)
    {
        byte[] bytes = File.ReadAllBytes(path);
        if (bytes.Length >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b)
        {
            using var gz = new GZipStream(new MemoryStream(bytes), CompressionMode.Decompress);
            using var plain = new MemoryStream();
            try
            {
                gz.CopyTo(plain);
            }
            catch (InvalidDataException e)
            {
                throw DeepEverestException.Invalid($"{Path.GetFileName(path)} is not a valid gzip file: {e.Message}");
            }

            bytes = plain.ToArray();
        }

        return Parse(bytes, Path.GetFileName(path));
    }

    private static RawArray Parse(byte[] bytes, string name)
    {
        if (bytes.Length < 4 || bytes[0] != 0 || bytes[1] != 0)
        {
            throw DeepEverestException.Invalid($"{name} is not an idx file (bad magic number).");
        }

        byte type = bytes[2];
        int dims = bytes[3];
        if (dims < 1 || bytes.Length < 4 + 4 * dims)
        {
            throw DeepEverestException.Invalid($"{name}: truncated idx header.");
        }

        var shape = new long[dims];
        long count = 1;
        for (int d = 0; d < dims; d++)
        {
            shape[d] = BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(4 + 4 * d));
            count *= shape[d];
        }

        int elementSize = type switch
        {
            0x08 or 0x09 => 1,
            0x0B => 2,
            0x0C or 0x0D => 4,
            0x0E => 8,
            _ => throw DeepEverestException.Invalid($"{name}: unknown idx element type 0x{type:x2}."),
        };
        int offset = 4 + 4 * dims;
        if (bytes.Length - offset != count * elementSize)
        {
            throw DeepEverestException.Invalid($"{name}: expected {count * elementSize} data bytes for shape [{string.Join(", ", shape)}], found {bytes.Length - offset} (truncated file?).");
        }

        ReadOnlySpan<byte> data = bytes.AsSpan(offset);
        if (dims == 1 && type is 0x08 or 0x09 or 0x0B or 0x0C)
        {
            var labels = new int[count];
            for (int i = 0; i < count; i++)
            {
                labels[i] = type switch
                {
                    0x08 => data[i],
                    0x09 => (sbyte)data[i],
                    0x0B => BinaryPrimitives.ReadInt16BigEndian(data[(2 * i)..]),
                    _ => BinaryPrimitives.ReadInt32BigEndian(data[(4 * i)..]),
                };
            }

            return new RawArray(shape, 3, [], labels);
        }

        switch (type)
        {
            case 0x08:
                return new RawArray(shape, 1, data.ToArray(), null);
            case 0x0D:
                {
                    var floats = new byte[count * 4];
                    for (long i = 0; i < count; i++)
                    {
                        uint bits = BinaryPrimitives.ReadUInt32BigEndian(data[(int)(4 * i)..]);
                        BinaryPrimitives.WriteUInt32LittleEndian(floats.AsSpan((int)(4 * i)), bits);
                    }

                    return new RawArray(shape, 2, floats, null);
                }

            default:
                throw DeepEverestException.Invalid($"{name}: idx inputs must be uint8 (0x08) or float32 (0x0D); found type 0x{type:x2}.");
        }
    }
}
