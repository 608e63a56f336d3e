using DeepEverest.Core.Query;
using DeepEverest.Core.Query.Planning;
using DeepEverest.Core.Query.Results;
using DeepEverest.Core.Storage.Records;
using DeepEverest.Core.Tests.Support;
using DeepEverest.Kernels;

namespace DeepEverest.Core.Tests.Text;

/// <summary>
/// Document metadata from names (TextSource.name_pattern) and filters by it (Filter.documents):
/// filtered answers equal the reference restricted to the documents' items.
/// </summary>
[Collection(MobyDickCollection.Name)]
public sealed class DocumentFilterTests(MobyDickStore moby)
{
    [Fact]
    public void Import_NamePattern_MetadataOnDocumentsAndInRecord()
    {
        TextDatasetInfo text = moby.Record.Text;
        int chapters = MobyDickStore.Chapters.Length;

        Assert.Equal(MobyDickStore.NamePattern, text.NamePattern);
        Assert.Equal(["part", "chapter"], text.Metadata.Select(k => k.Key));
        Assert.Equal(["chapter", "echo"], text.Metadata[0].Values);
        Assert.Equal([chapters, 1L], text.Metadata[0].Documents);
        string[] numbers = [.. MobyDickStore.Chapters.Select(p => Path.GetFileNameWithoutExtension(p)["chapter_".Length..])];
        Assert.Equal(["", .. numbers.Order(StringComparer.Ordinal)], text.Metadata[1].Values);
        Assert.Equal([1L, .. numbers.Select(_ => 1L)], text.Metadata[1].Documents);
        TextDocumentRow third = moby.Store.ReadTextDocument(moby.Record, 2);
        Assert.Equal(("chapter", numbers[2]), (third.Metadata["part"], third.Metadata["chapter"]));
        TextDocumentRow echo = moby.Store.ReadTextDocument(moby.Record, chapters);
        Assert.Equal(("echo", ""), (echo.Metadata["part"], echo.Metadata["chapter"]));

        // The documents' item ranges tile the items in order.
        long next = 0;
        for (int d = 0; d < text.Documents; d++)
        {
            TextDocumentRow row = moby.Store.ReadTextDocument(moby.Record, d);
            Assert.Equal(next, row.FirstItem);
            next += row.Items;
        }

        Assert.Equal(moby.Items, next);
    }

    [Fact]
    public void FilteredQueries_ByDocuments_EqualReferenceRestrictedToTheirItems()
    {
        using var engine = new QueryEngine(moby.Store, moby.Kernels, new QueryEngineOptions { CacheMb = 64 });
        DocumentMatch[][] filters =
        [
            [new DocumentMatch("chapter", ["2", "5"])],
            [new DocumentMatch("part", ["echo"])],
            [new DocumentMatch("part", ["chapter"]), new DocumentMatch("chapter", ["1", "4", "4"])],
        ];
        var random = new Random(21);
        int q = 0;
        foreach (DocumentMatch[] documents in filters)
        {
            HashSet<int> items = Items(documents);
            foreach (QueryType type in new[] { QueryType.Similar, QueryType.Highest })
            {
                long target = random.Next(moby.Items);
                var query = new TopKQuery(MobyDickStore.Model, MobyDickStore.Dataset, MobyDickStore.Layer, type, new QueryTarget(target, null),
                    new GroupSpec.TopOfTarget(type == QueryType.Similar ? 12 : 3), 20, type == QueryType.Similar ? ScoreKind.L2 : ScoreKind.Sum, [],
                    IncludeTarget: false, QueryFilter.None with { Documents = documents });
                foreach (QueryStrategy strategy in q++ % 3 == 0 ? new[] { QueryStrategy.Bounds, QueryStrategy.ReprocessAll } : [QueryStrategy.Bounds])
                {
                    TopKUpdateInfo last = engine.Execute(query with { Strategy = strategy }, CancellationToken.None).Last();

                    Assert.Equal(Reference(query, items), last.Hits.Select(h => (h.InputId, h.Score)));
                    Assert.Equal(items.Count - (items.Contains((int)target) && type == QueryType.Similar ? 1 : 0), last.Stats.InputsTotal);
                }
            }
        }
    }

