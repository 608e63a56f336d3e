using DeepEverest.Core.Indexing;
using DeepEverest.Core.Query;
using DeepEverest.Core.Storage.Records;
using DeepEverest.Core.Tests.Query;
using DeepEverest.Kernels;
using Xunit.Abstractions;

namespace DeepEverest.Core.Tests.Text;

/// <summary>
/// The acceptance core of text queries: seeded random <c>highest</c> and <c>similar</c> queries over
/// the token items of Moby Dick, answered by the bounds strategy and by brute force (ReprocessAll),
/// compared with a reference computed independently (each window run alone, ranked by the scalar
/// cost definition, ties by item id).
/// </summary>
[Collection(MobyDickCollection.Name)]
public sealed class TextQueryExactnessTests(MobyDickStore moby, ITestOutputHelper output)
{
    [Fact]
    public void Index_TokenLayer_OneRowPerItem()
    {
        Assert.Equal(moby.Items, moby.Index.Inputs);
        Assert.Equal(MobyDickStore.Neurons, moby.Index.Neurons);
        Assert.Equal([1536L], moby.Index.LayerShape);
    }

    [Fact]
    public void RandomQueries_BoundsAndBruteForce_EqualReference()
    {
        using var engine = new QueryEngine(moby.Store, moby.Kernels, new QueryEngineOptions { CacheMb = 128 });
        var random = new Random(20261207);
        int[] groupSizes = [1, 3, 10, 64];
        int[] ks = [1, 5, 20, 100];
        const int Queries = 16;
        long windows = 0;
        for (int q = 0; q < Queries; q++)
        {
            TopKQuery query = RandomQuery(random, groupSizes[q % groupSizes.Length], ks[random.Next(ks.Length)]);
            (int Id, double Score)[] expected = Reference(query);
            QueryStrategy[] strategies = q % 8 == 0 ? [QueryStrategy.Bounds, QueryStrategy.ReprocessAll] : [QueryStrategy.Bounds];

            // Half the queries verify with the shared cache (rows of every token of the windows
            // run before), half without it (every candidate's window runs).
            bool cached = q % 2 == 1;
            foreach (QueryStrategy strategy in strategies)
            {
                List<TopKUpdateInfo> updates = engine.Execute(query with { Strategy = strategy, UseCache = cached }, CancellationToken.None).ToList();
                StreamInvariants.Check(updates, query.Type);
                TopKUpdateInfo last = updates[^1];
                string what = $"query {q} ({strategy}, {query.Type}, {query.Score}, group {query.Group}, k {query.K})";
                AssertSame(expected, last, what);
                QueryStatsInfo stats = last.Stats;
                Assert.True(stats.InputsInferred == 0 || stats.WindowsInferred > 0, $"{what}: {stats}");
                Assert.True(stats.WindowsInferred <= stats.InputsInferred && stats.TokensInferred >= stats.InputsInferred, $"{what}: {stats}");
                if (strategy == QueryStrategy.ReprocessAll)
                {
                    // Brute force computes every item (the target aside when excluded), a window at a
                    // time: each window exactly once, though its tokens fall in several batches (the
                    // query keeps the rows of the windows it ran).
                    Assert.InRange(stats.InputsInferred, moby.Items - 1, moby.Items);
                    Assert.True(stats.WindowsInferred == moby.Record.Text.Windows, $"{what}: {stats}");
                }
                else
                {
                    windows += cached ? 0 : stats.WindowsInferred;
                }
            }
        }

        output.WriteLine($"{Queries / 2} queries without the cache: bounds ran {windows} windows in all, of {moby.Record.Text.Windows} per brute-force pass");
    }

    [Fact]
    public void Similar_TargetInRepeatedWindow_TwinTiesAndComesByItemId()
    {
        // The echo document's first window repeats chapter 1's first: item e (echo) and item e - offset tie.
        TextDatasetInfo text = moby.Record.Text;
        TextDocumentRow echo = moby.Store.ReadTextDocument(moby.Record, (int)text.Documents - 1);
        TextWindowRow echoWindow = moby.Store.ReadTextWindows(moby.Record, [echo.FirstWindow])[0];
        TextWindowRow first = moby.Store.ReadTextWindows(moby.Record, [0])[0];
        Assert.Equal(first.TokenIds, echoWindow.TokenIds);
        long target = echoWindow.FirstItem + 5;
        var query = new TopKQuery(MobyDickStore.Model, MobyDickStore.Dataset, MobyDickStore.Layer, QueryType.Similar,
            new QueryTarget(target, null), new GroupSpec.TopOfTarget(8), 3, ScoreKind.L2, [], IncludeTarget: true, QueryFilter.None);
        using var engine = new QueryEngine(moby.Store, moby.Kernels, new QueryEngineOptions());

        TopKUpdateInfo last = engine.Execute(query, CancellationToken.None).Last();

        Assert.Equal([5, (int)target], last.Hits.Take(2).Select(h => h.InputId));
        Assert.Equal([0.0, 0.0], last.Hits.Take(2).Select(h => h.Score));
        AssertSame(Reference(query), last, "twin query");
    }

