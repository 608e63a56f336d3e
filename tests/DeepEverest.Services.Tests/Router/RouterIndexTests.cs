using DeepEverest.Contracts.V1;
using DeepEverest.Services.Tests.Infrastructure;
using Grpc.Core;
using Grpc.Net.Client;
using IndexClient = DeepEverest.Contracts.V1.IndexService.IndexServiceClient;

namespace DeepEverest.Services.Tests.Router;

/// <summary>
/// IndexService through the router: the sharded dataset described as one (sizes summed, per-shard
/// state), builds fanned out to every shard with one progress stream (then queries through the
/// router are exact against a single store), deletes fanned out, imports refused.
/// </summary>
[Collection(RouterCollection.Name)]
public sealed class RouterIndexTests(RouterFixture fixture)
{
    [Fact]
    public async Task ListAndDescribe_ShardedDataset_SizesSummedWithEveryShardsState()
    {
        using GrpcChannel channel = fixture.Router.CreateChannel();
        var router = new IndexClient(channel);
        IndexInfo[] perShard = [.. await Task.WhenAll(fixture.Shards.Select(async s =>
        {
            using GrpcChannel shard = GrpcChannel.ForAddress(s.IndexUrl);
            return await new IndexClient(shard).DescribeIndexAsync(new DescribeIndexRequest { Layer = RouterFixture.LayerRef() });
        }))];

        DatasetInfo dataset = Assert.Single((await router.ListDatasetsAsync(new ListDatasetsRequest())).Datasets);
        IndexInfo listed = Assert.Single((await router.ListIndexesAsync(new ListIndexesRequest())).Indexes, i => i.Layer.Layer == RouterFixture.Layer);
        IndexInfo described = await router.DescribeIndexAsync(new DescribeIndexRequest { Layer = RouterFixture.LayerRef() });
        ModelInfo[] models = [.. (await router.ListModelsAsync(new ListModelsRequest())).Models];

        Assert.Equal((RouterFixture.Inputs, RouterFixture.Inputs, 0L, (long)RouterFixture.Inputs), (dataset.Count, dataset.TotalCount, dataset.InputRange.Start, dataset.InputRange.End));
        foreach (IndexInfo info in new[] { listed, described })
        {
            Assert.Equal(RouterFixture.Inputs, info.Inputs);
            Assert.Equal(perShard.Sum(i => i.IndexBytes), info.IndexBytes);
            Assert.Equal(perShard.Sum(i => i.FullMaterializationBytes), info.FullMaterializationBytes);
            Assert.Equal((double)info.IndexBytes / info.FullMaterializationBytes, info.StorageFraction);
            Assert.Equal(fixture.Shards.Select(s => $"shard {Array.IndexOf(fixture.Shards, s)} ({s.QueryUrl})"), info.Shards.Select(s => s.Shard));
            Assert.Equal(perShard.Select(i => (true, i.Inputs, i.IndexBytes, i.Generation)), info.Shards.Select(s => (s.Built, s.Inputs, s.IndexBytes, s.Generation)));
        }

        Assert.Single(models, m => m.Name == RouterFixture.Model);
        Assert.NotEmpty((await router.ListLayersAsync(new ListLayersRequest { Model = RouterFixture.Model })).Layers);
    }

    [Fact]
    public async Task BuildIndex_ThroughRouter_EveryShardBuildsOneProgressThenQueriesExact()
    {
        using GrpcChannel channel = fixture.Router.CreateChannel();
        var router = new IndexClient(channel);
        var layer = new LayerRef { Model = RouterFixture.Model, Dataset = RouterFixture.Dataset, Layer = TestData.SmallLayer2 };
        using GrpcChannel wholeChannel = GrpcChannel.ForAddress(fixture.Whole.IndexUrl);
        var whole = new IndexClient(wholeChannel);
        await whole.BuildAsync(new BuildIndexRequest { Layer = layer });
        try
        {
            var progress = new List<BuildProgress>();
            using (AsyncServerStreamingCall<BuildProgress> build = router.BuildIndex(new BuildIndexRequest { Layer = layer }, deadline: DateTime.UtcNow.Add(TaskTimeoutExtensions.LongTimeout)))
            {
                await foreach (BuildProgress p in build.ResponseStream.ReadAllAsync())
                {
                    progress.Add(p);
                }
            }

            BuildProgress last = progress[^1];
            Assert.Equal(BuildPhase.Done, last.Phase);
            Assert.All(progress.SkipLast(1), p => Assert.NotEqual(BuildPhase.Done, p.Phase));
            Assert.Equal((RouterFixture.Inputs, RouterFixture.Inputs), (last.InputsDone, last.InputsTotal));
            Assert.Equal(RouterFixture.Inputs, last.Index.Inputs);
            Assert.All(last.Index.Shards, s => Assert.True(s.Built));

            var similar = new TopKSimilarRequest { Layer = layer, Target = new Target { InputId = 1000 }, Group = new NeuronGroup { TopOfTarget = 4 }, K = 12 };
            TopKUpdate expected = await LastAsync(fixture.WholeClient.TopKSimilar(similar));
            TopKUpdate routed = await LastAsync(fixture.RouterClient.TopKSimilar(similar));
            Assert.True(routed.Done);
            Assert.Equal(expected.Hits, routed.Hits);
            Assert.DoesNotContain("ReprocessAll", routed.Message, StringComparison.Ordinal);
        }
        finally
        {
            DeleteIndexResponse deleted = await router.DeleteIndexAsync(new DeleteIndexRequest { Layer = layer });
            await whole.DeleteIndexAsync(new DeleteIndexRequest { Layer = layer });
            Assert.True(deleted.BytesFreed > 0);
        }

        RpcException gone = await Assert.ThrowsAsync<RpcException>(() => router.DescribeIndexAsync(new DescribeIndexRequest { Layer = layer }).ResponseAsync);
        Assert.Equal(StatusCode.NotFound, gone.StatusCode);
    }

