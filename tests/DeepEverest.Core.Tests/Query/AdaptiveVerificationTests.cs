using DeepEverest.Bench;
using DeepEverest.Core.Query;
using DeepEverest.Core.Query.Strategies;
using DeepEverest.Core.Tests.Support;
using DeepEverest.Kernels;
using Xunit.Abstractions;

namespace DeepEverest.Core.Tests.Query;

/// <summary>
/// Adaptive verification batches: a query whose oracle minimum is small infers about that many
/// inputs (not a whole batch of 64), with the same exact answer as fixed batches.
/// </summary>
[Collection(DemoStoreCollection.Name)]
public sealed class AdaptiveVerificationTests(DemoStore demo, ITestOutputHelper output)
{
    private const string Layer = "/block3/block3.2/Relu_output_0";

    [Fact]
    public void Execute_TinyOracleMinimum_InfersCloseToIt()
    {
        if (demo.Store.GetIndex(DemoStore.Model, DemoStore.Dataset, Layer) is null)
        {
            demo.BuildIndex(Layer, 8, 0.05);
        }

        using var engine = new QueryEngine(demo.Store, demo.Kernels, new QueryEngineOptions { CacheMb = 0 });
        int tiny = 0;
        for (int target = 0; target < 60 && tiny < 6; target++)
        {
            var query = new TopKQuery(DemoStore.Model, DemoStore.Dataset, Layer, QueryType.Highest, new QueryTarget(target, null),
                new GroupSpec.TopOfTarget(3), 20, ScoreKind.Sum, [], false, QueryFilter.None, UseCache: false);
            TopKUpdateInfo adaptive = engine.Execute(query, CancellationToken.None).Last();
            TopKUpdateInfo fixedRun = engine.Execute(query with { FixedBatches = true }, CancellationToken.None).Last();
            Assert.Equal(fixedRun.Hits.Select(h => (h.InputId, h.Score)), adaptive.Hits.Select(h => (h.InputId, h.Score)));
            HitInfo kth = adaptive.Hits[^1];
            long oracle = OracleMinimum.Of(engine, query, -kth.Score, kth.InputId, CancellationToken.None);
            output.WriteLine($"target {target}: oracle {oracle}, adaptive {adaptive.Stats.InputsInferred}, fixed 64: {fixedRun.Stats.InputsInferred}");
            Assert.True(adaptive.Stats.InputsInferred >= oracle, "no exact algorithm infers less than the oracle minimum");
            if (oracle is >= 1 and <= 8)
            {
                tiny++;
                // Starting at one input and doubling overshoots by less than the oracle itself.
                Assert.True(adaptive.Stats.InputsInferred <= (2 * oracle) + 1, $"target {target}: oracle {oracle} but {adaptive.Stats.InputsInferred} inferred");
                Assert.True(adaptive.Stats.InputsInferred < fixedRun.Stats.InputsInferred || fixedRun.Stats.InputsInferred <= (2 * oracle) + 1);
            }
        }

        Assert.True(tiny >= 3, $"only {tiny} queries with an oracle minimum in 1..8 among the targets tried");
    }

    [Fact]
    public void BatchCostModel_ExpensiveAndCheapModels_PickSmallAndLargeBatches()
    {
        var expensive = new BatchCostModel();
        var cheap = new BatchCostModel();
        foreach (int b in new[] { 1, 2, 4, 8, 16 })
        {
            expensive.Record(b, 0.3 + (15 * b));
            cheap.Record(b, 0.3 + (0.06 * b));
        }

        Assert.Equal(1, expensive.EfficientBatch(64));
        Assert.InRange(cheap.EfficientBatch(64), 40, 46);
        Assert.Equal(64, new BatchCostModel().EfficientBatch(64));
        (double overhead, double perInput) = cheap.Fit()!.Value;
        Assert.Equal(0.3, overhead, 6);
        Assert.Equal(0.06, perInput, 6);
    }
}
