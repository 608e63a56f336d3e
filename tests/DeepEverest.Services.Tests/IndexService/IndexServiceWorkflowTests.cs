using DeepEverest.Contracts.V1;
using DeepEverest.Services.Tests.Infrastructure;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Health.V1;

namespace DeepEverest.Services.Tests.IndexService;

/// <summary>The IndexService's happy paths, in memory: import, register, list, build, describe, delete.</summary>
[Collection(IndexServiceCollection.Name)]
public sealed class IndexServiceWorkflowTests(IndexServiceFixture fixture)
{
    [Fact]
    public void ImportDataset_IdxWithLabels_ReportsCountShapeAndLabels()
    {
        DatasetInfo dataset = fixture.Dataset;

        Assert.Equal(IndexServiceFixture.DatasetSize, dataset.Count);
        Assert.Equal([1L, 28, 28], dataset.InputShape);
        Assert.Equal(ElementType.Uint8, dataset.ElementType);
        Assert.True(dataset.HasLabels);
        Assert.Equal(Enumerable.Range(0, 10), dataset.Labels);
        Assert.Equal(1f / 255, dataset.Preprocessing.Scale);
        Assert.Equal(IndexServiceFixture.DatasetSize * 28 * 28, dataset.StoredBytes);
    }

    [Fact]
    public async Task ListLayers_DemoModel_ListsReluLayersWithShapes()
    {
        ListLayersResponse response = await fixture.Client.ListLayersAsync(new ListLayersRequest { Model = IndexServiceFixture.ModelName }).ResponseAsync.DefaultTimeout();

        LayerInfo small = Assert.Single(response.Layers, l => l.Name == TestData.SmallLayer);
        Assert.Equal("Relu", small.OpType);
        Assert.Equal([128L, 4, 4], small.Shape);
        Assert.Equal(2048, small.Neurons);
        Assert.Equal(8192, Assert.Single(response.Layers, l => l.Name == TestData.BigLayer).Neurons);
        Assert.Equal(fixture.Model.LayerCount, response.Layers.Count);
        Assert.Equal(response.Layers.OrderBy(l => l.Order).Select(l => l.Name), response.Layers.Select(l => l.Name));
        Assert.Equal([1L, 28, 28], fixture.Model.InputShape);
        Assert.Equal(64, fixture.Model.Sha256.Length);
    }

    [Fact]
    public async Task BuildIndex_SmallLayer_StreamsPhasesInOrderThenDescribeListDelete()
    {
        LayerRef layer = IndexServiceFixture.Layer(TestData.SmallLayer);

        List<BuildProgress> messages = await fixture.Client.BuildAsync(new BuildIndexRequest { Layer = layer });

        BuildPhase[] phases = messages.Select(m => m.Phase).ToArray();
        Assert.Equal(phases.Order(), phases);
        Assert.Contains(BuildPhase.Inference, phases);
        Assert.Contains(BuildPhase.Construction, phases);
        Assert.Contains(BuildPhase.Publishing, phases);
        Assert.Equal(BuildPhase.Done, phases[^1]);
        Assert.Single(phases, p => p == BuildPhase.Done);
        Assert.Contains(messages, m => m.Phase == BuildPhase.Inference && m.InputsDone == IndexServiceFixture.DatasetSize);
        IndexInfo info = messages[^1].Index;
        Assert.Equal(layer, info.Layer);
        Assert.Equal(16u, info.Partitions);
        Assert.Equal(4u, info.BitsPerCode);
        Assert.Equal(0.01, info.Ratio);
        Assert.Equal(10, info.MaiPerNeuron);
        Assert.Equal(IndexServiceFixture.DatasetSize, info.Inputs);
        Assert.Equal(2048, info.Neurons);
        Assert.Equal(IndexServiceFixture.DatasetSize * 2048L * 4, info.FullMaterializationBytes);
        Assert.Equal((double)info.IndexBytes / info.FullMaterializationBytes, info.StorageFraction, 12);
        Assert.InRange(info.StorageFraction, 0.05, 0.2);
        Assert.False(info.Materialized);
        Assert.False(string.IsNullOrEmpty(info.KernelBackend));

        IndexInfo described = await fixture.Client.DescribeIndexAsync(new DescribeIndexRequest { Layer = layer }).ResponseAsync.DefaultTimeout();
        Assert.Equal(info, described);
        ListIndexesResponse listed = await fixture.Client.ListIndexesAsync(new ListIndexesRequest { Model = IndexServiceFixture.ModelName }).ResponseAsync.DefaultTimeout();
        Assert.Contains(info, listed.Indexes);
        ListIndexesResponse otherModel = await fixture.Client.ListIndexesAsync(new ListIndexesRequest { Model = "no-such-model" }).ResponseAsync.DefaultTimeout();
        Assert.Empty(otherModel.Indexes);

        DeleteIndexResponse deleted = await fixture.Client.DeleteIndexAsync(new DeleteIndexRequest { Layer = layer }).ResponseAsync.DefaultTimeout();
        Assert.Equal(info.IndexBytes, deleted.BytesFreed);
        Assert.Equal(StatusCode.NotFound, await BuildStreams.StatusOfAsync(() => fixture.Client.DescribeIndexAsync(new DescribeIndexRequest { Layer = layer }).ResponseAsync));
        Assert.Equal(StatusCode.NotFound, await BuildStreams.StatusOfAsync(() => fixture.Client.DeleteIndexAsync(new DeleteIndexRequest { Layer = layer }).ResponseAsync));
        ListIndexesResponse after = await fixture.Client.ListIndexesAsync(new ListIndexesRequest()).ResponseAsync.DefaultTimeout();
        Assert.DoesNotContain(after.Indexes, i => i.Layer.Equals(layer));
        Assert.Empty(fixture.Factory.Logs.Errors);
    }