    [Fact]
    public void Highest_DocumentsAndIdRange_CombineByAnd()
    {
        using var engine = new QueryEngine(moby.Store, moby.Kernels, new QueryEngineOptions());
        DocumentMatch[] documents = [new DocumentMatch("chapter", ["1", "2"])];
        HashSet<int> items = Items(documents);
        int middle = (int)items.Order().ElementAt(items.Count / 2);
        var query = new TopKQuery(MobyDickStore.Model, MobyDickStore.Dataset, MobyDickStore.Layer, QueryType.Highest, null,
            new GroupSpec.Explicit([[17], [900]]), 10, ScoreKind.Sum, [], IncludeTarget: false, new QueryFilter([], [], middle, moby.Items) { Documents = documents });

        TopKUpdateInfo last = engine.Execute(query, CancellationToken.None).Last();

        items.RemoveWhere(i => i < middle);
        Assert.Equal(Reference(query, items), last.Hits.Select(h => (h.InputId, h.Score)));
        Assert.Equal(items.Count, last.Stats.InputsTotal);
    }

    [Theory]
    [InlineData("year", "1", "filter.documents[0].key 'year' is not a metadata key of dataset 'moby' (keys: part, chapter)")]
    [InlineData("chapter", "3", "filter.documents[0].values: '3' is not a value of 'chapter' in dataset 'moby' (values: '', '1', '2', '4',")]
    [InlineData("part", "", "filter.documents[0].values: '' is not a value of 'part' in dataset 'moby' (values: 'chapter', 'echo')")]
    [InlineData("part", null, "filter.documents[0].values is empty")]
    public void Highest_UnknownKeyOrValue_InvalidArgumentNamingIt(string key, string? value, string message)
    {
        using var engine = new QueryEngine(moby.Store, moby.Kernels, new QueryEngineOptions());
        var query = new TopKQuery(MobyDickStore.Model, MobyDickStore.Dataset, MobyDickStore.Layer, QueryType.Highest, null,
            new GroupSpec.Explicit([[17]]), 5, ScoreKind.Sum, [], IncludeTarget: false, QueryFilter.None with { Documents = [new DocumentMatch(key, value is null ? [] : [value])] });

        var error = Assert.Throws<DeepEverestException>(() => engine.Execute(query, CancellationToken.None).Last());

        Assert.Equal(ErrorKind.InvalidArgument, error.Kind);
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Highest_DocumentFilterOnImageDataset_InvalidArgument()
    {
        using var scratch = new ScratchStore(8);
        using var engine = new QueryEngine(scratch.Store, scratch.Kernels, new QueryEngineOptions());
        TopKQuery query = ScratchStore.Similar(0, QueryStrategy.ReprocessAll) with { Filter = QueryFilter.None with { Documents = [new DocumentMatch("party", ["d"])] } };

        var error = Assert.Throws<DeepEverestException>(() => engine.Execute(query, CancellationToken.None).Last());

        Assert.Equal(ErrorKind.InvalidArgument, error.Kind);
        Assert.Contains("filter.documents applies to text datasets", error.Message, StringComparison.Ordinal);
    }

    /// <summary>The items of the documents whose metadata matches, from the store's document rows.</summary>
    private HashSet<int> Items(DocumentMatch[] documents)
    {
        var items = new HashSet<int>();
        for (int d = 0; d < moby.Record.Text.Documents; d++)
        {
            TextDocumentRow row = moby.Store.ReadTextDocument(moby.Record, d);
            if (documents.All(m => m.Values.Contains(row.Metadata[m.Key])))
            {
                items.UnionWith(Enumerable.Range((int)row.FirstItem, (int)row.Items));
            }
        }

        Assert.NotEmpty(items);
        return items;
    }

    /// <summary>The reference answer over <paramref name="items"/> only: costs from the reference rows, sorted by (cost, id).</summary>
    private (int Id, double Score)[] Reference(TopKQuery query, HashSet<int> items)
    {
        const int Neurons = MobyDickStore.Neurons;
        float[] rows = moby.Reference;
        float[] target = query.Target is null ? [] : rows.AsSpan((int)(query.Target.InputId!.Value * Neurons), Neurons).ToArray();
        int[] group = NeuronGroups.Resolve(query.Group!, [Neurons], target);
        bool distance = query.Type == QueryType.Similar;
        var cost = new CostFunction(query.Score, group.Length, distance ? group.Select(j => target[j]).ToArray() : [], query.Weights);
        var candidates = new List<(double Cost, int Id)>();
        var activations = new float[group.Length];
        foreach (int i in items)
        {
            if (distance && !query.IncludeTarget && query.Target!.InputId == i)
            {
                continue;
            }

            for (int j = 0; j < group.Length; j++)
            {
                activations[j] = rows[(i * Neurons) + group[j]];
            }

            candidates.Add((cost.Cost(activations), i));
        }

        candidates.Sort(TopKCollector.Compare);
        return [.. candidates.Take(query.K).Select(c => (c.Id, cost.ToScore(c.Cost)))];
    }
}
