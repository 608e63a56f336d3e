using DeepEverest.Core.Query;
using DeepEverest.Core.Storage.Records;
using DeepEverest.Core.Tests.Support;
using DeepEverest.Core.Text;
using DeepEverest.Kernels;

namespace DeepEverest.Core.Tests.Text;

/// <summary>
/// Raw-text targets (docs/text.md, "Raw-text targets"): the text of a stored window with a token
/// position is that item, bit for bit, and answers as the item does; bad text is refused naming
/// the field.
/// </summary>
[Collection(MobyDickCollection.Name)]
public sealed class TextTargetTests(MobyDickStore moby)
{
    [Fact]
    public void Tokenize_DocumentedExample_SixTokens()
    {
        WordPieceTokenizer tokenizer = WordPieceTokenizer.Load(File.ReadAllBytes(MobyDickStore.VocabPath), "vocab");

        List<TextToken> tokens = tokenizer.Tokenize("Call me Ishmael.");

        // The example of TextTarget.token in query_service.proto.
        Assert.Equal(["call", "me", "is", "##hma", "##el", "."], tokens.Select(t => tokenizer.Token(t.Id)));
    }

    [Fact]
    public void Activations_StoredWindowTextAndPosition_BitIdenticalToTheItem()
    {
        using var engine = new QueryEngine(moby.Store, moby.Kernels, new QueryEngineOptions());
        int checkedWindows = 0;
        foreach ((TextWindowRow window, int position) in Windows(new Random(7), 6))
        {
            float[] item = engine.Activations(MobyDickStore.Model, MobyDickStore.Dataset, MobyDickStore.Layer, new QueryTarget(window.FirstItem + position, null), 0, CancellationToken.None).Values;

            float[] text = engine.Activations(MobyDickStore.Model, MobyDickStore.Dataset, MobyDickStore.Layer, new QueryTarget(null, null, Text: window.Text, Token: position), 0, CancellationToken.None).Values;

            Assert.Equal(item, text);
            Assert.Equal(moby.Reference.AsSpan((int)((window.FirstItem + position) * MobyDickStore.Neurons), MobyDickStore.Neurons).ToArray(), text);
            checkedWindows++;
        }

        Assert.Equal(6, checkedWindows);
    }

    [Fact]
    public void SimilarAndHighest_TextOfStoredWindow_SameAnswerAsItemTarget()
    {
        using var engine = new QueryEngine(moby.Store, moby.Kernels, new QueryEngineOptions());
        foreach ((TextWindowRow window, int position) in Windows(new Random(11), 2))
        {
            var item = new QueryTarget(window.FirstItem + position, null);
            var text = new QueryTarget(null, null, Text: window.Text, Token: position);

            // A text target is no dataset item: nothing is excluded, as with include_target on the item.
            var similar = new TopKQuery(MobyDickStore.Model, MobyDickStore.Dataset, MobyDickStore.Layer, QueryType.Similar, item,
                new GroupSpec.TopOfTarget(16), 20, ScoreKind.L2, [], IncludeTarget: true, QueryFilter.None);
            var highest = new TopKQuery(MobyDickStore.Model, MobyDickStore.Dataset, MobyDickStore.Layer, QueryType.Highest, item,
                new GroupSpec.TopOfTarget(4), 20, ScoreKind.Sum, [], IncludeTarget: false, QueryFilter.None);

            Assert.Equal(Answer(engine, similar), Answer(engine, similar with { Target = text, IncludeTarget = false }));
            Assert.Equal(Answer(engine, highest), Answer(engine, highest with { Target = text }));
            Assert.Equal(0.0, Answer(engine, similar with { Target = text, IncludeTarget = false })[0].Score);
        }
    }

