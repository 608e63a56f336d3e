using System.Reflection;
using DeepEverest.Core.Indexing;
using DeepEverest.Core.Query;
using DeepEverest.Core.Storage;
using DeepEverest.Core.Storage.Records;
using DeepEverest.Core.Tests.Support;

namespace DeepEverest.Core.Tests.Storage;

/// <summary>
/// A query reads one consistent snapshot of everything it uses, on the primary (RocksDB snapshot)
/// and on a secondary (a pinned generation): a rebuild, delete or dataset replacement that lands
/// between the query's first read and its last never fails it ("Index data is missing ...") nor
/// changes its answer, which is compared with ReprocessAll computed before the change.
/// </summary>
public sealed class SnapshotTests : IDisposable
{
    private readonly ScratchStore _s = new(inputs: 600);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Execute_IndexRebuiltAndDeletedBeforeItsRowsAreRead_AnswersFromItsSnapshot(bool secondary)
    {
        _s.BuildIndex();
        using StoreReader reader = secondary ? StoreReader.OpenSecondary(_s.Root) : _s.Store;
        using var engine = new QueryEngine(reader, _s.Kernels, new QueryEngineOptions());
        var expected = ScratchStore.Answer(engine.Execute(ScratchStore.Similar(5, QueryStrategy.ReprocessAll), CancellationToken.None));

        // Prepared (index record read), its rows not yet: then the rows go, and their files too.
        IEnumerable<TopKUpdateInfo> running = engine.Execute(ScratchStore.Similar(5), CancellationToken.None);
        _s.BuildIndex();
        _s.Store.DeleteIndex(ScratchStore.Model, ScratchStore.Dataset, ScratchStore.Layer);
        _s.Store.CompactForTests();
        reader.CatchUp();

        List<TopKUpdateInfo> updates = running.ToList();
        Assert.Equal(QueryStrategy.Bounds, updates[^1].Stats.Strategy);
        Assert.Equal(expected, ScratchStore.Answer(updates));
        Assert.Empty(_s.Store.GenerationsWithRowsForTests());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Execute_DatasetReplacedDuringVerification_AnswersTheContentsItStartedWith(bool secondary)
    {
        _s.BuildIndex();
        using StoreReader reader = secondary ? StoreReader.OpenSecondary(_s.Root) : _s.Store;
        using var engine = new QueryEngine(reader, _s.Kernels, new QueryEngineOptions());
        TopKQuery query = ScratchStore.Similar(42, k: 40) with { UseCache = false, BatchSize = 4 };
        var expected = ScratchStore.Answer(engine.Execute(query with { Strategy = QueryStrategy.ReprocessAll }, CancellationToken.None));

        using IEnumerator<TopKUpdateInfo> running = engine.Execute(query, CancellationToken.None).GetEnumerator();
        Assert.True(running.MoveNext());
        Assert.False(running.Current.Done);
        _s.Store.DeleteIndex(ScratchStore.Model, ScratchStore.Dataset, ScratchStore.Layer);
        _s.Import(offset: 600);
        _s.Store.CompactForTests();
        reader.CatchUp();
        var updates = new List<TopKUpdateInfo> { running.Current };
        while (running.MoveNext())
        {
            updates.Add(running.Current);
        }

        Assert.True(updates[^1].Stats.InputsInferred > 4, "the test needs verification batches after the replacement");
        Assert.Equal(expected, ScratchStore.Answer(updates));

        // A query that starts now sees the new images (and, with no index, says so).
        List<TopKUpdateInfo> after = engine.Execute(query, CancellationToken.None).ToList();
        Assert.Equal(QueryStrategy.ReprocessAll, after[^1].Stats.Strategy);
        Assert.NotEqual(expected, ScratchStore.Answer(after));
    }

    [Fact]
    public void Snapshot_OnSecondaryAfterPublication_SeesItWithoutCatchUpAndEarlierSnapshotsDoNot()
    {
        using StoreReader secondary = StoreReader.OpenSecondary(_s.Root);
        using StoreReader before = secondary.Snapshot();
        ulong followed = secondary.FollowedEpoch;

        IndexRecord published = _s.BuildIndex();

        using StoreReader after = secondary.Snapshot();
        Assert.Equal(published, after.GetIndex(ScratchStore.Model, ScratchStore.Dataset, ScratchStore.Layer));
        Assert.Null(before.GetIndex(ScratchStore.Model, ScratchStore.Dataset, ScratchStore.Layer));
        Assert.True(secondary.FollowedEpoch > followed);

        // Nothing new: the next snapshot shares the generation, no catch-up needed.
        using StoreReader again = secondary.Snapshot();
        Assert.Equal(published, again.GetIndex(ScratchStore.Model, ScratchStore.Dataset, ScratchStore.Layer));
    }

    [Fact]
    public void Snapshot_OnPrimary_UnchangedByLaterWrites()
    {
        using StoreReader snapshot = _s.Store.Snapshot();
        IndexRecord index = _s.BuildIndex();

        Assert.Null(snapshot.GetIndex(ScratchStore.Model, ScratchStore.Dataset, ScratchStore.Layer));
        Assert.Equal(index, _s.Store.GetIndex(ScratchStore.Model, ScratchStore.Dataset, ScratchStore.Layer));
        Assert.IsNotType<StoreWriter>(snapshot, exactMatch: false);
    }

    [Fact]
    public void Snapshot_ReaderType_OffersNoWriteMethod()
    {
        // A write through a snapshot must not compile: the type it returns has none of the writer's methods.
        const BindingFlags Instance = BindingFlags.Public | BindingFlags.Instance;
        string[] writes = typeof(StoreWriter).GetMethods(Instance | BindingFlags.DeclaredOnly).Select(m => m.Name).ToArray();
        string[] reads = typeof(StoreReader).GetMethods(Instance).Select(m => m.Name).ToArray();

        Assert.Equal(typeof(StoreReader), typeof(StoreReader).GetMethod(nameof(StoreReader.Snapshot))!.ReturnType);
        Assert.Equal(typeof(StoreReader), typeof(StoreReader).GetMethod(nameof(StoreReader.OpenSecondary))!.ReturnType);
        Assert.Superset(
            new HashSet<string> { nameof(StoreWriter.PutModel), nameof(StoreWriter.BeginDataset), nameof(StoreWriter.PublishIndex), nameof(StoreWriter.DeleteIndex) },
            writes.ToHashSet());
        Assert.Empty(reads.Intersect(writes));
    }

    [Fact]
    public async Task DeleteIndex_DuringRebuildPublication_LeavesNoOrphanRows()
    {
        _s.BuildIndex();
        Task<long>? delete = null;
        _s.Store.WhilePublishingForTests = () => delete ??= Task.Run(() => _s.Store.DeleteIndex(ScratchStore.Model, ScratchStore.Dataset, ScratchStore.Layer));
        IndexRecord rebuilt = _s.BuildIndex();
        _s.Store.WhilePublishingForTests = null;
        long freed = await delete!;

        // Whichever order the two took, what is visible is whole and nothing else has rows.
        IndexRecord? now = _s.Store.GetIndex(ScratchStore.Model, ScratchStore.Dataset, ScratchStore.Layer);
        Assert.True(freed > 0);
        if (now is null)
        {
            Assert.Empty(_s.Store.GenerationsWithRowsForTests());
        }
        else
        {
            Assert.Equal(rebuilt, now);
            Assert.Equal([rebuilt.Generation], _s.Store.GenerationsWithRowsForTests());
        }
    }

    [Fact]
    public void DeleteIndex_WhileItsRebuildRuns_RebuildPublishesWholeAndOldRowsGo()
    {
        IndexRecord first = _s.BuildIndex();
        IndexBuilder builder = _s.Builder();
        builder.AfterInference = _ => Assert.True(_s.Store.DeleteIndex(ScratchStore.Model, ScratchStore.Dataset, ScratchStore.Layer) > 0);

        IndexRecord rebuilt = builder.Build(new IndexBuildRequest(ScratchStore.Model, ScratchStore.Dataset, ScratchStore.Layer), null, CancellationToken.None);

        Assert.NotEqual(first.Generation, rebuilt.Generation);
        Assert.Equal(rebuilt, _s.Store.GetIndex(ScratchStore.Model, ScratchStore.Dataset, ScratchStore.Layer));
        Assert.Equal([rebuilt.Generation], _s.Store.GenerationsWithRowsForTests());
    }

    public void Dispose() => _s.Dispose();
}