    [Fact]
    public void TextItem_ItemOfChapterOne_TokenWithItsContext()
    {
        using var engine = new QueryEngine(moby.Store, moby.Kernels, new QueryEngineOptions());

        // "CHAPTER 1. Loomings." is chapter 1 . looming ##s .
        TextItemInfo item = engine.TextItem(MobyDickStore.Dataset, 3);

        Assert.Equal(("chapter_1.txt", 0, 0, 3, "looming"), (item.DocumentName, item.Document, item.Window, item.Position, item.Token));
        Assert.Equal("Looming", item.WindowText[(item.CharStart - item.WindowTextStart)..(item.CharEnd - item.WindowTextStart)]);
        Assert.StartsWith("CHAPTER 1. Loomings.", item.WindowText, StringComparison.Ordinal);
        StoredInput input = engine.Input(MobyDickStore.Dataset, 3);
        Assert.Equal(item, input.Text);
        Assert.Empty(input.Values);
        Assert.Empty(input.Shape);
        Assert.Equal(-1, input.Label);
        Assert.Equal(ErrorKind.NotFound, Assert.Throws<DeepEverestException>(() => engine.TextItem(MobyDickStore.Dataset, moby.Items)).Kind);
    }

    [Fact]
    public void Resolve_FloatModelOverTextDataset_FailedPrecondition()
    {
        Core.Models.ModelCatalog.Register(moby.Store, "vgg", File.ReadAllBytes(TestPaths.DemoModel), replace: true);

        var error = Assert.Throws<DeepEverestException>(() => LayerProbe.Resolve(moby.Store, "vgg", MobyDickStore.Dataset, "/block4/block4.2/Relu_output_0"));

        Assert.Equal(ErrorKind.FailedPrecondition, error.Kind);
        Assert.Contains("is text", error.Message, StringComparison.Ordinal);
    }

    private void AssertSame((int Id, double Score)[] expected, TopKUpdateInfo last, string what)
    {
        Assert.True(expected.Length == last.Hits.Count, $"{what}: expected {expected.Length} hits, got {last.Hits.Count}");
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(expected[i].Id == last.Hits[i].InputId && expected[i].Score.Equals(last.Hits[i].Score),
                $"{what}: rank {i}: expected ({expected[i].Id}, {expected[i].Score:R}), got ({last.Hits[i].InputId}, {last.Hits[i].Score:R})");
        }
    }

    private TopKQuery RandomQuery(Random random, int groupSize, int k)
    {
        bool similar = random.Next(2) == 0;
        var target = new QueryTarget(random.Next(moby.Items), null);
        GroupSpec group = random.NextDouble() < 0.5
            ? new GroupSpec.TopOfTarget(groupSize)
            : new GroupSpec.Explicit(Enumerable.Range(0, MobyDickStore.Neurons).OrderBy(_ => random.Next()).Take(groupSize).Select(x => new long[] { x }).ToList());
        ScoreKind score = similar
            ? new[] { ScoreKind.L2, ScoreKind.L1, ScoreKind.LInf }[random.Next(3)]
            : new[] { ScoreKind.Sum, ScoreKind.Mean, ScoreKind.L2Norm }[random.Next(3)];
        return new TopKQuery(MobyDickStore.Model, MobyDickStore.Dataset, MobyDickStore.Layer, similar ? QueryType.Similar : QueryType.Highest,
            target, group, k, score, [], IncludeTarget: random.Next(2) == 0, QueryFilter.None);
    }

    /// <summary>The reference answer: every item's cost from the reference rows, sorted by (cost, id).</summary>
    private (int Id, double Score)[] Reference(TopKQuery query) => moby.Answer(query, Enumerable.Range(0, moby.Items));
}