    [Theory]
    [InlineData("", 0, "target.text.text is empty")]
    [InlineData("   \n", 0, "target.text.text is empty")]
    [InlineData("Call me Ishmael.", 6, "target.text.token is 6; the text has 6 tokens: give 0..5")]
    [InlineData("Call me Ishmael.", -1, "target.text.token is -1")]
    [InlineData("\u0001\u0002", 0, "target.text.text has no tokens")]
    [InlineData("long", 0, "target.text.text has 65 tokens; dataset 'moby' runs windows of at most 64")]
    public void Similar_BadTextTarget_InvalidArgumentNamingTheField(string text, int token, string message)
    {
        using var engine = new QueryEngine(moby.Store, moby.Kernels, new QueryEngineOptions());
        text = text == "long" ? string.Join(' ', Enumerable.Repeat("whale", 65)) : text;
        var query = new TopKQuery(MobyDickStore.Model, MobyDickStore.Dataset, MobyDickStore.Layer, QueryType.Similar,
            new QueryTarget(null, null, Text: text, Token: token), new GroupSpec.TopOfTarget(3), 5, ScoreKind.L2, [], IncludeTarget: false, QueryFilter.None);

        var error = Assert.Throws<DeepEverestException>(() => engine.Execute(query, CancellationToken.None).Last());

        Assert.Equal(ErrorKind.InvalidArgument, error.Kind);
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Similar_TextTargetWithIncludeTarget_InvalidArgument()
    {
        using var engine = new QueryEngine(moby.Store, moby.Kernels, new QueryEngineOptions());
        var query = new TopKQuery(MobyDickStore.Model, MobyDickStore.Dataset, MobyDickStore.Layer, QueryType.Similar,
            new QueryTarget(null, null, Text: "Call me Ishmael.", Token: 2), new GroupSpec.TopOfTarget(3), 5, ScoreKind.L2, [], IncludeTarget: true, QueryFilter.None);

        var error = Assert.Throws<DeepEverestException>(() => engine.Execute(query, CancellationToken.None).Last());

        Assert.Equal(ErrorKind.InvalidArgument, error.Kind);
        Assert.Contains("include_target", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Similar_RawTensorTargetOnText_StillInvalidArgument()
    {
        using var engine = new QueryEngine(moby.Store, moby.Kernels, new QueryEngineOptions());
        var query = new TopKQuery(MobyDickStore.Model, MobyDickStore.Dataset, MobyDickStore.Layer, QueryType.Similar,
            new QueryTarget(null, [1f]), new GroupSpec.TopOfTarget(3), 5, ScoreKind.L2, [], IncludeTarget: false, QueryFilter.None);

        var error = Assert.Throws<DeepEverestException>(() => engine.Execute(query, CancellationToken.None).Last());

        Assert.Equal(ErrorKind.InvalidArgument, error.Kind);
    }

    [Fact]
    public void Similar_TextTargetOnImageDataset_InvalidArgument()
    {
        using var scratch = new ScratchStore(8);
        using var engine = new QueryEngine(scratch.Store, scratch.Kernels, new QueryEngineOptions());
        TopKQuery query = ScratchStore.Similar(0, QueryStrategy.ReprocessAll) with { Target = new QueryTarget(null, null, Text: "Call me Ishmael.", Token: 0) };

        var error = Assert.Throws<DeepEverestException>(() => engine.Execute(query, CancellationToken.None).Last());

        Assert.Equal(ErrorKind.InvalidArgument, error.Kind);
        Assert.Contains("target.text applies to text datasets", error.Message, StringComparison.Ordinal);
    }

    private static (int Id, double Score)[] Answer(QueryEngine engine, TopKQuery query) =>
        [.. engine.Execute(query, CancellationToken.None).Last().Hits.Select(h => (h.InputId, h.Score))];

    /// <summary>
    /// Random windows whose text tokenizes back to the window's own tokens, each with a random
    /// position. Sentence-aligned windows do; a window cut inside a long sentence may start inside
    /// a word, whose text alone tokenizes differently, so it is skipped.
    /// </summary>
    private IEnumerable<(TextWindowRow Window, int Position)> Windows(Random random, int count)
    {
        WordPieceTokenizer tokenizer = WordPieceTokenizer.Load(File.ReadAllBytes(MobyDickStore.VocabPath), "vocab");
        int windows = (int)moby.Record.Text.Windows;
        int found = 0;
        foreach (int w in new[] { 0, windows - 1 }.Concat(Enumerable.Range(1, windows - 2).OrderBy(_ => random.Next())))
        {
            TextWindowRow window = moby.Store.ReadTextWindows(moby.Record, [w])[0];
            if (!tokenizer.Tokenize(window.Text).Select(t => t.Id).SequenceEqual(window.TokenIds))
            {
                continue;
            }

            yield return (window, random.Next(window.TokenIds.Count));
            if (++found == count)
            {
                yield break;
            }
        }
    }
}
