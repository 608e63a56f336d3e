using DeepEverest.Core.Query;
using DeepEverest.Core.Tests.Support;
using DeepEverest.Kernels;
using Xunit.Abstractions;

namespace DeepEverest.Core.Tests.Query;

/// <summary>
/// Exactness first: hundreds of seeded random queries over real activations of the demo model,
/// every strategy's final answer compared with brute force computed from the FULL model's outputs,
/// plus the invariants of the progressive stream.
/// </summary>
[Collection(DemoStoreCollection.Name)]
public sealed class QueryExactnessTests(DemoStore demo, ITestOutputHelper output)
{
    private static readonly (string Layer, int Partitions, double Ratio)[] _layers =
    [
        ("/block2/block2.5/Relu_output_0", 16, 0.01),
        ("/block3/block3.2/Relu_output_0", 8, 0.05),
        ("/classifier/classifier.2/Relu_output_0", 32, 0.0),
    ];

    [Fact]
    public void RandomQueries_EveryStrategy_EqualsBruteForce()
    {
        foreach (var (layer, p, r) in _layers)
        {
            if (demo.Store.GetIndex(DemoStore.Model, DemoStore.Dataset, layer) is null)
            {
                demo.BuildIndex(layer, p, r);
            }

            if (demo.Store.GetMaterialization(DemoStore.Model, DemoStore.Dataset, layer) is null)
            {
                new Core.Indexing.IndexBuilder(demo.Store, demo.Kernels, new Core.Indexing.IndexBuildOptions())
                    .Materialize(DemoStore.Model, DemoStore.Dataset, layer, 0, null, CancellationToken.None);
            }
        }

        using var engine = new QueryEngine(demo.Store, demo.Kernels, new QueryEngineOptions { CacheMb = 64 });
        var random = new Random(20261125);
        int[] groupSizes = [1, 3, 10, 64];
        int[] ks = [1, 5, 20, 100, 500];
        long boundsInferred = 0, ntaInferred = 0;
        const int Queries = 320;
        for (int q = 0; q < Queries; q++)
        {
            var (layer, _, _) = _layers[q % _layers.Length];
            TopKQuery query = RandomQuery(random, layer, groupSizes[random.Next(groupSizes.Length)], ks[random.Next(ks.Length)]);
            var expected = BruteForce.Answer(demo, query);
            QueryStrategy[] strategies = q % 16 == 0
                ? [QueryStrategy.Bounds, QueryStrategy.Nta, QueryStrategy.Materialized, QueryStrategy.ReprocessAll]
                : [QueryStrategy.Bounds, QueryStrategy.Nta, QueryStrategy.Materialized];
            foreach (QueryStrategy strategy in strategies)
            {
                List<TopKUpdateInfo> updates = engine.Execute(query with { Strategy = strategy }, CancellationToken.None).ToList();
                StreamInvariants.Check(updates, query.Type);
                TopKUpdateInfo last = updates[^1];
                string what = $"query {q} ({strategy}, {query.Type}, {query.Score}, {layer}, group {query.Group}, k {query.K})";
                Assert.True(expected.Length == last.Hits.Count, $"{what}: expected {expected.Length} hits, got {last.Hits.Count}");
                for (int i = 0; i < expected.Length; i++)
                {
                    if (expected[i].Id != last.Hits[i].InputId)
                    {
                        output.WriteLine($"{what} filter {query.Filter.Labels.Length}/{query.Filter.Ids.Length}/{query.Filter.RangeStart} stats {last.Stats} updates {updates.Count}");
                        output.WriteLine($"expected {expected[i].Id} at {i}; got it at {last.Hits.ToList().FindIndex(h => h.InputId == expected[i].Id)}; got {last.Hits[i].InputId} expected at {Array.FindIndex(expected, e => e.Id == last.Hits[i].InputId)}");
                        output.WriteLine("got scores " + string.Join(" ", last.Hits.Skip(Math.Max(0, i - 3)).Take(6).Select(h => $"{h.InputId}:{h.Score:R}")));
                        output.WriteLine("exp scores " + string.Join(" ", expected.Skip(Math.Max(0, i - 3)).Take(6).Select(h => $"{h.Id}:{h.Score:R}")));
                    }

                    Assert.True(expected[i].Id == last.Hits[i].InputId && expected[i].Score.Equals(last.Hits[i].Score),
                        $"{what}: rank {i}: expected ({expected[i].Id}, {expected[i].Score:R}), got ({last.Hits[i].InputId}, {last.Hits[i].Score:R})");
                }

                if (strategy == QueryStrategy.Bounds)
                {
                    boundsInferred += last.Stats.InputsInferred + last.Stats.CacheHits;
                }
                else if (strategy == QueryStrategy.Nta)
                {
                    ntaInferred += last.Stats.InputsInferred + last.Stats.CacheHits;
                }
            }
        }

        output.WriteLine($"{Queries} queries: bounds verified {boundsInferred} inputs, NTA {ntaInferred}");
    }

    private TopKQuery RandomQuery(Random random, string layer, int groupSize, int k)
    {
        bool similar = random.NextDouble() < 0.6;
        bool outside = similar && random.NextDouble() < 0.2;
        QueryTarget target = outside
            ? new QueryTarget(null, demo.Image(DemoStore.Inputs + random.Next(DemoStore.OutsideImages)))
            : new QueryTarget(random.Next(DemoStore.Inputs), null);
        int neurons = (int)demo.Store.GetModel(DemoStore.Model)!.Layers.First(l => l.Name == layer).Neurons;
        GroupSpec group = random.NextDouble() < 0.6
            ? new GroupSpec.TopOfTarget(groupSize)
            : new GroupSpec.Explicit(Enumerable.Range(0, neurons).OrderBy(_ => random.Next()).Take(groupSize).Select(x => new long[] { x }).ToList());
        ScoreKind score = similar
            ? new[] { ScoreKind.L2, ScoreKind.L1, ScoreKind.LInf }[random.Next(3)]
            : new[] { ScoreKind.Sum, ScoreKind.Mean, ScoreKind.L2Norm }[random.Next(3)];
        float[] weights = similar && random.NextDouble() < 0.2
            ? Enumerable.Range(0, groupSize).Select(_ => (float)Math.Round(random.NextDouble() * 2, 2)).ToArray()
            : [];
        QueryFilter filter = random.Next(8) switch
        {
            0 or 1 => new QueryFilter(Enumerable.Range(0, 10).OrderBy(_ => random.Next()).Take(3).ToArray(), [], null, null),
            2 => new QueryFilter([], [], 500, 2000),
            3 => new QueryFilter([], Enumerable.Range(0, 300).Select(_ => (long)random.Next(DemoStore.Inputs)).Distinct().ToArray(), null, null),
            _ => QueryFilter.None,
        };
        return new TopKQuery(DemoStore.Model, DemoStore.Dataset, layer, similar ? QueryType.Similar : QueryType.Highest,
            target, group, k, score, weights, IncludeTarget: random.Next(2) == 0 && !outside, filter);
    }
}