    [Fact]
    public async Task BuildIndex_StorageBudget_ChoosesParametersThatFit()
    {
        LayerRef layer = IndexServiceFixture.Layer(TestData.SmallLayer2);

        List<BuildProgress> messages = await fixture.Client.BuildAsync(new BuildIndexRequest { Layer = layer, StorageBudget = 0.25, BatchSize = 100 });

        IndexInfo info = messages[^1].Index;
        Assert.True(info.StorageFraction <= 0.25, $"storage fraction {info.StorageFraction}");
        Assert.True(info.Partitions > 16, $"P = {info.Partitions}: a 25% budget leaves room for more than 4 bits");
        await fixture.Client.DeleteIndexAsync(new DeleteIndexRequest { Layer = layer }).ResponseAsync.DefaultTimeout();
    }

    [Fact]
    public async Task MaterializeLayer_IndexedLayer_ListMarksItMaterialized()
    {
        LayerRef layer = IndexServiceFixture.Layer(TestData.SmallLayer2);
        await fixture.Client.BuildAsync(new BuildIndexRequest { Layer = layer });

        using AsyncServerStreamingCall<BuildProgress> call = fixture.Client.MaterializeLayer(new MaterializeLayerRequest { Layer = layer });
        List<BuildProgress> messages = await BuildStreams.ReadAllAsync(call).DefaultTimeout();

        Assert.Equal(BuildPhase.Done, messages[^1].Phase);
        Assert.True(messages[^1].Index.Materialized);
        ListIndexesResponse listed = await fixture.Client.ListIndexesAsync(new ListIndexesRequest { Dataset = IndexServiceFixture.DatasetName }).ResponseAsync.DefaultTimeout();
        Assert.True(Assert.Single(listed.Indexes, i => i.Layer.Equals(layer)).Materialized);
        await fixture.Client.DeleteIndexAsync(new DeleteIndexRequest { Layer = layer }).ResponseAsync.DefaultTimeout();
    }

    [Fact]
    public async Task BuildIndex_WhileAnotherBuildRuns_IsQueuedThenCompletes()
    {
        LayerRef slow = IndexServiceFixture.Layer(TestData.BigLayer);
        LayerRef queued = IndexServiceFixture.Layer(TestData.SmallLayer);
        using AsyncServerStreamingCall<BuildProgress> first = fixture.Client.BuildIndex(new BuildIndexRequest { Layer = slow, BatchSize = 16 });

        // The first message is sent from inside the build slot: from then on the slot is taken.
        Assert.True(await first.ResponseStream.MoveNext(CancellationToken.None).DefaultTimeout());
        using AsyncServerStreamingCall<BuildProgress> second = fixture.Client.BuildIndex(new BuildIndexRequest { Layer = queued });
        List<BuildProgress> secondMessages = await BuildStreams.ReadAllAsync(second).DefaultTimeout();
        List<BuildProgress> firstMessages = await BuildStreams.ReadAllAsync(first).DefaultTimeout();

        Assert.Equal(BuildPhase.Queued, secondMessages[0].Phase);
        Assert.Equal(BuildPhase.Done, secondMessages[^1].Phase);
        Assert.Equal(BuildPhase.Done, firstMessages[^1].Phase);
        Assert.DoesNotContain(firstMessages, m => m.Phase == BuildPhase.Queued);
        await fixture.Client.DeleteIndexAsync(new DeleteIndexRequest { Layer = slow }).ResponseAsync.DefaultTimeout();
        await fixture.Client.DeleteIndexAsync(new DeleteIndexRequest { Layer = queued }).ResponseAsync.DefaultTimeout();
    }

