using DeepEverest.Contracts.V1;
using DeepEverest.Services.Tests.Infrastructure;
using Grpc.Core;
using IndexClient = DeepEverest.Contracts.V1.IndexService.IndexServiceClient;

namespace DeepEverest.Services.Tests.IndexService;

/// <summary>
/// A service killed in the middle of a build restarts on the same data root with everything it
/// had published intact and nothing of the killed build visible.
/// </summary>
public sealed class IndexServiceCrashTests : IDisposable
{
    private readonly string _dataRoot = TestData.CreateTempDirectory();

    [Fact]
    public async Task BuildIndex_ProcessKilledDuringBuild_RestartKeepsPublishedIndexAndDropsPartialOne()
    {
        // Arrange: a published index, then a second, bigger build killed once inference runs.
        // All 10,000 test images keep inference busy for most of a second, several progress
        // intervals: with 4,000 a fast machine finished inference within one interval, so the first
        // progress the client saw was the last.
        TestData.CopyModel(_dataRoot);
        (string images, string labels) = TestData.WriteFashionSlice(_dataRoot, "fashion10k", 10_000);
        var small = new LayerRef { Model = "vgg", Dataset = "fashion", Layer = TestData.SmallLayer };
        var big = new LayerRef { Model = "vgg", Dataset = "fashion", Layer = TestData.BigLayer };
        IndexInfo published;
        BuildProgress lastSeen;
        using (ServiceProcess first = await ServiceProcess.StartIndexServiceAsync(_dataRoot))
        {
            var client = new IndexClient(first.Channel);
            await client.AddModelAsync(new AddModelRequest { Name = "vgg", Path = TestData.ModelFile }).ResponseAsync.DefaultTimeout();
            var import = new ImportDatasetRequest { Name = "fashion", Preprocessing = new Preprocessing { Scale = 1f / 255 } };
            import.Parts.Add(new DatasetPart { InputsPath = images, LabelsPath = labels });
            await client.ImportDatasetAsync(import).ResponseAsync.DefaultTimeout();
            published = (await client.BuildAsync(new BuildIndexRequest { Layer = small }))[^1].Index;

            using AsyncServerStreamingCall<BuildProgress> call = client.BuildIndex(new BuildIndexRequest { Layer = big, BatchSize = 64 });
            lastSeen = await KillOnceInferenceRunsAsync(first, call).DefaultTimeout();
        }

        Assert.Equal(BuildPhase.Inference, lastSeen.Phase);
        Assert.True(lastSeen.InputsDone < lastSeen.InputsTotal, "the build finished before the kill");

        // Act: restart on the same data root.
        using ServiceProcess second = await ServiceProcess.StartIndexServiceAsync(_dataRoot);
        var restarted = new IndexClient(second.Channel);

        // Assert: the published index is intact, the killed one invisible and its leftovers removed.
        ListIndexesResponse listed = await restarted.ListIndexesAsync(new ListIndexesRequest()).ResponseAsync.DefaultTimeout();
        Assert.Equal(published, Assert.Single(listed.Indexes));
        Assert.Equal(published, await restarted.DescribeIndexAsync(new DescribeIndexRequest { Layer = small }).ResponseAsync.DefaultTimeout());
        RpcException missing = await Assert.ThrowsAsync<RpcException>(() => restarted.DescribeIndexAsync(new DescribeIndexRequest { Layer = big }).ResponseAsync).DefaultTimeout();
        Assert.Equal(StatusCode.NotFound, missing.StatusCode);
        Assert.Contains("removed 1 abandoned", second.Output, StringComparison.Ordinal);

        List<BuildProgress> rebuilt = await restarted.BuildAsync(new BuildIndexRequest { Layer = big });
        Assert.Equal(BuildPhase.Done, rebuilt[^1].Phase);
        Assert.Equal(10_000, rebuilt[^1].Index.Inputs);
        ListIndexesResponse after = await restarted.ListIndexesAsync(new ListIndexesRequest()).ResponseAsync.DefaultTimeout();
        Assert.Equal(2, after.Indexes.Count);
    }

    public void Dispose() => TestData.DeleteDirectory(_dataRoot);

    private static async Task<BuildProgress> KillOnceInferenceRunsAsync(ServiceProcess service, AsyncServerStreamingCall<BuildProgress> call)
    {
        await foreach (BuildProgress message in call.ResponseStream.ReadAllAsync())
        {
            if (message.Phase != BuildPhase.Inference || message.InputsDone > 0)
            {
                service.Kill();
                return message;
            }
        }

        throw new InvalidOperationException("The build stream ended before inference started.");
    }
}
