using DeepEverest.Core.Datasets;
using DeepEverest.Core.Storage;
using DeepEverest.Core.Storage.Records;
using DeepEverest.Core.Text;
using FastBertTokenizer;

namespace DeepEverest.Core.Tests.Text;

/// <summary>Text imports: tokenization, windows, stored rows, and refusals that write nothing.</summary>
[Collection(MobyDickCollection.Name)]
public sealed class TextImportTests(MobyDickStore moby) : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "deepeverest-tests", Guid.NewGuid().ToString("N"));
    private StoreWriter? _store;

    private StoreWriter Store
    {
        get
        {
            if (_store is null)
            {
                Directory.CreateDirectory(_root);
                _store = StoreWriter.OpenPrimary(Path.Combine(_root, "store"));
            }

            return _store;
        }
    }

    [Fact]
    public void Tokenize_MobyDickChapters_SameIdsAsEncodingTheWholeText()
    {
        byte[] vocab = File.ReadAllBytes(MobyDickStore.VocabPath);
        WordPieceTokenizer ours = WordPieceTokenizer.Load(vocab, "vocab");
        var whole = new BertTokenizer();
        using (var reader = new StreamReader(MobyDickStore.VocabPath))
        {
            whole.LoadVocabulary(reader, convertInputToLowercase: true);
        }

        foreach (string chapter in MobyDickStore.Chapters)
        {
            string text = File.ReadAllText(chapter);
            List<TextToken> tokens = ours.Tokenize(text);
            var (ids, _, _) = whole.Encode(text, text.Length + 2);

            Assert.Equal(ids.Span[1..^1].ToArray(), tokens.Select(t => t.Id).ToArray());
            for (int i = 0; i < tokens.Count; i++)
            {
                TextToken token = tokens[i];
                Assert.True(token.Start < token.End && (i == 0 || token.Start >= tokens[i - 1].Start), $"token {i} of {chapter}: [{token.Start}, {token.End})");
                string entry = ours.Token(token.Id).TrimStart('#');
                if (entry.All(char.IsAsciiLetterOrDigit) && token.End - token.Start == entry.Length)
                {
                    Assert.Equal(entry, text[token.Start..token.End].ToLowerInvariant());
                }
            }
        }
    }

    [Fact]
    public void Tokenize_Symbols_KeptWithTheirCharacters()
    {
        WordPieceTokenizer tokenizer = WordPieceTokenizer.Load(File.ReadAllBytes(MobyDickStore.VocabPath), "vocab");
        const string Text = "Pay $5 + tax < 10 = ~ok, Café!";

        // The accent is stripped as uncased BERT does, although the services run with invariant
        // globalization (no Unicode decomposition in .NET there).

        List<TextToken> tokens = tokenizer.Tokenize(Text);

        Assert.Equal(
            ["pay", "$", "5", "+", "tax", "<", "10", "=", "~", "ok", ",", "cafe", "!"],
            tokens.Select(t => tokenizer.Token(t.Id)));
        Assert.Equal("Café", Text[tokens[11].Start..tokens[11].End]);
        Assert.Equal("$", Text[tokens[1].Start..tokens[1].End]);
    }

    [Fact]
    public void Import_MobyDick_ItemsWindowsAndDocumentsAgree()
    {
        TextDatasetInfo text = moby.Record.Text;
        Assert.Equal(MobyDickStore.Chapters.Length + 1, text.Documents);
        Assert.InRange(text.Windows, 150, 400);
        Assert.Equal(moby.Record.Count, text.Tokens);
        Assert.Empty(moby.Record.InputShape);

        long nextItem = 0;
        int sentenceEnds = 0;
        for (int d = 0; d < text.Documents; d++)
        {
            TextDocumentRow document = moby.Store.ReadTextDocument(moby.Record, d);
            string content = d < MobyDickStore.Chapters.Length ? File.ReadAllText(MobyDickStore.Chapters[d]) : string.Join('\n', File.ReadLines(MobyDickStore.Chapters[0]).Take(3)) + "\n";
            Assert.Equal(d < MobyDickStore.Chapters.Length ? Path.GetFileName(MobyDickStore.Chapters[d]) : "echo.txt", document.Name);
            TextWindowRow[] windows = moby.Store.ReadTextWindows(moby.Record, Enumerable.Range(document.FirstWindow, document.Windows).ToArray());
            for (int w = 0; w < windows.Length; w++)
            {
                TextWindowRow window = windows[w];
                Assert.Equal(nextItem, window.FirstItem);
                Assert.InRange(window.TokenIds.Count, 1, MobyDickStore.WindowTokens);
                Assert.Equal(content[window.TextStart..window.CharEnd[^1]], window.Text);
                TextItemRow[] items = moby.Store.ReadTextItems(moby.Record, Enumerable.Range((int)window.FirstItem, window.TokenIds.Count).ToArray());
                for (int p = 0; p < items.Length; p++)
                {
                    Assert.Equal((document.FirstWindow + w, p, d), (items[p].Window, items[p].Position, items[p].Document));
                    Assert.Equal(window.TokenIds[p], items[p].TokenId);
                    Assert.Equal((window.CharStart[p], window.CharEnd[p]), (items[p].CharStart, items[p].CharEnd));
                }

                // Sentence-aligned: a window cut short of the limit ends a sentence, a paragraph (a
                // blank line follows) or its document.
                string last = content[window.CharStart[^1]..window.CharEnd[^1]];
                if (w < windows.Length - 1 && window.TokenIds.Count < MobyDickStore.WindowTokens)
                {
                    string after = content[window.CharEnd[^1]..windows[w + 1].CharStart[0]];
                    Assert.True(new[] { ".", "!", "?", ";", "\u201D", "\u2019", "\"", ")" }.Contains(last) || after.Count(c => c == '\n') >= 2, $"window {document.FirstWindow + w} ends with '{last}'");
                    sentenceEnds++;
                }

                nextItem += window.TokenIds.Count;
            }
        }

        Assert.Equal(moby.Record.Count, nextItem);
        Assert.True(sentenceEnds > text.Windows / 2, $"only {sentenceEnds} of {text.Windows} windows end at a sentence end");
    }

    [Fact]
    public void Import_OneDocumentPerLine_SkipsBlankLinesAndNamesLines()
    {
        string path = Write("lines.txt", "The whale.\n\n  \nCall me Ishmael.\r\nIt was a dark night; the sea rose.\none two three four five six seven eight.\n");

        DatasetRecord record = DatasetImport.Import(Store, MobyDickStore.Request("lines", [path], perLine: true, windowTokens: 6), MobyDickStore.OpenTrusted);

        Assert.Equal(4, record.Text.Documents);
        Assert.Equal(["lines.txt:1", "lines.txt:4", "lines.txt:5", "lines.txt:6"], Enumerable.Range(0, 4).Select(d => Store.ReadTextDocument(record, d).Name));
        TextWindowRow[] windows = Store.ReadTextWindows(record, Enumerable.Range(0, (int)record.Text.Windows).ToArray());

        // Two sentences of 6 and 4 tokens do not share a window of 6; a sentence of 9 is cut at 6.
        Assert.Equal(["The whale.", "Call me Ishmael.", "It was a dark night;", "the sea rose.", "one two three four five six", "seven eight."], windows.Select(w => w.Text));
        Assert.Equal(record.Count, windows.Sum(w => w.TokenIds.Count));
    }

    [Theory]
    [InlineData("tokenizer", "text.tokenizer")]
    [InlineData("window-above", "text.window_tokens")]
    [InlineData("window-zero", "text.window_tokens")]
    [InlineData("empty-file", "text.paths[1]")]
    [InlineData("blank-file", "text.paths[1]")]
    [InlineData("invalid-utf8", "text.paths[1]")]
    [InlineData("no-paths", "text.paths")]
    [InlineData("not-a-vocabulary", "text.vocab_path")]
    [InlineData("control-only-document", "text.paths[1]")]
    [InlineData("pattern-unparsable", "text.name_pattern")]
    [InlineData("pattern-without-named-group", "text.name_pattern")]
    [InlineData("name-not-matching-pattern", "text.paths[1]")]
    public void Import_BadInput_InvalidArgumentNamingTheFieldAndNothingWritten(string fault, string field)
    {
        string good = Write("good.txt", "Call me Ishmael.");
        DatasetImportRequest request = fault switch
        {
            "tokenizer" => MobyDickStore.Request("bad", [good], tokenizer: "gpt2"),
            "window-above" => MobyDickStore.Request("bad", [good], windowTokens: 511),
            "window-zero" => MobyDickStore.Request("bad", [good], windowTokens: 0),
            "empty-file" => MobyDickStore.Request("bad", [good, Write("empty.txt", string.Empty)]),
            "blank-file" => MobyDickStore.Request("bad", [good, Write("blank.txt", " \n\t\n")], perLine: true),
            "invalid-utf8" => MobyDickStore.Request("bad", [good, WriteBytes("latin1.txt", [0x43, 0x61, 0x66, 0xE9, 0x21])]),
            "no-paths" => MobyDickStore.Request("bad", []),
            "not-a-vocabulary" => MobyDickStore.Request("bad", [good], vocab: Write("vocab.txt", "a\nb\nc\n")),
            "control-only-document" => MobyDickStore.Request("bad", [good, Write("control.txt", "\u0001\u0002")]),
            "pattern-unparsable" => MobyDickStore.Request("bad", [good], namePattern: "(?<year>[0-9]"),
            "pattern-without-named-group" => MobyDickStore.Request("bad", [good], namePattern: @"^(\w+)\.txt$"),
            "name-not-matching-pattern" => MobyDickStore.Request("bad", [good, Write("washington.txt", "Fellow citizens.")], namePattern: @"^(?<year>\d{4})_(?<president>.+)_(?<party>[a-z]+)\.txt$|^good\.txt$"),
            _ => throw new ArgumentOutOfRangeException(nameof(fault)),
        };

        var error = Assert.Throws<DeepEverestException>(() => DatasetImport.Import(Store, request, MobyDickStore.OpenTrusted));

        Assert.Equal(ErrorKind.InvalidArgument, error.Kind);
        Assert.Contains(field, error.Message, StringComparison.Ordinal);
        Assert.Empty(Store.ListDatasets());
        Assert.Equal(0, Store.CountInputRows());
    }

    [Fact]
    public void Import_TextWithImageFields_Refused()
    {
        string good = Write("good.txt", "Call me Ishmael.");
        DatasetImportRequest request = MobyDickStore.Request("bad", [good]) with { InputShape = [1, 28, 28] };

        var error = Assert.Throws<DeepEverestException>(() => DatasetImport.Import(Store, request, MobyDickStore.OpenTrusted));

        Assert.Equal(ErrorKind.InvalidArgument, error.Kind);
        Assert.Contains("input_shape", error.Message, StringComparison.Ordinal);
        Assert.Empty(Store.ListDatasets());
    }

    public void Dispose()
    {
        _store?.Dispose();
        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }
    }

    private string Write(string name, string content) => WriteBytes(name, System.Text.Encoding.UTF8.GetBytes(content));

    private string WriteBytes(string name, byte[] content)
    {
        Directory.CreateDirectory(_root);
        string path = Path.Combine(_root, name);
        File.WriteAllBytes(path, content);
        return path;
    }
}
