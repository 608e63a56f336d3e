using DeepEverest.Core.Query;
using DeepEverest.Core.Tests.Support;
using DeepEverest.Kernels;
using Xunit.Abstractions;

namespace DeepEverest.Core.Tests.Query;

/// <summary>
/// Limits from a router (<see cref="ExternalLimits"/>): a quarter of the inputs (a range filter,
/// as a shard holds) queried with random limits that are valid bounds of the whole dataset's answer
/// (a k-th exact hit no better than its k-th, an answer bound no better than its k-th cost) returns
/// every member of that answer in the quarter that orders before the limit, exactly, and infers
/// less than the quarter queried alone.
/// </summary>
[Collection(DemoStoreCollection.Name)]
public sealed class ExternalLimitsTests(DemoStore demo, ITestOutputHelper output)
{
    private const string Layer = "/block3/block3.2/Relu_output_0";
    private const int K = 10;

    [Fact]
    public void Execute_RandomValidLimits_KeepTheAnswerAndInferLess()
    {
        if (demo.Store.GetIndex(DemoStore.Model, DemoStore.Dataset, Layer) is null)
        {
            demo.BuildIndex(Layer, 8, 0.05);
        }

        using var engine = new QueryEngine(demo.Store, demo.Kernels, new QueryEngineOptions { CacheMb = 0 });
        var random = new Random(20);
        long plainTotal = 0;
        long limitedTotal = 0;
        int stoppedByLimits = 0;
        for (int target = 0; target < 24; target++)
        {
            bool highest = target % 2 == 0;
            var query = new TopKQuery(DemoStore.Model, DemoStore.Dataset, Layer, highest ? QueryType.Highest : QueryType.Similar, new QueryTarget(target, null),
                new GroupSpec.TopOfTarget(3 + (target % 3)), K, highest ? ScoreKind.Sum : ScoreKind.L2, [], false, QueryFilter.None, UseCache: false);
            int beyond = random.Next(0, 4);
            TopKUpdateInfo wide = engine.Execute(query with { K = K + beyond + 1 }, CancellationToken.None).Last();
            TopKUpdateInfo whole = engine.Execute(query, CancellationToken.None).Last();
            long quarter = (whole.Stats.InputsTotal + 1) / 4;
            long start = quarter * (target % 4);
            TopKQuery shard = query with { Filter = new QueryFilter([], [], start, start + quarter) };
            TopKUpdateInfo plain = engine.Execute(shard, CancellationToken.None).Last();
            double Cost(HitInfo h) => highest ? -h.Score : h.Score;

            // The router's k-th: an exact hit at rank K + beyond (the answer's k-th, or worse).
            HitInfo limit = wide.Hits[K - 1 + beyond];
            double answerKth = Cost(whole.Hits[K - 1]);
            double bound = answerKth - (Math.Abs(answerKth) * random.NextDouble() * 0.5);
            var limits = new ExternalLimits();
            limits.Improve(double.NaN, 0, bound);
            var updates = new List<TopKUpdateInfo>();
            foreach (TopKUpdateInfo update in engine.Execute(shard with { Limits = limits }, CancellationToken.None))
            {
                // The k-th arrives while the query runs, as it does from a router.
                limits.Improve(Cost(limit), limit.InputId, double.NaN);
                updates.Add(update);
            }

            TopKUpdateInfo last = updates[^1];
            Assert.True(last.Done);
            Assert.All(last.Hits, h => Assert.False(double.IsNaN(h.Score)));
            (int, double)[] allowed = [.. whole.Hits
                .Where(h => h.InputId >= start && h.InputId < start + quarter && Before(Cost(h), h.InputId, Cost(limit), limit.InputId))
                .Select(h => (h.InputId, h.Score))];
            Assert.Equal(allowed, last.Hits.Take(allowed.Length).Select(h => (h.InputId, h.Score)));
            Assert.Equal(plain.Hits.Take(allowed.Length).Select(h => (h.InputId, h.Score)), allowed);

            stoppedByLimits += last.StoppedByLimits ? 1 : 0;
            plainTotal += plain.Stats.InputsInferred;
            limitedTotal += last.Stats.InputsInferred;
            output.WriteLine($"target {target} ({(highest ? "highest" : "similar")}): beyond {beyond}, plain {plain.Stats.InputsInferred}, limited {last.Stats.InputsInferred}, stopped by limits {last.StoppedByLimits}");
        }

        output.WriteLine($"total: plain {plainTotal}, limited {limitedTotal}, {stoppedByLimits} stopped by limits");
        Assert.True(limitedTotal < plainTotal, $"limits saved nothing: {limitedTotal} vs {plainTotal} inferences");
        Assert.True(stoppedByLimits > 0, "no query stopped on the limits");
    }

    [Fact]
    public void Execute_NoLimits_NeverReportsStoppedByLimits()
    {
        if (demo.Store.GetIndex(DemoStore.Model, DemoStore.Dataset, Layer) is null)
        {
            demo.BuildIndex(Layer, 8, 0.05);
        }

        using var engine = new QueryEngine(demo.Store, demo.Kernels, new QueryEngineOptions { CacheMb = 0 });
        var query = new TopKQuery(DemoStore.Model, DemoStore.Dataset, Layer, QueryType.Similar, new QueryTarget(3, null),
            new GroupSpec.TopOfTarget(4), K, ScoreKind.L2, [], false, QueryFilter.None, UseCache: false);
        Assert.All(engine.Execute(query, CancellationToken.None), u => Assert.False(u.StoppedByLimits));
    }

    private static bool Before(double cost, long id, double limitCost, long limitId) => cost < limitCost || (cost == limitCost && id < limitId);
}
