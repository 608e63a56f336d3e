using DeepEverest.Core.Datasets;
using DeepEverest.Core.Files;
using DeepEverest.Core.Query;
using DeepEverest.Core.Query.Planning;
using DeepEverest.Core.Storage;
using DeepEverest.Core.Storage.Records;
using DeepEverest.Core.Tests.Support;
using DeepEverest.Kernels;

namespace DeepEverest.Core.Tests.Query;

/// <summary>
/// Input-range shards: the same source imported whole and as three shards of unequal size (each
/// with its own index). Every shard answers with global ids exactly what brute force over the
/// whole source answers restricted to its range, and the top k of the shards' answers is the
/// whole store's answer: the contract a router merges on.
/// </summary>
public sealed class ShardTests(ShardedStores stores) : IClassFixture<ShardedStores>
{
    private const int K = 20;

    [Fact]
    public void Import_Shards_StoreOnlyTheirRangeUnderGlobalIds()
    {
        for (int s = 0; s < ShardedStores.Ranges.Length; s++)
        {
            (int start, int end) = ShardedStores.Ranges[s];
            DatasetRecord record = stores.Shards[s].Store.GetDataset(ShardedStores.Dataset)!;
            Assert.Equal(end - start, record.Count);
            Assert.Equal(start, record.IdStart);
            Assert.Equal(ShardedStores.Inputs, record.TotalCount);
            Assert.Equal(Enumerable.Range(start, end - start).Select(i => stores.Labels[i]), stores.Shards[s].Store.GetLabels(ShardedStores.Dataset)!);
            foreach (int id in new[] { start, end - 1, (start + end) / 2 })
            {
                StoredInput input = stores.Shards[s].Engine.Input("", id);
                Assert.Equal(stores.Stored(id), input.Values);
                Assert.Equal(stores.Labels[id], input.Label);
            }
        }

        DatasetRecord whole = stores.Whole.Store.GetDataset(ShardedStores.Dataset)!;
        Assert.Equal((0L, (long)ShardedStores.Inputs, (long)ShardedStores.Inputs), (whole.IdStart, whole.Count, whole.TotalCount));
    }

    [Fact]
    public void Input_IdOfAnotherShard_FailedPreconditionNamingTheRange()
    {
        QueryEngine shard = stores.Shards[1].Engine;

        var other = Assert.Throws<DeepEverestException>(() => shard.Input("", 100));
        var outside = Assert.Throws<DeepEverestException>(() => shard.Input("", ShardedStores.Inputs));

        Assert.Equal(ErrorKind.FailedPrecondition, other.Kind);
        Assert.Contains("[250, 900)", other.Message, StringComparison.Ordinal);
        Assert.Equal(ErrorKind.NotFound, outside.Kind);
    }

    [Theory]
    [InlineData(10, ScoreKind.L2)]
    [InlineData(600, ScoreKind.L1)]
    [InlineData(1100, ScoreKind.LInf)]
    [InlineData(ShardedStores.Inputs + 2, ScoreKind.L2)]
    public void Similar_StoredTensorTargetAndExplicitGroup_ShardsEqualBruteForceAndMergeToTheWhole(int image, ScoreKind distance)
    {
        // As a router sends it: the group resolved once from the target's activations, the target
        // as a tensor in stored units.
        int[] group = NeuronGroups.Resolve(new GroupSpec.TopOfTarget(10), Shape, stores.Row(image));
        var query = new TopKQuery(ShardedStores.Model, ShardedStores.Dataset, ShardedStores.Layer, QueryType.Similar,
            new QueryTarget(null, stores.Stored(image), [1, 28, 28], StoredUnits: true), Explicit(group), K, distance, [], false, QueryFilter.None);

        CheckShardsAndMerge(query, stores.Row(image), _ => true);
    }

    [Theory]
    [InlineData(ScoreKind.Sum, 1)]
    [InlineData(ScoreKind.Mean, 2)]
    [InlineData(ScoreKind.L2Norm, 3)]
    public void Highest_ExplicitGroup_ShardsEqualBruteForceAndMergeToTheWhole(ScoreKind aggregate, int seed)
    {
        var random = new Random(seed);
        int[] group = [.. Enumerable.Range(0, stores.Neurons).OrderBy(_ => random.Next()).Take(12).Order()];
        var query = new TopKQuery(ShardedStores.Model, ShardedStores.Dataset, ShardedStores.Layer, QueryType.Highest,
            null, Explicit(group), K, aggregate, [], true, QueryFilter.None);

        CheckShardsAndMerge(query, null, _ => true);
    }

