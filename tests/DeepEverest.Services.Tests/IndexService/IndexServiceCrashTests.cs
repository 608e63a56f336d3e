using DeepEverest.Contracts.V1;
using DeepEverest.Services.Tests.Infrastructure;
using Grpc.Core;
using IndexClient = DeepEverest.Contracts.V1.IndexService.IndexServiceClient;

namespace DeepEverest.Services.Tests.IndexService;

/// <summary>
/// A service killed in the middle of a build restarts on the same data root with everything it
/// had published intact, nothing of the killed build visible, and its spill files gone.
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
        string spill = Path.Combine(_dataRoot, "spill");
        IndexInfo published;
        BuildProgress lastSeen;
        using (ServiceProcess first = await ServiceProcess.StartIndexServiceAsync(_dataRoot))
        {
            var client = new IndexClient(first.Channel);
            await client.AddModelAsync(new AddModelRequest { Name = "vgg", Path = TestData.ModelFile }).ResponseAsync.DefaultTimeout();
            var import = new ImportDatasetRequest { Name = "fashion", Preprocessing = new Preprocessing { Scale = 1f / 255 } };
            import.Parts.Add(new DatasetPart { InputsPath = images, LabelsPath = labels });
            await client.ImportDatasetAsync(import).ResponseAsync.WaitAsync(TaskTimeoutExtensions.LongTimeout);
            published = (await client.BuildAsync(new BuildIndexRequest { Layer = small }, TaskTimeoutExtensions.LongTimeout))[^1].Index;

            // A small memory budget: the build spills while inference runs.
            using AsyncServerStreamingCall<BuildProgress> call = client.BuildIndex(new BuildIndexRequest { Layer = big, BatchSize = 64, MemoryBudgetMb = 16 });
            lastSeen = await KillOnceInferenceRunsAsync(first, call, spill).WaitAsync(TaskTimeoutExtensions.LongTimeout);
        }

        Assert.Equal(BuildPhase.Inference, lastSeen.Phase);
        Assert.True(lastSeen.InputsDone < lastSeen.InputsTotal, "the build finished before the kill");
        string killedSpill = Assert.Single(Directory.GetDirectories(spill));
        Assert.NotEmpty(Directory.GetFiles(killedSpill, "block-*"));

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
        Assert.Contains("Removed the spill files of 1 build(s) killed mid-way", second.Output, StringComparison.Ordinal);
        Assert.Empty(Directory.GetDirectories(spill));

        List<BuildProgress> rebuilt = await restarted.BuildAsync(new BuildIndexRequest { Layer = big }, TaskTimeoutExtensions.LongTimeout);
        Assert.Equal(BuildPhase.Done, rebuilt[^1].Phase);
        Assert.Equal(10_000, rebuilt[^1].Index.Inputs);
        ListIndexesResponse after = await restarted.ListIndexesAsync(new ListIndexesRequest()).ResponseAsync.DefaultTimeout();
        Assert.Equal(2, after.Indexes.Count);
    }

    public void Dispose() => TestData.DeleteDirectory(_dataRoot);

    /// <summary>
    /// Kills the service once its build reported inference progress and has spilled a block:
    /// waits on both conditions themselves rather than on a time, so a loaded machine only makes
    /// the wait longer.
    /// </summary>
    private static async Task<BuildProgress> KillOnceInferenceRunsAsync(ServiceProcess service, AsyncServerStreamingCall<BuildProgress> call, string spill)
    {
        BuildProgress? last = null;
        bool ended = false;
        Task reading = Task.Run(async () =>
        {
            await foreach (BuildProgress message in call.ResponseStream.ReadAllAsync())
            {
                Volatile.Write(ref last, message);
            }

            Volatile.Write(ref ended, true);
        });
        while (true)
        {
            BuildProgress? seen = Volatile.Read(ref last);
            if (seen is not null && (seen.Phase != BuildPhase.Inference || seen.InputsDone > 0) && HasSpilled(spill))
            {
                service.Kill();
                await reading.ContinueWith(_ => { }, TaskScheduler.Default); // the stream fails once the process is gone
                return seen;
            }

            if (Volatile.Read(ref ended) || reading.IsFaulted)
            {
                throw new InvalidOperationException($"The build stream ended before the build spilled during inference (last: {seen}).");
            }

            await Task.Delay(10);
        }
    }

    private static bool HasSpilled(string spill) =>
        Directory.Exists(spill) && Directory.EnumerateFiles(spill, "block-*", SearchOption.AllDirectories).Any();
}
