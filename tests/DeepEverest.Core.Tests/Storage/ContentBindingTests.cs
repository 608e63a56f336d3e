using DeepEverest.Core.Indexing;
using DeepEverest.Core.Models;
using DeepEverest.Core.Query;
using DeepEverest.Core.Storage;
using DeepEverest.Core.Storage.Records;
using DeepEverest.Core.Tests.Support;

namespace DeepEverest.Core.Tests.Storage;

/// <summary>
/// An index is bound to the exact dataset and model contents it was built from: the races that
/// published an index of replaced contents (wrong answers marked final) are reproduced with a
/// hook that runs between inference and publication, and every answer afterwards is compared with
/// ReprocessAll.
/// </summary>
public sealed class ContentBindingTests : IDisposable
{
    private readonly ScratchStore _s = new(inputs: 600);

    [Fact]
    public void Build_DatasetReplacedAfterInference_RefusesToPublishAndQueriesStayExact()
    {
        // Same count and shape, other images: the old check (count + model hash) let this through.
        IndexBuilder builder = _s.Builder();
        builder.AfterInference = _ => _s.Import(offset: 600);

        var e = Assert.Throws<DeepEverestException>(() => builder.Build(new IndexBuildRequest(ScratchStore.Model, ScratchStore.Dataset, ScratchStore.Layer), null, CancellationToken.None));

        Assert.Equal(ErrorKind.FailedPrecondition, e.Kind);
        Assert.Contains("dataset 'fm' was replaced while it was being built", e.Message);
        Assert.Empty(_s.Store.ListIndexes());
        Assert.Equal(0, _s.Store.RemoveAbandonedBuilds());
        AssertBoundsEqualsReprocessAll(expectIndex: false);

        // Built again, the index describes the new images.
        _s.BuildIndex();
        AssertBoundsEqualsReprocessAll(expectIndex: true);
    }

    [Fact]
    public void Build_ModelReplacedDuringBuild_RefusesToPublishAndListsNothing()
    {
        IndexBuilder builder = _s.Builder();
        builder.AfterInference = _ => ModelCatalog.Register(_s.Store, ScratchStore.Model, _s.ModelVariant(), replace: true);

        var e = Assert.Throws<DeepEverestException>(() => builder.Build(new IndexBuildRequest(ScratchStore.Model, ScratchStore.Dataset, ScratchStore.Layer), null, CancellationToken.None));

        Assert.Equal(ErrorKind.FailedPrecondition, e.Kind);
        Assert.Contains("model 'demo' was replaced while it was being built", e.Message);
        Assert.Empty(_s.Store.ListIndexes());
        Assert.Empty(_s.Store.ListStale());
        _s.BuildIndex();
        AssertBoundsEqualsReprocessAll(expectIndex: true);
    }

    [Fact]
    public void CommitDataset_IndexPublishedWhileImporting_ReplacementRefusedAndIndexStillValid()
    {
        // The import passed its "no index on this dataset" check before the index existed.
        DatasetRecord before = _s.Store.RequireDataset(ScratchStore.Dataset);
        using DatasetWriter writer = _s.Store.BeginDataset(ScratchStore.Dataset, [1, 28, 28], StoreLayout.ElementUInt8, 1f / 255, 0);
        writer.Append(new byte[_s.Inputs * 784], []);
        _s.BuildIndex();

        var e = Assert.Throws<DeepEverestException>(() => writer.Commit());

        Assert.Equal(ErrorKind.FailedPrecondition, e.Kind);
        Assert.Contains("has 1 index(es)", e.Message);
        Assert.Equal(before, _s.Store.RequireDataset(ScratchStore.Dataset));
        Assert.Empty(_s.Store.ListStale());
        AssertBoundsEqualsReprocessAll(expectIndex: true);
    }

    [Fact]
    public void PutModel_SameContentsAgain_KeepsVersionAndIndex()
    {
        _s.BuildIndex();
        ulong version = _s.Store.RequireModel(ScratchStore.Model).Version;

        ModelCatalog.Register(_s.Store, ScratchStore.Model, _s.ModelBytes, replace: true);
        var e = Assert.Throws<DeepEverestException>(() => ModelCatalog.Register(_s.Store, ScratchStore.Model, _s.ModelVariant(), replace: true));

        Assert.Equal(ErrorKind.FailedPrecondition, e.Kind);
        Assert.Equal(version, _s.Store.RequireModel(ScratchStore.Model).Version);
        Assert.Single(_s.Store.ListIndexes());
        Assert.Empty(_s.Store.ListStale());
    }