    [Fact]
    public void Filters_IdsAndRangeAcrossShardBoundaries_ShardsKeepTheirPartOnly()
    {
        var random = new Random(7);
        long[] ids = [.. Enumerable.Range(0, 150).Select(_ => (long)random.Next(ShardedStores.Inputs)).Distinct()];
        int[] group = NeuronGroups.Resolve(new GroupSpec.TopOfTarget(8), Shape, stores.Row(1203));
        var similar = new TopKQuery(ShardedStores.Model, ShardedStores.Dataset, ShardedStores.Layer, QueryType.Similar,
            new QueryTarget(null, stores.Stored(1203), [1, 28, 28], StoredUnits: true), Explicit(group), K, ScoreKind.L2, [], false, QueryFilter.None);
        var highest = similar with { Type = QueryType.Highest, Target = null, Score = ScoreKind.Sum, IncludeTarget = true };

        // The range runs from inside shard 0 through shard 1 into shard 2; the ids fall on every shard.
        CheckShardsAndMerge(similar with { Filter = new QueryFilter([], [], 200, 1000) }, stores.Row(1203), i => i is >= 200 and < 1000);
        CheckShardsAndMerge(highest with { Filter = new QueryFilter([], ids, null, null) }, null, i => ids.Contains(i));
        CheckShardsAndMerge(highest with { Filter = new QueryFilter([1, 3], ids, 240, null) }, null, i => ids.Contains(i) && i >= 240 && stores.Labels[i] is 1 or 3);
    }

    [Fact]
    public void Filters_EntirelyOnAnotherShard_EmptyAnswerNotAnError()
    {
        var query = new TopKQuery(ShardedStores.Model, ShardedStores.Dataset, ShardedStores.Layer, QueryType.Highest,
            null, Explicit([1, 2, 3]), K, ScoreKind.Sum, [], true, new QueryFilter([], [300, 301, 899], null, null));

        foreach (int s in new[] { 0, 2 })
        {
            foreach (TopKQuery q in new[] { query, query with { Filter = new QueryFilter([], [], 300, 800) } })
            {
                TopKUpdateInfo last = stores.Shards[s].Engine.Execute(q, CancellationToken.None).Last();
                Assert.True(last.Done);
                Assert.Empty(last.Hits);
                Assert.Equal(0, last.Stats.InputsTotal);
            }
        }

        Assert.Equal([300, 301, 899], stores.Shards[1].Engine.Execute(query, CancellationToken.None).Last().Hits.Select(h => h.InputId).Order());
    }

    [Fact]
    public void Filters_OutsideTheSource_InvalidArgumentOnEveryShard()
    {
        var query = new TopKQuery(ShardedStores.Model, ShardedStores.Dataset, ShardedStores.Layer, QueryType.Highest,
            null, Explicit([1]), K, ScoreKind.Sum, [], true, new QueryFilter([], [5, ShardedStores.Inputs], null, null));

        foreach ((_, QueryEngine engine) in stores.Shards)
        {
            Assert.Equal(ErrorKind.InvalidArgument, Assert.Throws<DeepEverestException>(() => engine.Execute(query, CancellationToken.None).Last()).Kind);
            Assert.Equal(ErrorKind.InvalidArgument, Assert.Throws<DeepEverestException>(
                () => engine.Execute(query with { Filter = new QueryFilter([], [], 100, ShardedStores.Inputs + 1) }, CancellationToken.None).Last()).Kind);
        }
    }

    [Theory]
    [InlineData(QueryStrategy.Bounds)]
    [InlineData(QueryStrategy.Nta)]
    [InlineData(QueryStrategy.ReprocessAll)]
    public void Similar_IdTarget_OwningShardEqualsBruteForceOthersRefuse(QueryStrategy strategy)
    {
        const int target = 640;
        var query = new TopKQuery(ShardedStores.Model, ShardedStores.Dataset, ShardedStores.Layer, QueryType.Similar,
            new QueryTarget(target, null), new GroupSpec.TopOfTarget(8), K, ScoreKind.L2, [], false, QueryFilter.None, strategy);
        (int start, int end) = ShardedStores.Ranges[1];

        var answer = Answer(stores.Shards[1].Engine, query);
        var other = Assert.Throws<DeepEverestException>(() => stores.Shards[2].Engine.Execute(query, CancellationToken.None).Last());
        var activations = Assert.Throws<DeepEverestException>(() => stores.Shards[0].Engine.Activations("", "", ShardedStores.Layer, new QueryTarget(target, null), 0, CancellationToken.None));

        Assert.Equal(Reference(query, stores.Row(target), i => i >= start && i < end && i != target), answer);
        Assert.Equal(ErrorKind.FailedPrecondition, other.Kind);
        Assert.Contains($"[900, 1200)", other.Message, StringComparison.Ordinal);
        Assert.Equal(ErrorKind.FailedPrecondition, activations.Kind);
        Assert.Equal(
            stores.Whole.Engine.Activations("", "", ShardedStores.Layer, new QueryTarget(target, null), 5, CancellationToken.None).Values,
            stores.Shards[1].Engine.Activations("", "", ShardedStores.Layer, new QueryTarget(target, null), 5, CancellationToken.None).Values);
    }

