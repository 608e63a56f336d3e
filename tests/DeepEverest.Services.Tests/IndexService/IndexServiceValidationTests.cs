using DeepEverest.Contracts.V1;
using DeepEverest.Services.Tests.Infrastructure;
using Google.Protobuf;
using Grpc.Core;

namespace DeepEverest.Services.Tests.IndexService;

/// <summary>
/// Bad input is refused with the right status, writes nothing (the listings do not change), logs
/// no error, and the service keeps serving.
/// </summary>
[Collection(IndexServiceCollection.Name)]
public sealed class IndexServiceValidationTests(IndexServiceFixture fixture)
{
    private Contracts.V1.IndexService.IndexServiceClient Client => fixture.Client;

    [Fact]
    public async Task AddModel_RandomBytes_InvalidArgument()
    {
        var random = new byte[64 * 1024];
        new Random(42).NextBytes(random);
        await File.WriteAllBytesAsync(Path.Combine(fixture.DataRoot, "random.onnx"), random);

        await AssertRefusedAsync(StatusCode.InvalidArgument, () => Client.AddModelAsync(new AddModelRequest { Name = "random", Path = "random.onnx" }).ResponseAsync);
    }

    [Fact]
    public async Task AddModel_TruncatedModel_InvalidArgument()
    {
        byte[] model = await File.ReadAllBytesAsync(Path.Combine(fixture.DataRoot, TestData.ModelFile));
        await File.WriteAllBytesAsync(Path.Combine(fixture.DataRoot, "truncated.onnx"), model[..(model.Length / 2)]);

        await AssertRefusedAsync(StatusCode.InvalidArgument, () => Client.AddModelAsync(new AddModelRequest { Name = "truncated", Path = "truncated.onnx" }).ResponseAsync);
    }

    [Theory]
    [InlineData("../../etc/passwd")]
    [InlineData("/etc/passwd")]
    public async Task AddModel_PathOutsideDataRoot_InvalidArgument(string path)
    {
        await AssertRefusedAsync(StatusCode.InvalidArgument, () => Client.AddModelAsync(new AddModelRequest { Name = "outside", Path = path }).ResponseAsync);
    }

    [Theory]
    [InlineData("../../etc/passwd")]
    [InlineData("/etc/passwd")]
    public async Task ImportDataset_PathOutsideDataRoot_InvalidArgument(string path)
    {
        var request = new ImportDatasetRequest { Name = "outside" };
        request.Parts.Add(new DatasetPart { InputsPath = path });

        await AssertRefusedAsync(StatusCode.InvalidArgument, () => Client.ImportDatasetAsync(request).ResponseAsync);
    }

    [Fact]
    public async Task ImportDataset_EmptyNpy_InvalidArgument()
    {
        TestData.WriteNpy(Path.Combine(fixture.DataRoot, "empty.npy"), "|u1", [0, 1, 28, 28], []);
        var request = new ImportDatasetRequest { Name = "empty" };
        request.Parts.Add(new DatasetPart { InputsPath = "empty.npy" });

        await AssertRefusedAsync(StatusCode.InvalidArgument, () => Client.ImportDatasetAsync(request).ResponseAsync);
    }

    [Fact]
    public async Task ImportDataset_ExistingName_AlreadyExists()
    {
        var request = new ImportDatasetRequest { Name = IndexServiceFixture.DatasetName };
        request.Parts.Add(new DatasetPart { InputsPath = TestData.WriteFloatNpy(fixture.DataRoot, "again.npy", 3, 1, 28, 28) });

        await AssertRefusedAsync(StatusCode.AlreadyExists, () => Client.ImportDatasetAsync(request).ResponseAsync);
    }

    [Fact]
    public async Task AddModel_ExistingNameWithoutReplace_AlreadyExists()
    {
        await AssertRefusedAsync(StatusCode.AlreadyExists, () => Client.AddModelAsync(new AddModelRequest { Name = IndexServiceFixture.ModelName, Path = TestData.ModelFile }).ResponseAsync);
    }

