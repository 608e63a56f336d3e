using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace DeepEverest.Core.Tests.Datasets;

/// <summary>Writes idx and .npy files, well-formed or deliberately broken, for the import tests.</summary>
internal static class TestArrays
{
    /// <summary>A .npy file: magic, version, header length (u16 for 1.x, u32 after), the header dict as given, data.</summary>
    public static byte[] Npy(string header, byte[] data, int major = 1, long? headerLength = null)
    {
        string padded = header;
        int prefix = major == 1 ? 10 : 12;
        int total = prefix + padded.Length + 1;
        padded += new string(' ', (64 - (total % 64)) % 64) + "\n";
        using var stream = new MemoryStream();
        stream.Write([0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', (byte)major, 0]);
        long length = headerLength ?? padded.Length;
        var lengthBytes = new byte[major == 1 ? 2 : 4];
        if (major == 1)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(lengthBytes, (ushort)length);
        }
        else
        {
            BinaryPrimitives.WriteUInt32LittleEndian(lengthBytes, (uint)length);
        }

        stream.Write(lengthBytes);
        stream.Write(Encoding.Latin1.GetBytes(padded));
        stream.Write(data);
        return stream.ToArray();
    }

    /// <summary>The header dict NumPy writes for a C-ordered array.</summary>
    public static string NpyHeader(string descr, params long[] shape)
    {
        string dims = shape.Length == 1 ? $"{shape[0]}," : string.Join(", ", shape);
        return $"{{'descr': '{descr}', 'fortran_order': False, 'shape': ({dims}), }}";
    }

    /// <summary>An idx file: 0, 0, type, dims, each dim as a big-endian u32, then the data as given.</summary>
    public static byte[] Idx(byte type, uint[] shape, byte[] data)
    {
        var header = new byte[4 + (4 * shape.Length)];
        header[2] = type;
        header[3] = (byte)shape.Length;
        for (int d = 0; d < shape.Length; d++)
        {
            BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(4 + (4 * d)), shape[d]);
        }

        return [.. header, .. data];
    }

    /// <summary>Gzip-compresses bytes.</summary>
    public static byte[] Gzip(byte[] bytes)
    {
        using var output = new MemoryStream();
        using (var gz = new GZipStream(output, CompressionLevel.Optimal, leaveOpen: true))
        {
            gz.Write(bytes);
        }

        return output.ToArray();
    }

    /// <summary>Little-endian float32 bytes of the values.</summary>
    public static byte[] Floats(params float[] values)
    {
        var bytes = new byte[values.Length * 4];
        for (int i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(4 * i), values[i]);
        }

        return bytes;
    }
}