    [Theory]
    [InlineData(1000, 1201)]
    [InlineData(1200, 1300)]
    [InlineData(-1, 10)]
    [InlineData(50, 50)]
    public void Import_RangePastTheEndOrEmpty_InvalidArgumentNothingStored(long start, long end)
    {
        using StoreWriter store = stores.EmptyStore($"refused-{Guid.NewGuid():N}");

        var e = Assert.Throws<DeepEverestException>(() => DatasetImport.Import(store, ShardedStores.Request(stores.Parts, ImportSlice.Range(start, end)), DataFile.OpenTrusted));

        Assert.Equal(ErrorKind.InvalidArgument, e.Kind);
        Assert.Contains("input_range", e.Message, StringComparison.Ordinal);
        Assert.Empty(store.ListDatasets());
    }

    [Fact]
    public void Import_ShardIofN_CoversTheSourceOnceInNearEqualRanges()
    {
        var ranges = Enumerable.Range(0, 7).Select(i => ImportSlice.Shard(i, 7).Resolve(ShardedStores.Inputs)).ToArray();
        using StoreWriter store = stores.EmptyStore($"shard-of-{Guid.NewGuid():N}");

        DatasetRecord last = DatasetImport.Import(store, ShardedStores.Request(stores.Parts, ImportSlice.Shard(6, 7)), DataFile.OpenTrusted);

        Assert.Equal(0, ranges[0].Start);
        Assert.Equal(ShardedStores.Inputs, ranges[^1].End);
        Assert.All(ranges.Zip(ranges.Skip(1)), p => Assert.Equal(p.First.End, p.Second.Start));
        Assert.All(ranges, r => Assert.InRange(r.End - r.Start, ShardedStores.Inputs / 7, (ShardedStores.Inputs / 7) + 1));
        Assert.Equal((ranges[6].Start, ranges[6].End - ranges[6].Start), (last.IdStart, last.Count));
        Assert.Equal(ErrorKind.InvalidArgument, Assert.Throws<DeepEverestException>(() => ImportSlice.Shard(7, 7).Resolve(ShardedStores.Inputs)).Kind);
        Assert.Equal(ErrorKind.InvalidArgument, Assert.Throws<DeepEverestException>(() => ImportSlice.Shard(0, ShardedStores.Inputs + 1).Resolve(ShardedStores.Inputs)).Kind);
    }

    private long[] Shape => [.. stores.Whole.Store.GetModel(ShardedStores.Model)!.Layers.First(l => l.Name == ShardedStores.Layer).Shape];

    private static GroupSpec Explicit(int[] group) => new GroupSpec.Explicit([.. group.Select(j => new long[] { j })]);

    /// <summary>
    /// Checks, for Bounds and NTA, that the whole store and every shard answer brute force over
    /// the inputs <paramref name="keep"/> selects (restricted to each shard's range), and that the
    /// top k of the shards' answers merged by (score, id) is the whole store's answer.
    /// </summary>
    private void CheckShardsAndMerge(TopKQuery query, float[]? target, Func<int, bool> keep)
    {
        foreach (QueryStrategy strategy in new[] { QueryStrategy.Bounds, QueryStrategy.Nta })
        {
            TopKQuery q = query with { Strategy = strategy };
            var whole = Answer(stores.Whole.Engine, q);
            Assert.Equal(Reference(q, target, keep), whole);
            var merged = new List<(int Id, double Score)>();
            for (int s = 0; s < stores.Shards.Length; s++)
            {
                (int start, int end) = ShardedStores.Ranges[s];
                var answer = Answer(stores.Shards[s].Engine, q);
                Assert.Equal(Reference(q, target, i => i >= start && i < end && keep(i)), answer);
                merged.AddRange(answer);
            }

            double sign = query.Type == QueryType.Similar ? 1 : -1;
            Assert.Equal(whole, merged.OrderBy(h => sign * h.Score).ThenBy(h => h.Id).Take(query.K));
        }
    }

    private static (int Id, double Score)[] Answer(QueryEngine engine, TopKQuery query)
    {
        List<TopKUpdateInfo> updates = engine.Execute(query, CancellationToken.None).ToList();
        StreamInvariants.Check(updates, query.Type);
        Assert.True(updates[^1].Done);
        return [.. updates[^1].Hits.Select(h => (h.InputId, h.Score))];
    }

    /// <summary>Brute force from the full model's activations: the inputs kept, by (cost, global id).</summary>
    private (int Id, double Score)[] Reference(TopKQuery query, float[]? target, Func<int, bool> keep) =>
        BruteForce.Rank(query, stores.Activations, stores.Neurons, Shape, target ?? [], Enumerable.Range(0, ShardedStores.Inputs).Where(keep));
}