    [Fact]
    public async Task AddModel_ReplaceModelThatHasAnIndex_FailedPrecondition()
    {
        await Client.AddModelAsync(new AddModelRequest { Name = "vgg-indexed", Path = TestData.ModelFile }).ResponseAsync.DefaultTimeout();
        var layer = new LayerRef { Model = "vgg-indexed", Dataset = IndexServiceFixture.DatasetName, Layer = TestData.SmallLayer };
        await Client.BuildAsync(new BuildIndexRequest { Layer = layer });

        // The very same file again is a no-op, even with indexes; another network is refused.
        ModelInfo same = await Client.AddModelAsync(new AddModelRequest { Name = "vgg-indexed", Path = TestData.ModelFile, Replace = true }).ResponseAsync.DefaultTimeout();
        Assert.Equal(fixture.Model.Sha256, same.Sha256);
        File.Copy(Path.Combine(TestData.RepoRoot, "tests", "fixtures", "models", "mlp.onnx"), Path.Combine(fixture.DataRoot, "other.onnx"), overwrite: true);
        await AssertRefusedAsync(StatusCode.FailedPrecondition, () => Client.AddModelAsync(new AddModelRequest { Name = "vgg-indexed", Path = "other.onnx", Replace = true }).ResponseAsync);

        await Client.DeleteIndexAsync(new DeleteIndexRequest { Layer = layer }).ResponseAsync.DefaultTimeout();
        ModelInfo replaced = await Client.AddModelAsync(new AddModelRequest { Name = "vgg-indexed", Path = "other.onnx", Replace = true }).ResponseAsync.DefaultTimeout();
        Assert.NotEqual(fixture.Model.Sha256, replaced.Sha256);
    }

    [Fact]
    public async Task UploadModel_LargerThanLimit_ResourceExhausted()
    {
        await AssertRefusedAsync(StatusCode.ResourceExhausted, async () =>
        {
            using AsyncClientStreamingCall<UploadModelChunk, ModelInfo> call = Client.UploadModel();
            try
            {
                for (int i = 0; i < 3; i++)
                {
                    await call.RequestStream.WriteAsync(new UploadModelChunk { Name = "huge", Data = ByteString.CopyFrom(new byte[1 << 20]) });
                }

                await call.RequestStream.CompleteAsync();
            }
            catch (RpcException)
            {
                // The service may end the call while chunks are still being sent; its status
                // is in the response.
            }
            catch (InvalidOperationException)
            {
                // Writing after the call has completed.
            }

            await call.ResponseAsync;
        });
    }

    [Fact]
    public async Task BuildIndex_UnknownLayer_NotFound()
    {
        await AssertBuildRefusedAsync(StatusCode.NotFound, new BuildIndexRequest { Layer = IndexServiceFixture.Layer("/no/such/layer") });
    }

    [Fact]
    public async Task BuildIndex_UnknownModel_NotFoundNamingTheKnownOnes()
    {
        var request = new BuildIndexRequest { Layer = new LayerRef { Model = "nope", Dataset = IndexServiceFixture.DatasetName, Layer = TestData.SmallLayer } };

        RpcException error = await Assert.ThrowsAsync<RpcException>(() => Client.BuildAsync(request));

        Assert.Equal(StatusCode.NotFound, error.StatusCode);
        Assert.Contains(IndexServiceFixture.ModelName, error.Status.Detail, StringComparison.Ordinal);
    }

    // An empty model or dataset means the only registered one (CatalogDefaults, tested with the
    // QueryService's contract tests); the layer itself is always required.
    [Fact]
    public async Task BuildIndex_MissingLayerName_InvalidArgument()
    {
        await AssertBuildRefusedAsync(StatusCode.InvalidArgument, new BuildIndexRequest { Layer = new LayerRef { Model = IndexServiceFixture.ModelName, Dataset = IndexServiceFixture.DatasetName, Layer = "" } });
    }

    [Fact]
    public async Task BuildIndex_NoLayerRef_InvalidArgument()
    {
        await AssertBuildRefusedAsync(StatusCode.InvalidArgument, new BuildIndexRequest());
    }

