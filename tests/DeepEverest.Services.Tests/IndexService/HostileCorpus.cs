using System.Buffers.Binary;
using System.Diagnostics;
using System.Text;
using DeepEverest.Contracts.V1;
using DeepEverest.Core.Tests.Datasets;
using DeepEverest.Core.Onnx.Proto;
using DeepEverest.Services.Tests.Infrastructure;
using Google.Protobuf;
using Grpc.Core;
using IndexClient = DeepEverest.Contracts.V1.IndexService.IndexServiceClient;

namespace DeepEverest.Services.Tests.IndexService;

/// <summary>One hostile request: what it does, and the status and message fragment it must get.</summary>
/// <param name="Code">Expected status.</param>
/// <param name="Fragment">A stable part of the expected message (usually the field name).</param>
/// <param name="Act">Writes what the request needs under the data root, then makes the call.</param>
internal sealed record HostileCase(StatusCode Code, string Fragment, Func<HostileContext, Task> Act);

/// <summary>What a hostile case can use: the client and the data root.</summary>
internal sealed class HostileContext(IndexClient client, string dataRoot)
{
    public IndexClient Client { get; } = client;

    public string DataRoot { get; } = dataRoot;

    /// <summary>Writes a file under the data root (a fresh name per case) and returns its relative path.</summary>
    public string Write(string name, byte[] bytes)
    {
        string path = Path.Combine("hostile", name);
        Directory.CreateDirectory(Path.Combine(DataRoot, "hostile"));
        File.WriteAllBytes(Path.Combine(DataRoot, path), bytes);
        return path;
    }

    /// <summary>Creates a symbolic link under the data root and returns its relative path.</summary>
    public string Link(string name, string target)
    {
        string path = Path.Combine("hostile", name);
        Directory.CreateDirectory(Path.Combine(DataRoot, "hostile"));
        string full = Path.Combine(DataRoot, path);
        if (!File.Exists(full) && !Directory.Exists(full) && new FileInfo(full).LinkTarget is null)
        {
            File.CreateSymbolicLink(full, target);
        }

        return path;
    }

    /// <summary>Creates a named pipe under the data root and returns its relative path.</summary>
    public string Fifo(string name)
    {
        string path = Path.Combine("hostile", name);
        Directory.CreateDirectory(Path.Combine(DataRoot, "hostile"));
        if (!File.Exists(Path.Combine(DataRoot, path)))
        {
            using Process mkfifo = Process.Start("mkfifo", Path.Combine(DataRoot, path))!;
            mkfifo.WaitForExit();
        }

        return path;
    }

    public Task ImportAsync(string name, string inputs, string? labels = null, Action<ImportDatasetRequest>? edit = null)
    {
        var request = new ImportDatasetRequest { Name = name };
        request.Parts.Add(new DatasetPart { InputsPath = inputs, LabelsPath = labels ?? "" });
        edit?.Invoke(request);
        return Client.ImportDatasetAsync(request).ResponseAsync;
    }

    public Task AddModelAsync(string name, string path, string preprocessing = "") =>
        Client.AddModelAsync(new AddModelRequest { Name = name, Path = path, PreprocessingPath = preprocessing }).ResponseAsync;

    public async Task UploadAsync(params UploadModelChunk[] chunks)
    {
        using AsyncClientStreamingCall<UploadModelChunk, ModelInfo> call = Client.UploadModel();
        try
        {
            foreach (UploadModelChunk chunk in chunks)
            {
                await call.RequestStream.WriteAsync(chunk);
            }

            await call.RequestStream.CompleteAsync();
        }
        catch (Exception e) when (e is RpcException or InvalidOperationException)
        {
            // The service may end the call while chunks are still being sent; its status is in the response.
        }

        await call.ResponseAsync;
    }

    public Task BuildAsync(Action<BuildIndexRequest> edit)
    {
        var request = new BuildIndexRequest { Layer = IndexServiceFixture.Layer(TestData.SmallLayer) };
        edit(request);
        return Client.BuildAsync(request);
    }
}

