using DeepEverest.Core.Indexing;
using DeepEverest.Core.Query;
using DeepEverest.Core.Query.Bounds;
using DeepEverest.Core.Tests.Support;
using DeepEverest.Kernels;
using Xunit.Abstractions;

namespace DeepEverest.Core.Tests.Query;

/// <summary>
/// Large groups (whole channels, rectangles of channels, partial channels) on real activations of
/// the demo model, where the index's channel summaries take part in the bounds: every bound
/// contains the exact cost, every answer equals brute force, and whole channels prune far better
/// than per-neuron bounds alone.
/// </summary>
[Collection(DemoStoreCollection.Name)]
public sealed class LargeGroupTests(DemoStore demo, ITestOutputHelper output)
{
    // [32, 16, 16]: two bands of 8 rows per channel; [64, 8, 8]: one segment per channel.
    private const string Banded = "/block2/block2.5/Relu_output_0";
    private const string Single = "/block3/block3.2/Relu_output_0";

    private static readonly ScoreKind[] _kinds = [ScoreKind.L2, ScoreKind.L1, ScoreKind.LInf, ScoreKind.Sum, ScoreKind.Mean, ScoreKind.L2Norm];

    [Fact]
    public void IndexBuild_ConvLayer_StoresSummariesWithinBudget()
    {
        var index = Index(Banded);
        SummaryLayout layout = SummaryLayout.FromRecord(index)!;
        Assert.Equal(32, layout.Channels);
        Assert.Equal(256, layout.ChannelSize);
        Assert.Equal([0, 128, 256], layout.Offsets);
        // Two float32 per input and segment: 4 per 256 neurons.
        double fraction = index.Summaries.Bytes / (4.0 * index.Inputs * index.Neurons);
        Assert.InRange(fraction, 0.015, 0.016);
        Assert.Null(SummaryLayout.Choose([128, 4, 4]));
        Assert.Null(SummaryLayout.Choose([256]));
    }

    [Fact]
    public void Bounds_LargeGroups_ContainExactCosts()
    {
        using var engine = new QueryEngine(demo.Store, demo.Kernels, new QueryEngineOptions { CacheMb = 0 });
        var random = new Random(7);
        int checkedQueries = 0;
        foreach (string layer in new[] { Banded, Single })
        {
            Index(layer);
            float[] rows = demo.FullActivations(layer);
            int neurons = rows.Length / (DemoStore.Inputs + DemoStore.OutsideImages);
            foreach (GroupSpec group in Groups(layer, random))
            {
                foreach (ScoreKind kind in _kinds)
                {
                    TopKQuery query = Query(layer, group, kind, random, k: 20);
                    IndexBoundsSample sample = engine.SampleBounds(query, CancellationToken.None);
                    float[] target = TargetRow(query, rows, neurons);
                    var cost = new CostFunction(kind, sample.Group.Length, IsDistance(kind) ? sample.Group.Select(j => target[j]).ToArray() : [], query.Weights);
                    var activations = new float[sample.Group.Length];
                    for (int r = 0; r < sample.Allowed.Length; r++)
                    {
                        int i = sample.Allowed[r];
                        for (int j = 0; j < activations.Length; j++)
                        {
                            activations[j] = rows[(i * neurons) + sample.Group[j]];
                        }

                        double exact = cost.Cost(activations);
                        Assert.True(
                            sample.CoarseLower[i] <= sample.TightLower[r] && sample.TightLower[r] <= exact && exact <= sample.TightUpper[r] && sample.TightUpper[r] <= sample.CoarseUpper[i],
                            $"{layer} {group} {kind} input {i}: coarse [{sample.CoarseLower[i]:R}, {sample.CoarseUpper[i]:R}] tight [{sample.TightLower[r]:R}, {sample.TightUpper[r]:R}] exact {exact:R}");
                    }

                    checkedQueries++;
                }
            }
        }

        output.WriteLine($"{checkedQueries} queries, every bound sound");
    }