    [Fact]
    public async Task BuildIndex_PartitionsNotPowerOfTwo_InvalidArgument()
    {
        await AssertBuildRefusedAsync(StatusCode.InvalidArgument, new BuildIndexRequest { Layer = IndexServiceFixture.Layer(TestData.SmallLayer), Partitions = 12 });
    }

    [Fact]
    public async Task BuildIndex_RatioAboveHalf_InvalidArgument()
    {
        await AssertBuildRefusedAsync(StatusCode.InvalidArgument, new BuildIndexRequest { Layer = IndexServiceFixture.Layer(TestData.SmallLayer), Ratio = 0.7 });
    }

    [Fact]
    public async Task BuildIndex_NegativeBatchSize_InvalidArgument()
    {
        await AssertBuildRefusedAsync(StatusCode.InvalidArgument, new BuildIndexRequest { Layer = IndexServiceFixture.Layer(TestData.SmallLayer), BatchSize = -1 });
    }

    [Fact]
    public async Task BuildIndex_DatasetShapeDoesNotFitModel_InvalidArgument()
    {
        var import = new ImportDatasetRequest { Name = "flat5" };
        import.Parts.Add(new DatasetPart { InputsPath = TestData.WriteFloatNpy(fixture.DataRoot, "flat5.npy", 10, 5) });
        await Client.ImportDatasetAsync(import).ResponseAsync.DefaultTimeout();
        var layer = new LayerRef { Model = IndexServiceFixture.ModelName, Dataset = "flat5", Layer = TestData.SmallLayer };

        await AssertBuildRefusedAsync(StatusCode.InvalidArgument, new BuildIndexRequest { Layer = layer });
    }

    [Fact]
    public async Task DescribeIndex_NotBuilt_NotFoundSayingHowToBuild()
    {
        var request = new DescribeIndexRequest { Layer = IndexServiceFixture.Layer("/block3/block3.5/Relu_output_0") };

        RpcException error = await Assert.ThrowsAsync<RpcException>(() => Client.DescribeIndexAsync(request).ResponseAsync).DefaultTimeout();

        Assert.Equal(StatusCode.NotFound, error.StatusCode);
        Assert.Contains("IndexService.BuildIndex", error.Status.Detail, StringComparison.Ordinal);
    }

    /// <summary>
    /// Asserts that <paramref name="call"/> fails with <paramref name="expected"/>, that no model,
    /// dataset or index appeared, that no error was logged, and that the next call succeeds.
    /// </summary>
    private async Task AssertRefusedAsync(StatusCode expected, Func<Task> call)
    {
        string before = await SnapshotAsync();

        RpcException error = await Assert.ThrowsAsync<RpcException>(call).DefaultTimeout();

        Assert.Equal(expected, error.StatusCode);
        Assert.False(string.IsNullOrWhiteSpace(error.Status.Detail));
        Assert.Equal(before, await SnapshotAsync());
        Assert.Empty(fixture.Factory.Logs.Errors);
    }

    private Task AssertBuildRefusedAsync(StatusCode expected, BuildIndexRequest request) =>
        AssertRefusedAsync(expected, () => Client.BuildAsync(request));

    /// <summary>Every model, dataset and index, as one string (also proves the service still answers).</summary>
    private async Task<string> SnapshotAsync()
    {
        ListModelsResponse models = await Client.ListModelsAsync(new ListModelsRequest()).ResponseAsync.DefaultTimeout();
        ListDatasetsResponse datasets = await Client.ListDatasetsAsync(new ListDatasetsRequest()).ResponseAsync.DefaultTimeout();
        ListIndexesResponse indexes = await Client.ListIndexesAsync(new ListIndexesRequest()).ResponseAsync.DefaultTimeout();
        string files = string.Join(",", Directory.GetFiles(Path.Combine(fixture.DataRoot, "models")).Order());
        return $"{models}\n{datasets}\n{indexes}\n{files}";
    }
}
