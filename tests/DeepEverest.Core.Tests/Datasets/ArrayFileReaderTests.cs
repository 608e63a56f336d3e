using System.Buffers.Binary;
using DeepEverest.Core.Datasets;

namespace DeepEverest.Core.Tests.Datasets;

/// <summary>
/// Hostile and well-formed idx / .npy headers: every bad size or field is an InvalidArgument naming
/// the field, never an overflow or an out-of-range exception, and compressed files never inflate
/// past their header or the decompression limit.
/// </summary>
public sealed class ArrayFileReaderTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "deepeverest-tests", Guid.NewGuid().ToString("N"));

    public ArrayFileReaderTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Open_NpyFloat32_ReadsShapeAndValues()
    {
        using ArrayFileReader reader = Open(TestArrays.Npy(TestArrays.NpyHeader("<f4", 2, 3), TestArrays.Floats(1, 2, 3, 4, 5, 6)));
        var buffer = new byte[24];

        int items = reader.ReadItems(buffer, CancellationToken.None);
        reader.EnsureEnd();

        Assert.Equal([2L, 3], reader.Header.Shape);
        Assert.Equal(2, items);
        Assert.Equal(6f, BinaryPrimitives.ReadSingleLittleEndian(buffer.AsSpan(20)));
    }

    [Fact]
    public void Open_BigEndianAndFloat64AndGzip_ConvertedToLittleEndianFloat32()
    {
        byte[] big = new byte[8];
        BinaryPrimitives.WriteSingleBigEndian(big, 1.5f);
        BinaryPrimitives.WriteSingleBigEndian(big.AsSpan(4), -2f);
        byte[] doubles = new byte[16];
        BinaryPrimitives.WriteDoubleLittleEndian(doubles, 0.1);
        BinaryPrimitives.WriteDoubleLittleEndian(doubles.AsSpan(8), 3);

        float[] idx = ReadFloats(TestArrays.Gzip(TestArrays.Idx(0x0D, [2, 1], big)));
        float[] npy = ReadFloats(TestArrays.Gzip(TestArrays.Npy(TestArrays.NpyHeader(">f4", 2), big)));
        float[] f64 = ReadFloats(TestArrays.Npy(TestArrays.NpyHeader("<f8", 2, 1), doubles));

        Assert.Equal([1.5f, -2f], idx);
        Assert.Equal([1.5f, -2f], npy);
        Assert.Equal([0.1f, 3f], f64);
    }

    [Theory]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': (abc, 28), }", "'abc'")]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': (-5, 28), }", "'-5'")]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999, 28), }", "'99999999999999999999'")]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': (1,,2), }", "''")]
    [InlineData("{'descr': '<i99999999999', 'fortran_order': False, 'shape': (3,), }", "dtype (descr)")]
    [InlineData("{'descr': '<c8', 'fortran_order': False, 'shape': (3,), }", "dtype (descr)")]
    [InlineData("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (3,), }", "'descr'")]
    [InlineData("{'fortran_order': False, 'shape': (3,), }", "'descr'")]
    [InlineData("{'descr': '<f4', 'shape': (3,), }", "'fortran_order'")]
    [InlineData("{'descr': '<f4', 'fortran_order': True, 'shape': (3,), }", "Fortran")]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': (), }", "scalar")]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296, 4), }", "64 bits")]
    public void Open_HostileNpyHeader_InvalidArgumentNamingWhatIsWrong(string header, string fragment)
    {
        string message = Refused(TestArrays.Npy(header, []));

        Assert.Contains(fragment, message, StringComparison.Ordinal);
        Assert.StartsWith("parts[0].inputs_path 'file'", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Open_NpyVersion2HeaderLengthHuge_InvalidArgumentBeforeReading()
    {
        string message = Refused(TestArrays.Npy(TestArrays.NpyHeader("<f4", 3), TestArrays.Floats(1, 2, 3), major: 2, headerLength: 0xFFFFFFF0));

        Assert.Contains("header length 4294967280", message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new byte[] { 0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1 }, "header")]
    [InlineData(new byte[] { 0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 9, 0, 0, 0 }, "version 9")]
    [InlineData(new byte[] { 0, 0, 0x08 }, "magic")]
    [InlineData(new byte[] { 0, 0, 0x08, 3, 0, 0 }, "header")]
    [InlineData(new byte[] { 0, 0, 0x42, 1, 0, 0, 0, 1, 7 }, "element type 0x42")]
    [InlineData(new byte[] { 0, 0, 0x08, 0 }, "0 dimensions")]
    [InlineData(new byte[] { (byte)'P', (byte)'K', 3, 4 }, "magic")]
    [InlineData(new byte[] { }, "magic")]
    public void Open_TruncatedOrUnknownHeader_InvalidArgument(byte[] bytes, string fragment)
    {
        Assert.Contains(fragment, Refused(bytes), StringComparison.Ordinal);
    }

    [Fact]
    public void Open_IdxDimensionsOverflow_InvalidArgument()
    {
        string message = Refused(TestArrays.Idx(0x0D, [uint.MaxValue, uint.MaxValue, uint.MaxValue], []));

        Assert.Contains("64 bits", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Open_PlainFileShorterThanDeclared_InvalidArgumentBeforeReading()
    {
        Assert.Contains("holds 3 (truncated?)", Refused(TestArrays.Idx(0x08, [4], new byte[3])), StringComparison.Ordinal);
    }

    [Fact]
    public void Open_PlainFileLongerThanDeclared_InvalidArgumentBeforeReading()
    {
        Assert.Contains("more than the 4 its header declares", Refused(TestArrays.Idx(0x08, [4], new byte[5])), StringComparison.Ordinal);
    }

    [Fact]
    public void ReadItems_TruncatedGzip_InvalidArgument()
    {
        using ArrayFileReader reader = Open(TestArrays.Gzip(TestArrays.Idx(0x08, [10, 4], new byte[20])));

        var e = Assert.Throws<DeepEverestException>(() => reader.ReadItems(new byte[40], CancellationToken.None));

        Assert.Equal(ErrorKind.InvalidArgument, e.Kind);
        Assert.Contains("truncated", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void EnsureEnd_GzipWithMoreDataThanDeclared_InvalidArgumentAfterOneExtraByte()
    {
        using ArrayFileReader reader = Open(TestArrays.Gzip(TestArrays.Idx(0x08, [2, 2], new byte[1 << 20])));
        Assert.Equal(2, reader.ReadItems(new byte[4], CancellationToken.None));

        var e = Assert.Throws<DeepEverestException>(reader.EnsureEnd);

        Assert.Contains("more data than the 4 bytes", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Open_GzipBombOverTheLimit_RefusedFromItsHeaderBeforeInflating()
    {
        // 200 MiB of zeros behind an idx header: about 200 KB compressed.
        byte[] bomb = TestArrays.Gzip(TestArrays.Idx(0x08, [200, 1024, 1024], new byte[200 << 20]));
        Assert.True(bomb.Length < 1 << 20);

        var e = Assert.Throws<DeepEverestException>(() => Open(bomb, maxDecompressedBytes: 64L << 20).Dispose());

        Assert.Equal(ErrorKind.ResourceExhausted, e.Kind);
        Assert.Contains("DeepEverest:MaxDecompressedMb", e.Message, StringComparison.Ordinal);

        // Only the header is inflated: the same file cut after its first 4 KiB is refused alike.
        var cut = Assert.Throws<DeepEverestException>(() => Open(bomb[..4096], maxDecompressedBytes: 64L << 20).Dispose());
        Assert.Equal(ErrorKind.ResourceExhausted, cut.Kind);
    }

    [Fact]
    public void Open_CorruptGzip_InvalidArgument()
    {
        byte[] gz = TestArrays.Gzip(TestArrays.Idx(0x08, [4], [1, 2, 3, 4]));
        gz[12] ^= 0xFF;
        gz[13] ^= 0xFF;

        var e = Assert.Throws<DeepEverestException>(() =>
        {
            using ArrayFileReader reader = Open(gz);
            reader.ReadItems(new byte[4], CancellationToken.None);
            reader.EnsureEnd();
        });

        Assert.Equal(ErrorKind.InvalidArgument, e.Kind);
    }

    [Fact]
    public void ReadItems_NonFiniteFloat_InvalidArgumentNamingTheInput()
    {
        using ArrayFileReader reader = Open(TestArrays.Npy(TestArrays.NpyHeader("<f4", 3, 1), TestArrays.Floats(1, float.NaN, 2)));

        var e = Assert.Throws<DeepEverestException>(() => reader.ReadItems(new byte[12], CancellationToken.None));

        Assert.Contains("input 1", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ReadItems_CancelledToken_Throws()
    {
        using ArrayFileReader reader = Open(TestArrays.Npy(TestArrays.NpyHeader("|u1", 3, 1), [1, 2, 3]));

        Assert.Throws<OperationCanceledException>(() => reader.ReadItems(new byte[3], new CancellationToken(canceled: true)));
    }

    [Theory]
    [InlineData("<i8", 1L << 40, "label 1 is 1099511627776")]
    [InlineData("<i8", -1L, "label 1 is -1")]
    [InlineData("<u8", -1L, "above 2^63")]
    [InlineData("<i4", -7L, "label 1 is -7")]
    public void ReadLabels_OutOfRange_InvalidArgument(string descr, long bad, string fragment)
    {
        int size = descr[2] - '0';
        var data = new byte[3 * size];
        for (int i = 0; i < 3; i++)
        {
            long value = i == 1 ? bad : i;
            if (size == 8)
            {
                BinaryPrimitives.WriteInt64LittleEndian(data.AsSpan(i * 8), value);
            }
            else
            {
                BinaryPrimitives.WriteInt32LittleEndian(data.AsSpan(i * 4), (int)value);
            }
        }

        using ArrayFileReader reader = Open(TestArrays.Npy(TestArrays.NpyHeader(descr, 3), data));
        var e = Assert.Throws<DeepEverestException>(() => reader.ReadLabels(CancellationToken.None));

        Assert.Contains(fragment, e.Message, StringComparison.Ordinal);
        Assert.Contains("[0, 2^31 - 1]", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ReadLabels_EveryIntegerWidth_Decoded()
    {
        Assert.Equal([0, 200, 7], ReadLabels(TestArrays.Npy(TestArrays.NpyHeader("|u1", 3), [0, 200, 7])));
        Assert.Equal([0, 40000, 7], ReadLabels(TestArrays.Npy(TestArrays.NpyHeader("<u2", 3), [0, 0, 0x40, 0x9C, 7, 0])));
        Assert.Equal([1, 2], ReadLabels(TestArrays.Idx(0x0C, [2], [0, 0, 0, 1, 0, 0, 0, 2])));
        Assert.Equal([3, 4], ReadLabels(TestArrays.Npy(TestArrays.NpyHeader(">i8", 2), [0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 4])));
    }

    private int[] ReadLabels(byte[] bytes)
    {
        using ArrayFileReader reader = Open(bytes);
        return reader.ReadLabels(CancellationToken.None);
    }

    private float[] ReadFloats(byte[] bytes)
    {
        using ArrayFileReader reader = Open(bytes);
        var buffer = new byte[reader.Header.Items * reader.StoredItemBytes];
        reader.ReadItems(buffer, CancellationToken.None);
        reader.EnsureEnd();
        return [.. System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(buffer)];
    }

    private ArrayFileReader Open(byte[] bytes, long maxDecompressedBytes = long.MaxValue)
    {
        File.WriteAllBytes(Path.Combine(_dir, "file"), bytes);
        return ArrayFileReader.Open(DataRoot.OpenRead(_dir, "file", "parts[0].inputs_path"), maxDecompressedBytes);
    }

    private string Refused(byte[] bytes)
    {
        var e = Assert.Throws<DeepEverestException>(() => Open(bytes).Dispose());
        Assert.Equal(ErrorKind.InvalidArgument, e.Kind);
        return e.Message;
    }
}