    [Fact]
    public void LargeGroups_EveryKindAndShape_EqualBruteForce()
    {
        using var engine = new QueryEngine(demo.Store, demo.Kernels, new QueryEngineOptions { CacheMb = 0 });
        var random = new Random(11);
        foreach (string layer in new[] { Banded, Single })
        {
            Index(layer);
            foreach (GroupSpec group in Groups(layer, random))
            {
                foreach (ScoreKind kind in _kinds)
                {
                    TopKQuery query = Query(layer, group, kind, random, k: new[] { 1, 20, 100 }[random.Next(3)]);
                    (int Id, double Score)[] expected = BruteForce.Answer(demo, query);
                    List<TopKUpdateInfo> updates = engine.Execute(query, CancellationToken.None).ToList();
                    StreamInvariants.Check(updates, query.Type);
                    IReadOnlyList<HitInfo> hits = updates[^1].Hits;
                    Assert.Equal(expected.Length, hits.Count);
                    for (int i = 0; i < expected.Length; i++)
                    {
                        Assert.True(expected[i].Id == hits[i].InputId && expected[i].Score.Equals(hits[i].Score),
                            $"{layer} {group} {kind} k {query.K} rank {i}: expected ({expected[i].Id}, {expected[i].Score:R}), got ({hits[i].InputId}, {hits[i].Score:R})");
                    }
                }
            }
        }
    }

    /// <summary>
    /// Issue 23: with include_target, a whole channel and l1 or linf, the target (at distance 0) was
    /// missing from its own answer. Every gap between its summaries and themselves is 0, a 0 moved
    /// one ulp down is negative, and its square root (NaN) became the target's bounds.
    /// </summary>
    [Theory]
    [InlineData(ScoreKind.L1)]
    [InlineData(ScoreKind.LInf)]
    [InlineData(ScoreKind.L2)]
    public void IncludeTarget_WholeChannel_TargetRanksFirst(ScoreKind kind)
    {
        Index(Single);
        using var engine = new QueryEngine(demo.Store, demo.Kernels, new QueryEngineOptions { CacheMb = 0 });
        foreach (int target in new[] { 7, 500, 1234 })
        {
            foreach (int channel in new[] { 55, 3, 20 })
            {
                var group = new GroupSpec.Rectangle([(channel, channel + 1), (0, 8), (0, 8)]);
                var query = new TopKQuery(DemoStore.Model, DemoStore.Dataset, Single, QueryType.Similar, new QueryTarget(target, null), group, 5,
                    kind, [], IncludeTarget: true, QueryFilter.None, UseCache: false);
                IndexBoundsSample sample = engine.SampleBounds(query, CancellationToken.None);
                int position = Array.IndexOf(sample.Allowed, target);
                Assert.True(sample.Summaries);
                Assert.True(sample.TightLower[position] <= 0 && sample.TightUpper[position] >= 0,
                    $"{kind} target {target} channel {channel}: its own bounds [{sample.TightLower[position]:R}, {sample.TightUpper[position]:R}] miss 0");

                (int Id, double Score)[] expected = BruteForce.Answer(demo, query);
                IReadOnlyList<HitInfo> hits = engine.Execute(query, CancellationToken.None).Last().Hits;
                Assert.Equal((target, 0.0), expected[0]);
                Assert.Equal(expected.Select(h => (h.Id, h.Score)), hits.Select(h => (h.InputId, h.Score)));
            }
        }
    }

    [Fact]
    public void WholeChannel_WithSummaries_InfersFewInputs()
    {
        using var engine = new QueryEngine(demo.Store, demo.Kernels, new QueryEngineOptions { CacheMb = 0 });
        Index(Banded);
        long inferred = 0;
        int queries = 0;
        foreach (int channel in new[] { 0, 9, 21 })
        {
            foreach (QueryType type in new[] { QueryType.Highest, QueryType.Similar })
            {
                var group = new GroupSpec.Rectangle([(channel, channel + 1), (0, 16), (0, 16)]);
                var query = new TopKQuery(DemoStore.Model, DemoStore.Dataset, Banded, type, new QueryTarget(17 + channel, null), group, 20,
                    type == QueryType.Similar ? ScoreKind.L2 : ScoreKind.Sum, [], false, QueryFilter.None, UseCache: false);
                TopKUpdateInfo last = engine.Execute(query, CancellationToken.None).Last();
                output.WriteLine($"channel {channel} {type}: inferred {last.Stats.InputsInferred}, exact from index {last.Stats.ExactFromIndex}");
                inferred += last.Stats.InputsInferred;
                queries++;
            }
        }

        // Per-neuron bounds of 256 neurons alone infer several hundred inputs per query here.
        Assert.True(inferred <= queries * DemoStore.Inputs / 20, $"whole channels inferred {inferred} inputs in {queries} queries (more than 5%)");
    }

