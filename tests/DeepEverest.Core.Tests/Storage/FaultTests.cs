using DeepEverest.Core.Indexing;
using DeepEverest.Core.Query;
using DeepEverest.Core.Storage;
using DeepEverest.Core.Tests.Support;

namespace DeepEverest.Core.Tests.Storage;

/// <summary>
/// What faults leave behind: spill and secondary directories of killed processes (removed at the
/// next start, while those of live processes stay), info logs (capped), the WAL (bulk rows skip
/// it, so a restart replays little), and a disk that fills up during a build (a clear status,
/// nothing partial published, the earlier index still answers).
/// </summary>
public sealed class FaultTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "deepeverest-tests", Guid.NewGuid().ToString("N"));

    public FaultTests() => Directory.CreateDirectory(_root);

    [Fact]
    public void Sweep_DirectoriesOfDeadAndLiveOwners_RemovesOnlyTheDeadOnes()
    {
        // A killed process's directory: its lock file is there, but nobody holds it any more.
        string dead = Path.Combine(_root, "build-dead");
        Directory.CreateDirectory(dead);
        File.WriteAllText(Path.Combine(dead, OwnedDirectory.LockFileName), "pid 1\n");
        File.WriteAllBytes(Path.Combine(dead, "block-0.f32"), new byte[4096]);
        using OwnedDirectory live = OwnedDirectory.Create(_root, "build-");
        File.WriteAllBytes(Path.Combine(live.FullPath, "block-0.f32"), new byte[4096]);
        string fresh = Path.Combine(_root, "build-being-created");
        Directory.CreateDirectory(fresh);

        int removed = OwnedDirectory.Sweep(_root, "build-");

        Assert.Equal(1, removed);
        Assert.False(Directory.Exists(dead));
        Assert.True(File.Exists(Path.Combine(live.FullPath, "block-0.f32")));
        Assert.True(Directory.Exists(fresh), "a directory without a lock file is young: its owner may be creating it");
    }

    [Fact]
    public void Build_Spilling_UsesOneLockedDirectoryUnderTheDataRootAndRemovesIt()
    {
        using var s = new ScratchStore(inputs: 300, root: Path.Combine(_root, "data"));
        IndexBuilder builder = s.Builder();
        int seen = -1;
        builder.AfterInference = _ =>
        {
            // While the build runs: its own directory, and a sweep (another start) keeps it.
            seen = Directory.GetDirectories(builder.SpillRoot, ActivationMatrix.DirectoryPrefix + "*").Length;
            Assert.Equal(0, builder.RemoveAbandonedSpill());
        };

        IndexRecordAssert(builder.Build(new IndexBuildRequest(ScratchStore.Model, ScratchStore.Dataset, "/block1/block1.2/Relu_output_0", MemoryBudgetMb: 1), null, CancellationToken.None));

        Assert.Equal(Path.Combine(s.Root, "spill"), builder.SpillRoot);
        Assert.Equal(1, seen);
        Assert.Empty(Directory.GetDirectories(builder.SpillRoot));
    }

    [Fact]
    public void RemoveAbandonedSpill_LeftByAKilledBuild_RemovedAtStart()
    {
        using var s = new ScratchStore(inputs: 50, root: Path.Combine(_root, "data"));
        IndexBuilder builder = s.Builder();
        for (int i = 0; i < 3; i++)
        {
            string killed = Path.Combine(builder.SpillRoot, $"{ActivationMatrix.DirectoryPrefix}killed{i}");
            Directory.CreateDirectory(killed);
            File.WriteAllText(Path.Combine(killed, OwnedDirectory.LockFileName), "");
            File.WriteAllBytes(Path.Combine(killed, "block-0.f32"), new byte[1 << 16]);
        }

        Assert.Equal(3, builder.RemoveAbandonedSpill());
        Assert.Empty(Directory.GetDirectories(builder.SpillRoot));
    }

    [Fact]
    public void OpenSecondary_DirectoriesOfKilledSecondaries_RemovedAndLiveOnesKept()
    {
        using var s = new ScratchStore(inputs: 50, root: Path.Combine(_root, "data"));
        string killed = Path.Combine(StoreReader.SecondaryParent, "secondary-killed-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(killed);
        File.WriteAllText(Path.Combine(killed, OwnedDirectory.LockFileName), "");
        File.WriteAllText(Path.Combine(killed, "LOG"), "a secondary's info log");

        using StoreReader live = StoreReader.OpenSecondary(s.Root);
        using StoreReader second = StoreReader.OpenSecondary(s.Root);

        // Only this test's own secondaries are known to stay live: other tests (in this process and
        // in the Services tests' process) open and close theirs under the same parent meanwhile.
        Assert.False(Directory.Exists(killed));
        Assert.True(Directory.Exists(live.SecondaryDirectory), $"{live.SecondaryDirectory} belongs to a live secondary");
        Assert.True(File.Exists(Path.Combine(live.SecondaryDirectory!, OwnedDirectory.LockFileName)));
        Assert.False(OwnedDirectory.IsAbandoned(live.SecondaryDirectory!));
        Assert.NotNull(second.GetDataset(ScratchStore.Dataset));
    }

    [Fact]
    public void OpenPrimary_ManyRestarts_InfoLogFilesStayCapped()
    {
        using var s = new ScratchStore(inputs: 50, root: Path.Combine(_root, "data"));
        for (int i = 0; i < 10; i++)
        {
            s.Reopen();
        }

        string[] logs = Directory.GetFiles(StoreReader.StorePath(s.Root), "LOG*");
        Assert.InRange(logs.Length, 1, 4);
    }

    [Fact]
    public void ImportAndBuild_BulkRows_StayOutOfTheWal()
    {
        using var s = new ScratchStore(inputs: 2000, root: Path.Combine(_root, "data"));
        s.BuildIndex("/block3/block3.2/Relu_output_0");

        // 2,000 inputs and ~2 MB of index rows were written; a restart replays only the records.
        long wal = Directory.GetFiles(StoreReader.StorePath(s.Root), "*.log").Sum(f => new FileInfo(f).Length);
        Assert.InRange(wal, 0, 256 << 10);
        s.Reopen();
        Assert.NotNull(s.Store.GetIndex(ScratchStore.Model, ScratchStore.Dataset, "/block3/block3.2/Relu_output_0"));
    }

    [Fact]
    public void AbortGeneration_OfAPublishedIndex_KeepsItsRows()
    {
        // What a failure after publication (a progress report, the epoch file) used to do.
        using var s = new ScratchStore(inputs: 100, root: Path.Combine(_root, "data"));
        Core.Storage.Records.IndexRecord index = s.BuildIndex();

        s.Store.AbortGeneration(index.Generation);

        Assert.Equal([index.Generation], s.Store.GenerationsWithRowsForTests());
        Assert.NotNull(s.Store.ReadGroup(index, [0, 1, 2]));
    }

    [TmpfsFact]
    public void Build_DiskFillsUpDuringConstruction_ResourceExhaustedNothingPublishedEarlierIndexAnswers()
    {
        using TmpfsMount disk = TmpfsFactAttribute.Mount(64);
        using var s = new ScratchStore(inputs: 2000, root: Path.Combine(disk.Path, "data"));
        s.BuildIndex();
        const string Big = "/block1/block1.2/Relu_output_0";
        IndexBuilder builder = s.Builder();
        string? filler = null;

        // After the up-front check passed, something else takes the space (4 MiB left).
        builder.AfterInference = _ => filler = disk.Fill(4 << 20);
        var e = Assert.Throws<DeepEverestException>(() => builder.Build(new IndexBuildRequest(ScratchStore.Model, ScratchStore.Dataset, Big), null, CancellationToken.None));

        Assert.Equal(ErrorKind.ResourceExhausted, e.Kind);
        Assert.Contains("disk space", e.Message);
        File.Delete(filler!);
        Assert.Null(s.Store.GetIndex(ScratchStore.Model, ScratchStore.Dataset, Big));
        Assert.Single(s.Store.ListIndexes());
        Assert.Equal(0, s.Store.RemoveAbandonedBuilds());
        AssertIndexAnswersExactly(s);

        // The store still takes writes, and a restart finds it whole.
        s.BuildIndex("/block4/block4.5/Relu_output_0");
        s.Reopen();
        Assert.Equal(2, s.Store.ListIndexes().Count);
        AssertIndexAnswersExactly(s);
    }

    [TmpfsFact]
    public void Build_NotEnoughDiskForItsRows_RefusedBeforeAnyWrite()
    {
        using TmpfsMount disk = TmpfsFactAttribute.Mount(40);
        using var s = new ScratchStore(inputs: 2000, root: Path.Combine(disk.Path, "data"));
        s.BuildIndex();

        var e = Assert.Throws<DeepEverestException>(() => s.BuildIndex("/block1/block1.2/Relu_output_0"));

        Assert.Equal(ErrorKind.ResourceExhausted, e.Kind);
        Assert.Contains("Not enough disk space: the index of layer '/block1/block1.2/Relu_output_0' was not built", e.Message);
        Assert.DoesNotContain(disk.Path, e.Message);
        Assert.Single(s.Store.ListIndexes());
        Assert.Equal(0, s.Store.RemoveAbandonedBuilds());
        AssertIndexAnswersExactly(s);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private static void IndexRecordAssert(Core.Storage.Records.IndexRecord record) => Assert.True(record.Spilled, "the build was meant to spill");

    private static void AssertIndexAnswersExactly(ScratchStore s)
    {
        using var engine = new QueryEngine(s.Store, s.Kernels, new QueryEngineOptions());
        foreach (int target in new[] { 1, 999 })
        {
            List<TopKUpdateInfo> bounds = engine.Execute(ScratchStore.Similar(target), CancellationToken.None).ToList();
            Assert.Equal(QueryStrategy.Bounds, bounds[^1].Stats.Strategy);
            Assert.Equal(ScratchStore.Answer(engine.Execute(ScratchStore.Similar(target, QueryStrategy.ReprocessAll), CancellationToken.None)), ScratchStore.Answer(bounds));
        }
    }
}