    [Fact]
    public void Versions_EveryRecordWrite_GetsAFreshStampRecordedByTheIndex()
    {
        ulong first = _s.Store.RequireDataset(ScratchStore.Dataset).Version;
        DatasetRecord again = _s.Import(offset: 0);
        IndexRecord index = _s.BuildIndex();

        Assert.NotEqual(0UL, first);
        Assert.True(again.Version > first);
        Assert.NotEqual(_s.Store.RequireModel(ScratchStore.Model).Version, again.Version);
        Assert.Equal(again.Version, index.DatasetVersion);
        Assert.Equal(_s.Store.RequireModel(ScratchStore.Model).Version, index.ModelVersion);
    }

    [Fact]
    public void OpenPrimary_LegacyRecords_StampedAndBoundOnlyWhenTheOldCheckHolds()
    {
        // A store written before version stamps: records without versions, one index that still
        // matches its dataset and one whose dataset changed size since (the old check catches it).
        IndexRecord good = _s.BuildIndex();
        IndexRecord bad = _s.BuildIndex("/block4/block4.5/Relu_output_0");
        DatasetRecord dataset = _s.Store.RequireDataset(ScratchStore.Dataset);
        ModelRecord model = _s.Store.RequireModel(ScratchStore.Model);
        dataset.Version = 0;
        model.Version = 0;
        good.DatasetVersion = good.ModelVersion = 0;
        bad.DatasetVersion = bad.ModelVersion = 0;
        bad.Inputs += 1;
        _s.Store.WriteRecordForTests(StoreLayout.DatasetKey(dataset.Name), dataset);
        _s.Store.WriteRecordForTests(StoreLayout.ModelKey(model.Name), model);
        _s.Store.WriteRecordForTests(StoreLayout.IndexKey(good.Model, good.Dataset, good.Layer), good);
        _s.Store.WriteRecordForTests(StoreLayout.IndexKey(bad.Model, bad.Dataset, bad.Layer), bad);

        _s.Reopen();

        Assert.NotEqual(0UL, _s.Store.RequireDataset(ScratchStore.Dataset).Version);
        Assert.NotEqual(0UL, _s.Store.RequireModel(ScratchStore.Model).Version);
        string stale = Assert.Single(_s.Store.ListStale());
        Assert.Contains(bad.Layer, stale);
        AssertBoundsEqualsReprocessAll(expectIndex: true);
        using var engine = new QueryEngine(_s.Store, _s.Kernels, new QueryEngineOptions());
        TopKUpdateInfo last = engine.Execute(ScratchStore.Similar(3, layer: bad.Layer), CancellationToken.None).Last();
        Assert.Equal(QueryStrategy.ReprocessAll, last.Stats.Strategy);
        TopKUpdateInfo first = engine.Execute(ScratchStore.Similar(3, layer: bad.Layer), CancellationToken.None).First();
        Assert.Contains("earlier version", first.Message);
    }

    public void Dispose() => _s.Dispose();

    /// <summary>Bounds (or its fallback) gives exactly ReprocessAll's answer for several targets.</summary>
    private void AssertBoundsEqualsReprocessAll(bool expectIndex)
    {
        using var engine = new QueryEngine(_s.Store, _s.Kernels, new QueryEngineOptions());
        foreach (int target in new[] { 0, 17, 333, 599 })
        {
            List<TopKUpdateInfo> bounds = engine.Execute(ScratchStore.Similar(target), CancellationToken.None).ToList();
            Assert.Equal(expectIndex ? QueryStrategy.Bounds : QueryStrategy.ReprocessAll, bounds[^1].Stats.Strategy);
            Assert.Equal(
                ScratchStore.Answer(engine.Execute(ScratchStore.Similar(target, QueryStrategy.ReprocessAll), CancellationToken.None)),
                ScratchStore.Answer(bounds));
        }
    }
}