    [Fact]
    public async Task BuildIndex_UnknownLayer_FailsNamingAShard()
    {
        using GrpcChannel channel = fixture.Router.CreateChannel();
        var router = new IndexClient(channel);

        RpcException e = await Assert.ThrowsAsync<RpcException>(() =>
            router.BuildAsync(new BuildIndexRequest { Layer = new LayerRef { Model = RouterFixture.Model, Dataset = RouterFixture.Dataset, Layer = "no-such-layer" } }));

        Assert.Contains("shard ", e.Status.Detail, StringComparison.Ordinal);
        Assert.NotEqual(StatusCode.OK, e.StatusCode);
    }

    [Fact]
    public async Task UploadModel_ThroughRouter_EveryShardRegistersTheSameFile()
    {
        using GrpcChannel channel = fixture.Router.CreateChannel();
        var router = new IndexClient(channel);
        byte[] file = await File.ReadAllBytesAsync(Path.Combine(fixture.Shards[0].Root, TestData.ModelFile));
        string name = $"uploaded-{Guid.NewGuid():N}";

        ModelInfo registered;
        using (AsyncClientStreamingCall<UploadModelChunk, ModelInfo> upload = router.UploadModel(deadline: DateTime.UtcNow.Add(TaskTimeoutExtensions.Timeout)))
        {
            for (int offset = 0; offset < file.Length; offset += 256 << 10)
            {
                var chunk = new UploadModelChunk { Data = Google.Protobuf.ByteString.CopyFrom(file, offset, Math.Min(256 << 10, file.Length - offset)) };
                chunk.Name = offset == 0 ? name : "";
                await upload.RequestStream.WriteAsync(chunk);
            }

            await upload.RequestStream.CompleteAsync();
            registered = await upload;
        }

        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(file)), registered.Sha256);
        foreach (ShardNode shard in fixture.Shards)
        {
            using GrpcChannel direct = GrpcChannel.ForAddress(shard.IndexUrl);
            ListModelsResponse models = await new IndexClient(direct).ListModelsAsync(new ListModelsRequest());
            Assert.Equal(registered.Sha256, Assert.Single(models.Models, m => m.Name == name).Sha256);
        }
    }

    [Fact]
    public async Task ImportDataset_ThroughRouter_FailedPreconditionSayingToImportEachShard()
    {
        using GrpcChannel channel = fixture.Router.CreateChannel();
        var router = new IndexClient(channel);

        RpcException e = await Assert.ThrowsAsync<RpcException>(() => router.ImportDatasetAsync(new ImportDatasetRequest { Name = "x" }).ResponseAsync);

        Assert.Equal(StatusCode.FailedPrecondition, e.StatusCode);
        Assert.Contains("--shard i/N", e.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Console_Router_ServesThePageWithBothServicesOnItsOrigin()
    {
        string console = TestData.CreateTempDirectory();
        try
        {
            File.WriteAllText(Path.Combine(console, "index.html"), "<!doctype html><title>DeepEverest</title>");
            await using var router = new RouterFactory(fixture.Addresses, new Dictionary<string, string> { ["DeepEverest:Console:Path"] = console });
            using HttpClient http = router.CreateClient();

            string page = await http.GetStringAsync("/").DefaultTimeout();
            string config = await http.GetStringAsync("/console-config.json").DefaultTimeout();

            Assert.Contains("<title>DeepEverest</title>", page, StringComparison.Ordinal);
            // Empty: the page calls the IndexService on the router's own origin, which serves it.
            Assert.Equal("""{"indexServiceUrl":""}""", config);
        }
        finally
        {
            TestData.DeleteDirectory(console);
        }
    }

    private static async Task<TopKUpdate> LastAsync(AsyncServerStreamingCall<TopKUpdate> call)
    {
        using (call)
        {
            TopKUpdate? last = null;
            await foreach (TopKUpdate update in call.ResponseStream.ReadAllAsync())
            {
                last = update;
            }

            return last!;
        }
    }
}
