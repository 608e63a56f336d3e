using DeepEverest.Contracts.V1;
using DeepEverest.Core.Tests.Datasets;
using DeepEverest.Core.Onnx.Proto;
using DeepEverest.Services.Tests.Infrastructure;
using Google.Protobuf;
using Grpc.Core;

namespace DeepEverest.Services.Tests.IndexService;

/// <summary>
/// Imports with progress, links that stay inside the data root, and models registered with a
/// preprocessing model, through the IndexService API.
/// </summary>
[Collection(IndexServiceCollection.Name)]
public sealed class IngestWorkflowTests(IndexServiceFixture fixture)
{
    [Fact]
    public async Task ImportDatasetWithProgress_FileOfSeveralBlocks_StreamsMonotoneProgressEndingWithTheDataset()
    {
        // 800 inputs of 3 x 32 x 32 float32: 9.4 MiB, three 4 MiB blocks.
        const int inputs = 800;
        var data = new byte[inputs * 3 * 32 * 32 * 4];
        for (int i = 0; i < data.Length / 4; i++)
        {
            BitConverter.TryWriteBytes(data.AsSpan(4 * i), (i % 97) / 97f);
        }

        await File.WriteAllBytesAsync(Path.Combine(fixture.DataRoot, "progress.npy"), TestArrays.Npy(TestArrays.NpyHeader("<f4", inputs, 3, 32, 32), data));
        var request = new ImportDatasetRequest { Name = "progress", Parts = { new DatasetPart { InputsPath = "progress.npy" } } };

        using AsyncServerStreamingCall<ImportProgress> call = fixture.Client.ImportDatasetWithProgress(request);
        var messages = new List<ImportProgress>();
        await foreach (ImportProgress message in call.ResponseStream.ReadAllAsync().WithCancellation(CancellationToken.None))
        {
            messages.Add(message);
        }

        ImportProgress last = messages[^1];
        Assert.Equal(inputs, last.Dataset.Count);
        Assert.Equal([3L, 32, 32], last.Dataset.InputShape);
        Assert.Equal(ElementType.Float32, last.Dataset.ElementType);
        Assert.Equal(last.BytesTotal, last.BytesDone);
        Assert.Equal(new FileInfo(Path.Combine(fixture.DataRoot, "progress.npy")).Length, last.BytesTotal);
        Assert.All(messages, m => Assert.Equal(inputs, m.InputsTotal));
        Assert.True(messages.Zip(messages.Skip(1)).All(p => p.First.BytesDone <= p.Second.BytesDone && p.First.InputsDone <= p.Second.InputsDone));
        Assert.All(messages.SkipLast(1), m => Assert.Null(m.Dataset));
        Assert.Contains(fixture.Client.ListDatasets(new ListDatasetsRequest()).Datasets, d => d.Name == "progress");
    }

    [Fact]
    public async Task ImportDataset_ThroughLinksThatStayInside_ImportsAndKeepsPreprocessing()
    {
        string linked = Path.Combine(fixture.DataRoot, "linked");
        Directory.CreateDirectory(linked);
        File.CreateSymbolicLink(Path.Combine(linked, "images"), Path.Combine(fixture.DataRoot, "fashion1k-images.idx"));
        Directory.CreateSymbolicLink(Path.Combine(fixture.DataRoot, "alias"), "linked");
        var request = new ImportDatasetRequest
        {
            Name = "linked",
            Parts = { new DatasetPart { InputsPath = "alias/images", LabelsPath = Path.Combine(fixture.DataRoot, "fashion1k-labels.idx") } },
            Preprocessing = new Preprocessing { Scale = 1f / 255, Mean = { 0.286f }, Std = { 0.353f } },
        };

        DatasetInfo info = await fixture.Client.ImportDatasetAsync(request).ResponseAsync.DefaultTimeout();

        Assert.Equal(IndexServiceFixture.DatasetSize, info.Count);
        Assert.Equal([0.286f], info.Preprocessing.Mean);
        Assert.Equal([0.353f], info.Preprocessing.Std);
        Assert.True(info.HasLabels);
    }

