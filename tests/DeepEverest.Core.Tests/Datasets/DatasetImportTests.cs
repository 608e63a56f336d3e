using System.Buffers.Binary;
using DeepEverest.Core.Datasets;
using DeepEverest.Core.Files;
using DeepEverest.Core.Storage;
using DeepEverest.Core.Storage.Records;

namespace DeepEverest.Core.Tests.Datasets;

/// <summary>
/// Streaming imports: files larger than one block are read a block at a time with progress, the
/// stored inputs equal the file's, and a failed or cancelled import leaves no trace in the store.
/// </summary>
public sealed class DatasetImportTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "deepeverest-tests", Guid.NewGuid().ToString("N"));
    private readonly StoreWriter _store;

    public DatasetImportTests()
    {
        Directory.CreateDirectory(_root);
        _store = StoreWriter.OpenPrimary(_root);
    }

    public void Dispose()
    {
        _store.Dispose();
        Directory.Delete(_root, recursive: true);
    }

    [Fact]
    public void Import_FileOfSeveralBlocks_StreamsWithMonotoneProgressAndStoresEveryInput()
    {
        // 3 x 64 x 64 float32 = 48 KiB per input: 300 inputs make four blocks.
        const int inputs = 300;
        const int elements = 3 * 64 * 64;
        var data = new byte[inputs * elements * 4];
        for (int i = 0; i < inputs * elements; i++)
        {
            BinaryPrimitives.WriteSingleLittleEndian(data.AsSpan(4 * i), (i % 251) - 125.5f);
        }

        Write("big.npy", TestArrays.Npy(TestArrays.NpyHeader("<f4", inputs, 3, 64, 64), data));
        Write("labels.npy", TestArrays.Npy(TestArrays.NpyHeader("<i8", inputs), [.. Enumerable.Range(0, inputs).SelectMany(i => BitConverter.GetBytes((long)(i % 10)))]));
        var reports = new List<DatasetImportProgress>();

        DatasetRecord record = DatasetImport.Import(_store, Request("big", new DatasetPartPaths("big.npy", "labels.npy")), Open, progress: new Collect(reports));

        Assert.Equal(inputs, record.Count);
        Assert.True(reports.Count >= 4, $"{reports.Count} progress reports");
        Assert.Equal(inputs, reports[^1].InputsDone);
        Assert.Equal(reports[^1].BytesTotal, reports[^1].BytesDone);
        Assert.True(reports.Zip(reports.Skip(1)).All(p => p.First.InputsDone <= p.Second.InputsDone && p.First.BytesDone <= p.Second.BytesDone));
        var row = new float[elements];
        _store.ReadInputs(record, [299], row);
        Assert.Equal((((299 * elements) + 5) % 251) - 125.5f, row[5]);
        Assert.Equal(9, _store.GetLabels("big")![299]);
    }

    [Fact]
    public void Import_SecondPartTruncated_LeavesNoTrace()
    {
        Write("a.npy", TestArrays.Npy(TestArrays.NpyHeader("|u1", 4, 2), new byte[8]));
        byte[] full = TestArrays.Gzip(TestArrays.Npy(TestArrays.NpyHeader("|u1", 4, 2), new byte[8]));
        Write("b.npy.gz", full[..(full.Length - 12)]);

        var e = Assert.Throws<DeepEverestException>(() =>
            DatasetImport.Import(_store, Request("broken", new DatasetPartPaths("a.npy", null), new DatasetPartPaths("b.npy.gz", null)), Open));

        Assert.Equal(ErrorKind.InvalidArgument, e.Kind);
        AssertNoTrace();
    }

    [Fact]
    public void Import_Cancelled_LeavesNoTrace()
    {
        Write("a.npy", TestArrays.Npy(TestArrays.NpyHeader("|u1", 4, 2), new byte[8]));
        using var cts = new CancellationTokenSource();
        using DatasetImport import = DatasetImport.Prepare(_store, Request("cancelled", new DatasetPartPaths("a.npy", null)), Open, long.MaxValue, cts.Token);
        cts.Cancel();

        Assert.ThrowsAny<OperationCanceledException>(() => import.Run(null, cts.Token));
        import.Dispose();

        AssertNoTrace();
    }

    [Fact]
    public void Import_CancelledBetweenBlocks_StopsAndLeavesNoTrace()
    {
        // Two 4 MiB blocks of uint8 inputs; the call is cancelled when the first block is written.
        Write("two-blocks.npy", TestArrays.Npy(TestArrays.NpyHeader("|u1", 2, 4 << 20), new byte[8 << 20]));
        using var cts = new CancellationTokenSource();
        var cancelOnFirstBlock = new CancelOnProgress(cts, afterInputs: 1);

        Assert.ThrowsAny<OperationCanceledException>(() =>
            DatasetImport.Import(_store, Request("cancelled", new DatasetPartPaths("two-blocks.npy", null)), Open, progress: cancelOnFirstBlock, cancellationToken: cts.Token));

        Assert.Equal(1, cancelOnFirstBlock.InputsSeen);
        AssertNoTrace();
    }

    [Theory]
    [InlineData(new long[] { 4294967296, 4294967296, 4 }, "input_shape")]
    [InlineData(new long[] { 3037000500, 3037000500 }, "input_shape")]
    [InlineData(new long[] { -2, -4 }, "input_shape")]
    [InlineData(new long[] { 0, 8 }, "input_shape")]
    [InlineData(new long[] { 3, 3 }, "holds 9 elements")]
    public void Prepare_BadInputShape_InvalidArgumentAndNoTrace(long[] shape, string fragment)
    {
        Write("a.npy", TestArrays.Npy(TestArrays.NpyHeader("|u1", 4, 8), new byte[32]));
        var request = Request("shape", new DatasetPartPaths("a.npy", null)) with { InputShape = shape };

        var e = Assert.Throws<DeepEverestException>(() => DatasetImport.Import(_store, request, Open));

        Assert.Equal(ErrorKind.InvalidArgument, e.Kind);
        Assert.Contains(fragment, e.Message, StringComparison.Ordinal);
        AssertNoTrace();
    }

    [Theory]
    [InlineData(new float[] { 1, 2 }, new float[0], "preprocessing.mean has 2 values")]
    [InlineData(new float[0], new float[] { 1, 0, 1 }, "preprocessing.std[1]")]
    [InlineData(new float[] { float.NaN }, new float[0], "preprocessing.mean[0]")]
    public void Prepare_BadMeanOrStd_InvalidArgumentNamingTheField(float[] mean, float[] std, string fragment)
    {
        Write("rgb.npy", TestArrays.Npy(TestArrays.NpyHeader("|u1", 2, 3, 2, 2), new byte[24]));
        var request = Request("rgb", new DatasetPartPaths("rgb.npy", null)) with { Preprocessing = new InputPreprocessing(1, 0, mean, std) };

        var e = Assert.Throws<DeepEverestException>(() => DatasetImport.Import(_store, request, Open));

        Assert.Contains(fragment, e.Message, StringComparison.Ordinal);
        AssertNoTrace();
    }

    [Fact]
    public void Decode_PerChannelMeanAndStd_EqualsTheDocumentedFormulaBitForBit()
    {
        var rng = new Random(7);
        byte[] pixels = new byte[2 * 3 * 4 * 4];
        rng.NextBytes(pixels);
        Write("rgb.npy", TestArrays.Npy(TestArrays.NpyHeader("|u1", 2, 3, 4, 4), pixels));
        float[] mean = [0.485f, 0.456f, 0.406f];
        float[] std = [0.229f, 0.224f, 0.225f];
        var request = Request("rgb", new DatasetPartPaths("rgb.npy", null)) with { Preprocessing = new InputPreprocessing(1f / 255, 0.25f, mean, std) };
        DatasetRecord record = DatasetImport.Import(_store, request, Open);

        var decoded = new float[2 * 48];
        _store.ReadInputs(record, [0, 1], decoded);

        for (int i = 0; i < decoded.Length; i++)
        {
            int channel = i % 48 / 16;
            float expected = ((pixels[i] * (1f / 255)) + 0.25f - mean[channel]) / std[channel];
            Assert.Equal(BitConverter.SingleToInt32Bits(expected), BitConverter.SingleToInt32Bits(decoded[i]));
        }
    }

    [Fact]
    public void Decode_ScaleAndShiftOnly_UnchangedFromTheAffineFormula()
    {
        Write("g.npy", TestArrays.Npy(TestArrays.NpyHeader("|u1", 1, 4), [0, 1, 128, 255]));
        DatasetRecord record = DatasetImport.Import(_store, Request("g", new DatasetPartPaths("g.npy", null)) with { Preprocessing = InputPreprocessing.Affine(1f / 255, -0.5f) }, Open);
        var decoded = new float[4];

        _store.ReadInputs(record, [0], decoded);

        Assert.Equal([(0 * (1f / 255)) - 0.5f, (1 * (1f / 255)) - 0.5f, (128 * (1f / 255)) - 0.5f, (255 * (1f / 255)) - 0.5f], decoded);
    }

    private static DatasetImportRequest Request(string name, params DatasetPartPaths[] parts) =>
        new(name, parts, InputPreprocessing.None, [], Replace: false);

    private DataFile Open(string path, string field) => DataRoot.OpenRead(_root, path, field);

    private void Write(string name, byte[] bytes) => File.WriteAllBytes(Path.Combine(_root, name), bytes);

    private void AssertNoTrace()
    {
        Assert.Empty(_store.ListDatasets());
        Assert.Empty(_store.ListPending());
        Assert.Equal(0, _store.CountInputRows());
    }

    private sealed class CancelOnProgress(CancellationTokenSource cts, long afterInputs) : IProgress<DatasetImportProgress>
    {
        public long InputsSeen { get; private set; }

        public void Report(DatasetImportProgress value)
        {
            InputsSeen = Math.Max(InputsSeen, value.InputsDone);
            if (value.InputsDone >= afterInputs)
            {
                cts.Cancel();
            }
        }
    }

    private sealed class Collect(List<DatasetImportProgress> reports) : IProgress<DatasetImportProgress>
    {
        public void Report(DatasetImportProgress value) => reports.Add(value);
    }
}