/// <summary>
/// The hostile requests the IndexService must refuse cleanly (issue 13): path tricks, malformed
/// and lying file headers, sizes that overflow, bad names and numbers, unknown objects. Each is
/// run by <see cref="HostileRequestTests"/>, which checks the status, the message, that nothing
/// changed in the store and that the service keeps serving.
/// </summary>
internal static class HostileCorpus
{
    private const StatusCode Invalid = StatusCode.InvalidArgument;

    public static readonly IReadOnlyDictionary<string, HostileCase> Cases = new Dictionary<string, HostileCase>
    {
        // Paths: confinement to the data root.
        ["model-path-dotdot"] = new(Invalid, "outside the data root", c => c.AddModelAsync("m", "../../etc/passwd")),
        ["model-path-absolute-outside"] = new(Invalid, "outside the data root", c => c.AddModelAsync("m", "/etc/passwd")),
        ["model-path-absolute-missing-outside"] = new(Invalid, "outside the data root", c => c.AddModelAsync("m", "/etc/no-such-file.onnx")),
        ["model-via-symlinked-dir"] = new(Invalid, "outside the data root", c => c.AddModelAsync("m", c.Link("etc", "/etc") + "/shadow")),
        ["model-via-symlinked-dir-missing"] = new(Invalid, "outside the data root", c => c.AddModelAsync("m", c.Link("etc", "/etc") + "/no-such-file")),
        ["model-via-relative-link-out"] = new(Invalid, "outside the data root", c => c.AddModelAsync("m", c.Link("up", "../..") + "/etc/passwd")),
        ["model-link-to-proc"] = new(Invalid, "outside the data root", c => c.AddModelAsync("m", c.Link("environ", "/proc/self/environ"))),
        ["dataset-via-symlinked-dir"] = new(Invalid, "parts[0].inputs_path", c => c.ImportAsync("d", c.Link("etc", "/etc") + "/passwd")),
        ["labels-outside"] = new(Invalid, "parts[0].labels_path", c => c.ImportAsync("d", "fashion1k-images.idx", "/etc/passwd")),
        ["preprocessing-outside"] = new(Invalid, "preprocessing_path", c => c.AddModelAsync("m", TestData.ModelFile, "../outside.onnx")),
        ["model-fifo"] = new(Invalid, "not a regular file", c => c.AddModelAsync("m", c.Fifo("model.fifo"))),
        ["dataset-fifo"] = new(Invalid, "not a regular file", c => c.ImportAsync("d", c.Fifo("inputs.fifo"))),
        ["labels-fifo"] = new(Invalid, "not a regular file", c => c.ImportAsync("d", "fashion1k-images.idx", c.Fifo("labels.fifo"))),
        ["dataset-directory"] = new(Invalid, "not a regular file", c => c.ImportAsync("d", "models")),
        ["dataset-data-root-itself"] = new(Invalid, "not a regular file", c => c.ImportAsync("d", ".")),
        ["model-symlink-loop"] = new(Invalid, "symbolic links", c => c.AddModelAsync("m", c.Link("loop", "loop"))),
        ["model-path-nul"] = new(Invalid, "NUL", c => c.AddModelAsync("m", "fashion_vgg.onnx\0../../etc/passwd")),
        ["dataset-path-too-long"] = new(Invalid, "longer than 4096", c => c.ImportAsync("d", string.Join('/', Enumerable.Repeat("abcdefgh", 600)))),
        ["dataset-component-too-long"] = new(Invalid, "longer than 255", c => c.ImportAsync("d", new string('x', 300) + ".npy")),
        ["model-path-empty"] = new(Invalid, "path is required", c => c.AddModelAsync("m", "")),
        ["model-missing"] = new(StatusCode.NotFound, "no file 'nope.onnx' under the data root", c => c.AddModelAsync("m", "nope.onnx")),
        ["dataset-missing"] = new(StatusCode.NotFound, "parts[0].inputs_path", c => c.ImportAsync("d", "nope.npy")),

        // Names.
        ["model-name-empty"] = new(Invalid, "model name", c => c.AddModelAsync("", TestData.ModelFile)),
        ["model-name-unicode"] = new(Invalid, "model name", c => c.AddModelAsync("modèle", TestData.ModelFile)),
        ["model-name-slash"] = new(Invalid, "model name", c => c.AddModelAsync("a/b", TestData.ModelFile)),
        ["model-name-too-long"] = new(Invalid, "model name", c => c.AddModelAsync(new string('m', 65), TestData.ModelFile)),
        ["dataset-name-separator"] = new(Invalid, "dataset name", c => c.ImportAsync("a\u001fb", "fashion1k-images.idx")),
        ["dataset-name-emoji"] = new(Invalid, "dataset name", c => c.ImportAsync("data🙂", "fashion1k-images.idx")),
        ["dataset-duplicate"] = new(StatusCode.AlreadyExists, IndexServiceFixture.DatasetName, c => c.ImportAsync(IndexServiceFixture.DatasetName, "fashion1k-images.idx")),
        ["model-duplicate"] = new(StatusCode.AlreadyExists, IndexServiceFixture.ModelName, c => c.AddModelAsync(IndexServiceFixture.ModelName, TestData.ModelFile)),

        // File headers and sizes.
        ["npy-shape-abc"] = new(Invalid, "'abc'", c => c.ImportAsync("d", c.Write("abc.npy", TestArrays.Npy("{'descr': '|u1', 'fortran_order': False, 'shape': (abc, 28), }", [])))),
        ["npy-dtype-huge"] = new(Invalid, "dtype (descr)", c => c.ImportAsync("d", c.Write("dtype.npy", TestArrays.Npy("{'descr': '<i99999999999', 'fortran_order': False, 'shape': (3,), }", [])))),
        ["npy-v2-header-length"] = new(Invalid, "header length", c => c.ImportAsync("d", c.Write("v2.npy", NpyV2HugeHeader()))),
        ["npy-truncated"] = new(Invalid, "truncated", c => c.ImportAsync("d", c.Write("short.npy", TestArrays.Npy(TestArrays.NpyHeader("|u1", 10, 28, 28), new byte[100])))),
        ["npy-more-data"] = new(Invalid, "more than the", c => c.ImportAsync("d", c.Write("long.npy", TestArrays.Npy(TestArrays.NpyHeader("|u1", 1, 28, 28), new byte[785])))),
        ["npy-shape-overflow"] = new(Invalid, "64 bits", c => c.ImportAsync("d", c.Write("overflow.npy", TestArrays.Npy(TestArrays.NpyHeader("<f4", 4294967296, 4294967296, 4), [])))),
        ["npy-fortran"] = new(Invalid, "Fortran", c => c.ImportAsync("d", c.Write("fortran.npy", TestArrays.Npy("{'descr': '|u1', 'fortran_order': True, 'shape': (1, 4), }", new byte[4])))),
        ["idx-dims-overflow"] = new(Invalid, "64 bits", c => c.ImportAsync("d", c.Write("overflow.idx", TestArrays.Idx(0x08, [uint.MaxValue, uint.MaxValue, uint.MaxValue], [])))),
        ["idx-unknown-type"] = new(Invalid, "element type 0x42", c => c.ImportAsync("d", c.Write("type.idx", TestArrays.Idx(0x42, [1, 4], new byte[4])))),
        ["not-an-array-file"] = new(Invalid, "magic", c => c.ImportAsync("d", TestData.ModelFile)),
        ["gzip-bomb"] = new(StatusCode.ResourceExhausted, "DeepEverest:MaxDecompressedMb", c => c.ImportAsync("d", c.Write("bomb.idx.gz", Bomb()))),
        ["gzip-lying-header"] = new(Invalid, "more data than", c => c.ImportAsync("d", c.Write("lying.idx.gz", TestArrays.Gzip(TestArrays.Idx(0x08, [1, 28, 28], new byte[1 << 22]))))),
        ["gzip-corrupt"] = new(Invalid, "gzip", c => c.ImportAsync("d", c.Write("corrupt.idx.gz", CorruptGzip()))),
        ["input-shape-wraps"] = new(Invalid, "input_shape", c => c.ImportAsync("d", "fashion1k-images.idx", edit: r => r.InputShape.AddRange([4294967296, 4294967296, 784]))),
        ["input-shape-negative"] = new(Invalid, "input_shape", c => c.ImportAsync("d", "fashion1k-images.idx", edit: r => r.InputShape.AddRange([-1, -784]))),
        ["input-shape-mismatch"] = new(Invalid, "input_shape", c => c.ImportAsync("d", "fashion1k-images.idx", edit: r => r.InputShape.AddRange([3, 28, 28]))),
        ["labels-int64-out-of-range"] = new(Invalid, "[0, 2^31 - 1]", c => c.ImportAsync("d", c.Write("two.npy", TestArrays.Npy(TestArrays.NpyHeader("|u1", 2, 4), new byte[8])), c.Write("big-labels.npy", TestArrays.Npy(TestArrays.NpyHeader("<i8", 2), Int64s(1, 1L << 40))))),
        ["labels-negative"] = new(Invalid, "[0, 2^31 - 1]", c => c.ImportAsync("d", c.Write("two.npy", TestArrays.Npy(TestArrays.NpyHeader("|u1", 2, 4), new byte[8])), c.Write("neg-labels.npy", TestArrays.Npy(TestArrays.NpyHeader("<i8", 2), Int64s(0, -5))))),
        ["labels-count-mismatch"] = new(Invalid, "labels for the", c => c.ImportAsync("d", "fashion1k-images.idx", c.Write("three-labels.npy", TestArrays.Npy(TestArrays.NpyHeader("|u1", 3), [1, 2, 3])))),
        ["labels-not-integers"] = new(Invalid, "integer labels", c => c.ImportAsync("d", "fashion1k-images.idx", c.Write("float-labels.npy", TestArrays.Npy(TestArrays.NpyHeader("<f4", 2), new byte[8])))),
        ["labels-on-some-parts"] = new(Invalid, "every part has labels", c => c.Client.ImportDatasetAsync(new ImportDatasetRequest
        {
            Name = "d",
            Parts = { new DatasetPart { InputsPath = "fashion1k-images.idx", LabelsPath = "fashion1k-labels.idx" }, new DatasetPart { InputsPath = "fashion1k-images.idx" } },
        }).ResponseAsync),
        ["parts-empty"] = new(Invalid, "parts is empty", c => c.Client.ImportDatasetAsync(new ImportDatasetRequest { Name = "d" }).ResponseAsync),
        ["parts-shapes-differ"] = new(Invalid, "same shape", c => c.Client.ImportDatasetAsync(new ImportDatasetRequest
        {
            Name = "d",
            Parts = { new DatasetPart { InputsPath = "fashion1k-images.idx" }, new DatasetPart { InputsPath = c.Write("other.npy", TestArrays.Npy(TestArrays.NpyHeader("|u1", 1, 27, 28), new byte[27 * 28])) } },
        }).ResponseAsync),
        ["inputs-nan"] = new(Invalid, "not finite", c => c.ImportAsync("d", c.Write("nan.npy", TestArrays.Npy(TestArrays.NpyHeader("<f4", 2, 2), Floats(1, 2, float.NaN, 4))))),
        ["inputs-are-labels"] = new(Invalid, "labels?", c => c.ImportAsync("d", "fashion1k-labels.idx")),
        ["inputs-int16"] = new(Invalid, "inputs must be uint8", c => c.ImportAsync("d", c.Write("i2.npy", TestArrays.Npy(TestArrays.NpyHeader("<i2", 2, 2), new byte[8])))),
        ["preprocessing-scale-nan"] = new(Invalid, "preprocessing.scale", c => c.ImportAsync("d", "fashion1k-images.idx", edit: r => r.Preprocessing = new Preprocessing { Scale = float.NaN })),
        ["preprocessing-shift-infinite"] = new(Invalid, "preprocessing.shift", c => c.ImportAsync("d", "fashion1k-images.idx", edit: r => r.Preprocessing = new Preprocessing { Shift = float.PositiveInfinity })),
        ["preprocessing-std-zero"] = new(Invalid, "preprocessing.std[0]", c => c.ImportAsync("d", "fashion1k-images.idx", edit: r => r.Preprocessing = new Preprocessing { Std = { 0 } })),
        ["preprocessing-mean-count"] = new(Invalid, "preprocessing.mean has 3 values", c => c.ImportAsync("d", "fashion1k-images.idx", edit: r =>
        {
            r.InputShape.AddRange([1, 28, 28]);
            r.Preprocessing = new Preprocessing { Mean = { 0.485f, 0.456f, 0.406f } };
        })),

        // Models.
        ["model-input-dims-overflow"] = new(Invalid, "dimensions of input", c => c.AddModelAsync("m", c.Write("dims.onnx", HugeInputModel()))),
        ["model-random-bytes"] = new(Invalid, "not a valid ONNX model", c => c.AddModelAsync("m", c.Write("random.onnx", RandomBytes(4096)))),
        ["model-empty-file"] = new(Invalid, "empty", c => c.AddModelAsync("m", c.Write("empty.onnx", []))),
        ["preprocessing-random-bytes"] = new(Invalid, "preprocessing:", c => c.AddModelAsync("m", TestData.ModelFile, c.Write("pre-random.onnx", RandomBytes(4096)))),
        ["preprocessing-wrong-shape"] = new(Invalid, "preprocessing:", c => c.AddModelAsync("m", TestData.ModelFile, c.Write("pre-shape.onnx", PreprocessingModel([1, 14, 56])))),
        ["preprocessing-opset-mismatch"] = new(Invalid, "opset", c => c.AddModelAsync("m", TestData.ModelFile, c.Write("pre-opset.onnx", PreprocessingModel([1, 28, 28], opset: 11)))),
        ["upload-no-chunks"] = new(Invalid, "no chunks", c => c.UploadAsync()),
        ["upload-bad-name"] = new(Invalid, "model name", c => c.UploadAsync(new UploadModelChunk { Name = "../x", Data = ByteString.CopyFrom(1, 2, 3) })),
        ["upload-random-bytes"] = new(Invalid, "not a valid ONNX model", c => c.UploadAsync(new UploadModelChunk { Name = "m", Data = ByteString.CopyFrom(RandomBytes(4096)) })),
        ["upload-over-limit"] = new(StatusCode.ResourceExhausted, "DeepEverest:MaxUploadMb", c => c.UploadAsync(
            new UploadModelChunk { Name = "m", Data = ByteString.CopyFrom(new byte[1 << 20]) },
            new UploadModelChunk { Data = ByteString.CopyFrom(new byte[1 << 20]) },
            new UploadModelChunk { PreprocessingData = ByteString.CopyFrom(new byte[1 << 20]) })),

        // Builds and catalog queries.
        ["build-memory-budget-overflow"] = new(Invalid, "memory_budget_mb", c => c.BuildAsync(r => r.MemoryBudgetMb = long.MaxValue)),
        ["build-memory-budget-negative"] = new(Invalid, "memory_budget_mb", c => c.BuildAsync(r => r.MemoryBudgetMb = -1)),
        ["build-batch-size-huge"] = new(Invalid, "batch_size", c => c.BuildAsync(r => r.BatchSize = int.MaxValue)),
        ["build-partitions-huge"] = new(Invalid, "partitions", c => c.BuildAsync(r => r.Partitions = uint.MaxValue)),
        ["build-ratio-nan"] = new(Invalid, "ratio", c => c.BuildAsync(r => r.Ratio = double.NaN)),
        ["build-storage-budget-nan"] = new(Invalid, "storage budget", c => c.BuildAsync(r => r.StorageBudget = double.NaN)),
        ["build-storage-budget-negative"] = new(Invalid, "storage budget", c => c.BuildAsync(r => r.StorageBudget = -0.5)),
        ["build-unknown-dataset"] = new(StatusCode.NotFound, "No dataset 'nope'", c => c.BuildAsync(r => r.Layer.Dataset = "nope")),
        ["build-unknown-model"] = new(StatusCode.NotFound, "No model 'nope'", c => c.BuildAsync(r => r.Layer.Model = "nope")),
        ["build-unicode-layer"] = new(StatusCode.NotFound, "has no layer", c => c.BuildAsync(r => r.Layer.Layer = "/block4/ßlock\u0000")),
        ["describe-missing-index"] = new(StatusCode.NotFound, "BuildIndex builds one", c => c.Client.DescribeIndexAsync(new DescribeIndexRequest { Layer = IndexServiceFixture.Layer("/block3/block3.5/Relu_output_0") }).ResponseAsync),
        ["delete-missing-index"] = new(StatusCode.NotFound, "/block3/block3.5/Relu_output_0", c => c.Client.DeleteIndexAsync(new DeleteIndexRequest { Layer = IndexServiceFixture.Layer("/block3/block3.5/Relu_output_0") }).ResponseAsync),
        ["layers-unknown-model"] = new(StatusCode.NotFound, "No model 'nope'", c => c.Client.ListLayersAsync(new ListLayersRequest { Model = "nope" }).ResponseAsync),
        ["layers-no-model"] = new(Invalid, "model is empty", c => c.Client.ListLayersAsync(new ListLayersRequest()).ResponseAsync),
    };