    private static bool IsDistance(ScoreKind kind) => kind is ScoreKind.L2 or ScoreKind.L1 or ScoreKind.LInf;

    private DeepEverest.Core.Storage.Records.IndexRecord Index(string layer) =>
        demo.Store.GetIndex(DemoStore.Model, DemoStore.Dataset, layer) is { Summaries: not null } index
            ? index
            : demo.BuildIndex(layer, layer == Banded ? 16 : 8, layer == Banded ? 0.01 : 0.05);

    /// <summary>Whole channels, several channels, bands, bands plus rows, no whole band, and mixed groups.</summary>
    private static List<GroupSpec> Groups(string layer, Random random)
    {
        int channels = layer == Banded ? 32 : 64;
        int side = layer == Banded ? 16 : 8;
        int c = random.Next(channels - 3);
        var groups = new List<GroupSpec>
        {
            new GroupSpec.Rectangle([(c, c + 1), (0, side), (0, side)]),
            new GroupSpec.Rectangle([(c, c + 3), (0, side), (0, side)]),
            new GroupSpec.Rectangle([(c, c + 2), (0, side / 2), (0, side)]),
            new GroupSpec.Rectangle([(c, c + 1), (0, (side / 2) + 3), (0, side)]),
            new GroupSpec.Rectangle([(c, c + 2), (2, side), (0, side / 2)]),
        };

        // A whole channel in an explicit list, mixed with neurons of other channels, shuffled.
        var neurons = Enumerable.Range(c * side * side, side * side).Select(j => (long)j).ToList();
        neurons.AddRange(Enumerable.Range(0, 5).Select(_ => (long)(((c + 3) * side * side) + random.Next(side * side))).Distinct());
        groups.Add(new GroupSpec.Explicit(neurons.OrderBy(_ => random.Next()).Select(j => new[] { j }).ToList()));
        return groups;
    }

    private TopKQuery Query(string layer, GroupSpec group, ScoreKind kind, Random random, int k)
    {
        bool distance = IsDistance(kind);
        QueryTarget? target = distance && random.Next(4) == 0
            ? new QueryTarget(null, demo.Image(DemoStore.Inputs + random.Next(DemoStore.OutsideImages)))
            : new QueryTarget(random.Next(DemoStore.Inputs), null);
        int size = group switch
        {
            GroupSpec.Rectangle r => (int)r.Ranges.Aggregate(1L, (a, x) => a * (x.End!.Value - x.Start)),
            GroupSpec.Explicit e => e.Neurons.Count,
            _ => 0,
        };
        float[] weights = !distance ? [] : random.Next(3) switch
        {
            0 => Enumerable.Repeat(0.5f, size).ToArray(),
            1 => Enumerable.Range(0, size).Select(_ => (float)Math.Round(random.NextDouble() * 2, 2)).ToArray(),
            _ => [],
        };
        QueryFilter filter = random.Next(4) == 0 ? new QueryFilter([], [], 300, 1800) : QueryFilter.None;
        // include_target matters for distances: the target's own row has every summary gap 0.
        bool includeTarget = target.InputId is not null && random.Next(2) == 0;
        return new TopKQuery(DemoStore.Model, DemoStore.Dataset, layer, distance ? QueryType.Similar : QueryType.Highest,
            target, group, k, kind, weights, includeTarget, filter, UseCache: false);
    }

    private float[] TargetRow(TopKQuery query, float[] rows, int neurons)
    {
        int row = query.Target!.InputId is { } id
            ? (int)id
            : DemoStore.Inputs + Enumerable.Range(0, DemoStore.OutsideImages).First(o => demo.Image(DemoStore.Inputs + o).SequenceEqual(query.Target.Tensor!));
        return rows.AsSpan(row * neurons, neurons).ToArray();
    }
}