    [Fact]
    public async Task ImportDataset_WithLabelNames_ListsThemAndRefusesThemWithoutLabels()
    {
        var request = new ImportDatasetRequest
        {
            Name = "named",
            Parts = { new DatasetPart { InputsPath = "fashion1k-images.idx", LabelsPath = "fashion1k-labels.idx" } },
            LabelNames = { [0] = "T-shirt/top", [9] = "Ankle boot", [42] = "not in the data" },
        };

        DatasetInfo info = await fixture.Client.ImportDatasetAsync(request).ResponseAsync.DefaultTimeout();

        Assert.Equal("Ankle boot", info.LabelNames[9]);
        DatasetInfo listed = Assert.Single(fixture.Client.ListDatasets(new ListDatasetsRequest()).Datasets, d => d.Name == "named");
        Assert.Equal(request.LabelNames, listed.LabelNames);

        var unlabelled = new ImportDatasetRequest
        {
            Name = "named-unlabelled",
            Parts = { new DatasetPart { InputsPath = "fashion1k-images.idx" } },
            LabelNames = { [0] = "T-shirt/top" },
        };
        RpcException refused = await Assert.ThrowsAsync<RpcException>(() => fixture.Client.ImportDatasetAsync(unlabelled).ResponseAsync.DefaultTimeout());
        Assert.Equal(StatusCode.InvalidArgument, refused.StatusCode);
        Assert.StartsWith("label_names needs labels", refused.Status.Detail);

        var control = new ImportDatasetRequest
        {
            Name = "named-control",
            Parts = { new DatasetPart { InputsPath = "fashion1k-images.idx", LabelsPath = "fashion1k-labels.idx" } },
            LabelNames = { [3] = "Dress\n" },
        };
        refused = await Assert.ThrowsAsync<RpcException>(() => fixture.Client.ImportDatasetAsync(control).ResponseAsync.DefaultTimeout());
        Assert.Equal(StatusCode.InvalidArgument, refused.StatusCode);
        Assert.StartsWith("label_names[3] must be 1-128 characters", refused.Status.Detail);
        Assert.DoesNotContain(fixture.Client.ListDatasets(new ListDatasetsRequest()).Datasets, d => d.Name.StartsWith("named-", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AddModelAndUploadModel_WithPreprocessing_ComposeTheSameModelWithTheModelsLayers()
    {
        byte[] preprocessing = ScaleModel();
        await File.WriteAllBytesAsync(Path.Combine(fixture.DataRoot, "scale.onnx"), preprocessing);

        ModelInfo added = await fixture.Client.AddModelAsync(new AddModelRequest { Name = "vgg-pre", Path = TestData.ModelFile, PreprocessingPath = "scale.onnx" }).ResponseAsync.DefaultTimeout();
        ModelInfo again = await fixture.Client.AddModelAsync(new AddModelRequest { Name = "vgg-pre", Path = TestData.ModelFile, PreprocessingPath = "scale.onnx", Replace = true }).ResponseAsync.DefaultTimeout();
        ModelInfo uploaded = await UploadAsync("vgg-pre-upload", await File.ReadAllBytesAsync(Path.Combine(fixture.DataRoot, TestData.ModelFile)), preprocessing);

        Assert.Equal(fixture.Model.Sha256, added.SourceSha256);
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(preprocessing)), added.PreprocessingSha256);
        Assert.NotEqual(fixture.Model.Sha256, added.Sha256);
        Assert.Equal(added.Sha256, again.Sha256);
        Assert.Equal(added.Sha256, uploaded.Sha256);
        Assert.Equal("pixels", added.InputName);
        Assert.Equal(fixture.Model.LayerCount, added.LayerCount);
        ListLayersResponse layers = await fixture.Client.ListLayersAsync(new ListLayersRequest { Model = "vgg-pre" }).ResponseAsync.DefaultTimeout();
        ListLayersResponse plain = await fixture.Client.ListLayersAsync(new ListLayersRequest { Model = IndexServiceFixture.ModelName }).ResponseAsync.DefaultTimeout();
        Assert.Equal(plain.Layers.Select(l => l.Name), layers.Layers.Select(l => l.Name));
        Assert.Empty(fixture.Factory.Logs.Errors);
    }

    private async Task<ModelInfo> UploadAsync(string name, byte[] model, byte[] preprocessing)
    {
        using AsyncClientStreamingCall<UploadModelChunk, ModelInfo> call = fixture.Client.UploadModel();

        // Interleaved chunks of both files.
        await call.RequestStream.WriteAsync(new UploadModelChunk { Name = name, Data = ByteString.CopyFrom(model, 0, model.Length / 2), PreprocessingData = ByteString.CopyFrom(preprocessing, 0, 10) });
        await call.RequestStream.WriteAsync(new UploadModelChunk { PreprocessingData = ByteString.CopyFrom(preprocessing, 10, preprocessing.Length - 10) });
        await call.RequestStream.WriteAsync(new UploadModelChunk { Data = ByteString.CopyFrom(model, model.Length / 2, model.Length - (model.Length / 2)) });
        await call.RequestStream.CompleteAsync();
        return await call.ResponseAsync.DefaultTimeout();
    }

    /// <summary>pixels [batch, 1, 28, 28] (0..255) -> pixels * (1/255): the demo model's input.</summary>
    private static byte[] ScaleModel()
    {
        var graph = new GraphProto { Name = "scale" };
        var shape = new TensorShapeProto();
        shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimParam = "batch" });
        foreach (long d in new long[] { 1, 28, 28 })
        {
            shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = d });
        }

        graph.Input.Add(new ValueInfoProto { Name = "pixels", Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float, Shape = shape } } });
        graph.Output.Add(new ValueInfoProto { Name = "input" });
        var scale = new TensorProto { Name = "scale", DataType = (int)TensorProto.Types.DataType.Float };
        scale.FloatData.Add(1f / 255);
        graph.Initializer.Add(scale);
        graph.Node.Add(new NodeProto { OpType = "Mul", Input = { "pixels", "scale" }, Output = { "input" } });
        var model = new ModelProto { IrVersion = 7, Graph = graph };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 13 });
        return model.ToByteArray();
    }
}