    private static readonly Lazy<byte[]> _bomb = new(() => TestArrays.Gzip(TestArrays.Idx(0x08, [200, 1024, 1024], new byte[200 << 20])));

    /// <summary>About 200 KB of gzip that inflates to 200 MiB of zero images.</summary>
    private static byte[] Bomb() => _bomb.Value;

    private static byte[] NpyV2HugeHeader()
    {
        byte[] v1 = TestArrays.Npy(TestArrays.NpyHeader("<f4", 1), new byte[4]);
        var bytes = new byte[v1.Length + 2];
        new byte[] { 0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 2, 0 }.CopyTo(bytes, 0);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(8), 0xFFFFFFF0);
        v1.AsSpan(10).CopyTo(bytes.AsSpan(12));
        return bytes;
    }

    private static byte[] CorruptGzip()
    {
        byte[] gz = TestArrays.Gzip(TestArrays.Idx(0x08, [4, 28, 28], Enumerable.Range(0, 4 * 784).Select(i => (byte)(i * 7)).ToArray()));
        for (int i = 12; i < gz.Length - 8; i += 3)
        {
            gz[i] ^= 0x5A;
        }

        return gz;
    }

    private static byte[] Int64s(params long[] values) => [.. values.SelectMany(BitConverter.GetBytes)];

    private static byte[] Floats(params float[] values) => [.. values.SelectMany(BitConverter.GetBytes)];

    private static byte[] RandomBytes(int count)
    {
        var bytes = new byte[count];
        new Random(42).NextBytes(bytes);
        return bytes;
    }

    /// <summary>A model whose input is [batch, 2^40, 2^40]: its element count overflows 64 bits.</summary>
    private static byte[] HugeInputModel()
    {
        var graph = new GraphProto { Name = "huge" };
        graph.Input.Add(Tensor("x", "batch", 1L << 40, 1L << 40));
        graph.Output.Add(Tensor("y", "batch", 1L << 40, 1L << 40));
        graph.Node.Add(new NodeProto { OpType = "Relu", Input = { "x" }, Output = { "y" } });
        var model = new ModelProto { IrVersion = 7, Graph = graph };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 13 });
        return model.ToByteArray();
    }

    /// <summary>Multiplies its input by 1/255: input [batch, ..shape], output the same shape.</summary>
    private static byte[] PreprocessingModel(long[] shape, int opset = 13)
    {
        var graph = new GraphProto { Name = "pre" };
        graph.Input.Add(Tensor("pixels", ["batch", .. shape.Cast<object>()]));
        graph.Output.Add(new ValueInfoProto { Name = "scaled" });
        var scale = new TensorProto { Name = "scale", DataType = (int)TensorProto.Types.DataType.Float };
        scale.FloatData.Add(1f / 255);
        graph.Initializer.Add(scale);
        graph.Node.Add(new NodeProto { OpType = "Mul", Input = { "pixels", "scale" }, Output = { "scaled" } });
        var model = new ModelProto { IrVersion = 7, Graph = graph };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = opset });
        return model.ToByteArray();
    }

    private static ValueInfoProto Tensor(string name, params object[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (object dim in dims)
        {
            shape.Dim.Add(dim is string symbol ? new TensorShapeProto.Types.Dimension { DimParam = symbol } : new TensorShapeProto.Types.Dimension { DimValue = (long)dim });
        }

        return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float, Shape = shape } } };
    }
}