    [Fact]
    public async Task BuildIndex_DeadlinePassesDuringBuild_DeadlineExceededAndNothingPublished()
    {
        // A 16384-neuron layer takes 0.25-1 s to build here (model load, inference, construction);
        // the deadline ends it early (or in the queue: either way nothing may be published). The in-memory server enforces
        // deadlines itself; client cancellation over real HTTP/2 is covered by the CLI tests.
        LayerRef layer = IndexServiceFixture.Layer("/block1/block1.2/Relu_output_0");
        using AsyncServerStreamingCall<BuildProgress> call = fixture.Client.BuildIndex(
            new BuildIndexRequest { Layer = layer, BatchSize = 16 }, deadline: DateTime.UtcNow.AddMilliseconds(60));

        RpcException error = await Assert.ThrowsAsync<RpcException>(() => BuildStreams.ReadAllAsync(call)).DefaultTimeout();

        // At the deadline the service resets the stream; the client's own deadline timer usually
        // reports it first, but TestServer may surface the reset first, as UNAVAILABLE.
        bool reset = error.StatusCode == StatusCode.Unavailable && error.Status.Detail.Contains("reset the request", StringComparison.Ordinal);
        Assert.True(error.StatusCode == StatusCode.DeadlineExceeded || reset, error.ToString());

        // The next build queues until the stopped one has released the build slot, so once it is
        // done the stopped build has dropped whatever it wrote.
        LayerRef next = IndexServiceFixture.Layer(TestData.SmallLayer);
        List<BuildProgress> messages = await fixture.Client.BuildAsync(new BuildIndexRequest { Layer = next });
        Assert.Equal(BuildPhase.Done, messages[^1].Phase);
        ListIndexesResponse listed = await fixture.Client.ListIndexesAsync(new ListIndexesRequest()).ResponseAsync.DefaultTimeout();
        Assert.DoesNotContain(listed.Indexes, i => i.Layer.Equals(layer));
        await fixture.Client.DeleteIndexAsync(new DeleteIndexRequest { Layer = next }).ResponseAsync.DefaultTimeout();
        Assert.Empty(fixture.Factory.Logs.Errors);
    }

    [Fact]
    public async Task UploadModel_DemoModelInChunks_RegistersTheSameModel()
    {
        byte[] bytes = await File.ReadAllBytesAsync(Path.Combine(fixture.DataRoot, TestData.ModelFile));
        using AsyncClientStreamingCall<UploadModelChunk, ModelInfo> call = fixture.Client.UploadModel();

        for (int offset = 0; offset < bytes.Length; offset += 256 * 1024)
        {
            var chunk = new UploadModelChunk { Data = ByteString.CopyFrom(bytes, offset, Math.Min(256 * 1024, bytes.Length - offset)) };
            if (offset == 0)
            {
                chunk.Name = "vgg-uploaded";
            }

            await call.RequestStream.WriteAsync(chunk).DefaultTimeout();
        }

        await call.RequestStream.CompleteAsync().DefaultTimeout();
        ModelInfo model = await call.ResponseAsync.DefaultTimeout();

        Assert.Equal("vgg-uploaded", model.Name);
        Assert.Equal(fixture.Model.Sha256, model.Sha256);
        Assert.Equal(fixture.Model.LayerCount, model.LayerCount);
        Assert.Equal(bytes.Length, model.Bytes);
        Assert.True(File.Exists(Path.Combine(fixture.DataRoot, "models", model.Sha256 + ".onnx")));
    }

    [Fact]
    public async Task Check_RunningService_Serving()
    {
        var health = new Health.HealthClient(fixture.Factory.CreateChannel());

        HealthCheckResponse response = await health.CheckAsync(new HealthCheckRequest()).ResponseAsync.DefaultTimeout();

        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, response.Status);
    }
}
