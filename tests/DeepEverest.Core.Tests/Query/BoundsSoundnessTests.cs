using DeepEverest.Core.Tests.Support;
using DeepEverest.Kernels;
using Xunit.Abstractions;

namespace DeepEverest.Core.Tests.Query;

/// <summary>
/// Bounds are sound on real activations: every input's exact cost (from the full model) lies in
/// its tight bounds, which lie in its coarse bounds, for every score kind and group size, while
/// other threads compete for the cores (the kernels run chunks in parallel).
/// </summary>
[Collection(DemoStoreCollection.Name)]
public sealed class BoundsSoundnessTests(DemoStore demo, ITestOutputHelper output)
{
    [Fact]
    public async Task Bounds_RealActivationsUnderContention_ContainExactCosts()
    {
        string layer = "/block2/block2.5/Relu_output_0";
        var index = demo.Store.GetIndex(DemoStore.Model, DemoStore.Dataset, layer) ?? demo.BuildIndex(layer, 16, 0.01);
        int n = DemoStore.Inputs;
        var rnd = new Random(3);
        using var stop = new CancellationTokenSource();
        var noise = Task.Run(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                Parallel.For(0, 64, _ => Thread.SpinWait(20_000));
            }
        });
        int bad = 0;
        for (int rep = 0; rep < 48; rep++)
        {
            int g = new[] { 1, 3, 10, 64 }[rep % 4];
            int[] group = Enumerable.Range(0, 8192).OrderBy(_ => rnd.Next()).Take(g).ToArray();
            var kind = (ScoreKind)(rep % 6);
            bool dist = kind is ScoreKind.L2 or ScoreKind.L1 or ScoreKind.LInf;
            var cost = new CostFunction(kind, g, dist ? group.Select(_ => (float)rnd.NextDouble()).ToArray() : [], []);
            var data = demo.Store.ReadGroup(index, group);
            var problem = BoundsProblem.Create(cost, n, 16, data.Codes, data.PartMin, data.PartMax, data.MaiIds, data.MaiValues);
            var lo = new double[n];
            var hi = new double[n];
            demo.Kernels.GroupBounds(problem, lo, hi);
            int[] all = Enumerable.Range(0, n).ToArray();
            var tightLo = new double[n];
            var tightHi = new double[n];
            demo.Kernels.RefineBounds(problem, all, tightLo, tightHi);
            float[] rows = demo.FullActivations(layer);
            for (int i = 0; i < n; i++)
            {
                double c = cost.Cost(group.Select(j => rows[i * 8192 + j]).ToArray());
                if (!(lo[i] <= tightLo[i] && tightLo[i] <= c && c <= tightHi[i] && tightHi[i] <= hi[i]))
                {
                    if (bad++ < 5)
                    {
                        output.WriteLine($"rep {rep} {kind} g {g} input {i}: coarse [{lo[i]:R}, {hi[i]:R}] tight [{tightLo[i]:R}, {tightHi[i]:R}] exact {c:R}");
                    }
                }
            }
        }

        stop.Cancel();
        await noise;
        output.WriteLine($"bad {bad}");
        Assert.Equal(0, bad);
    }
}
