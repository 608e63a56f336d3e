using System.Diagnostics;
using System.Text;
using DeepEverest.Core.Files;
using DeepEverest.Core.Storage;
using DeepEverest.Core.Storage.Records;
using DeepEverest.Core.Text;
using Google.Protobuf;

namespace DeepEverest.Core.Datasets;

/// <summary>
/// Imports of text (<see cref="DatasetImportRequest.Text"/>): documents tokenized and cut into
/// windows at <c>Prepare</c> (every file is read, decoded and tokenized before anything is
/// written, so bad input leaves no trace), then stored as token items, windows and documents
/// (docs/text.md).
/// </summary>
public sealed partial class DatasetImport
{
    /// <summary>Largest vocabulary file accepted, in bytes (bert-base-uncased's is 232 KB).</summary>
    private const long MaxVocabBytes = 16L << 20;

    /// <summary>Rows written per batch while storing a text dataset.</summary>
    private const int TextRowsPerBatch = 8192;

    /// <summary>Documents, tokenized and cut, in id order.</summary>
    private sealed record TextPlan(TextImportRequest Request, WordPieceTokenizer Tokenizer, byte[] Vocabulary, DocumentMetadata? Metadata, List<TextDocument> Documents, int Windows, long Items);

    /// <summary>One document: its name, text, tokens, windows (first token, count) and metadata (empty without a name pattern).</summary>
    private sealed record TextDocument(string Name, string Text, List<TextToken> Tokens, List<(int Start, int Count)> Windows, Dictionary<string, string> Metadata);

    /// <summary>The feeds of a BERT encoder: token ids, the padding mask, and segment 0 everywhere.</summary>
    internal static IEnumerable<TextInputFeed> BertFeeds() =>
    [
        new TextInputFeed { Name = "input_ids", Kind = TextInputFeed.Types.Kind.TokenIds },
        new TextInputFeed { Name = "attention_mask", Kind = TextInputFeed.Types.Kind.AttentionMask },
        new TextInputFeed { Name = "token_type_ids", Kind = TextInputFeed.Types.Kind.Constant, Value = 0 },
    ];

    private static DatasetImport PrepareText(StoreWriter store, DatasetImportRequest request, Func<string, string, DataFile> open, CancellationToken cancellationToken)
    {
        TextImportRequest text = request.Text!;
        if (request.Parts.Count > 0 || !string.IsNullOrEmpty(request.ImageFolder))
        {
            throw DeepEverestException.Invalid("Give one source: parts (array files), image_folder or text, not several.");
        }

        if (request.Slice is not null || request.LabelNames is { Count: > 0 } || request.InputShape.Count > 0)
        {
            throw DeepEverestException.Invalid("input_range, shard, label_names and input_shape do not apply to text: leave them empty (a text dataset's items are its tokens).");
        }

        if (text.Tokenizer != WordPieceTokenizer.BertWordPiece)
        {
            throw DeepEverestException.Invalid($"text.tokenizer '{DataFile.Shorten(text.Tokenizer)}' is unknown; the known tokenizer is '{WordPieceTokenizer.BertWordPiece}' (BERT WordPiece, with the model's vocab.txt as text.vocab_path).");
        }

        if (text.WindowTokens is < 1 or > TextImportRequest.MaxWindowTokens)
        {
            throw DeepEverestException.Invalid($"text.window_tokens is {text.WindowTokens}; give 1 to {TextImportRequest.MaxWindowTokens} (a BERT model takes 512 positions, two of them for [CLS] and [SEP]).");
        }

        if (text.Paths.Count == 0 || text.Paths.Count > MaxParts)
        {
            throw DeepEverestException.Invalid($"text.paths has {text.Paths.Count} entries; give 1 to {MaxParts} UTF-8 text files.");
        }

        if (string.IsNullOrEmpty(text.VocabPath))
        {
            throw DeepEverestException.Invalid("text.vocab_path is empty: give the model's WordPiece vocabulary (its vocab.txt).");
        }

        DocumentMetadata? metadata = DocumentMetadata.Parse(text.NamePattern);
        CheckName(store, request.Name, request.Replace);
        byte[] vocabulary;
        using (DataFile file = open(text.VocabPath, "text.vocab_path"))
        {
            vocabulary = file.ReadAll(MaxVocabBytes, "a vocabulary file", cancellationToken);
        }

        WordPieceTokenizer tokenizer = WordPieceTokenizer.Load(vocabulary, "text.vocab_path", text.LowerCase);
        var documents = new List<TextDocument>();
        long bytes = 0;
        long items = 0;
        int windows = 0;
        var utf8 = new UTF8Encoding(false, throwOnInvalidBytes: true);
        for (int i = 0; i < text.Paths.Count; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            string field = $"text.paths[{i}]";
            string content;
            string name;
            using (DataFile file = open(text.Paths[i], field))
            {
                name = Path.GetFileName(file.Name);
                byte[] raw = file.ReadAll(TextImportRequest.MaxFileBytes, "one text file", cancellationToken);
                bytes += raw.Length;
                if (bytes > TextImportRequest.MaxTotalBytes)
                {
                    throw DeepEverestException.Invalid($"text.paths hold more than {TextImportRequest.MaxTotalBytes >> 20} MiB of text (the most one import tokenizes in memory); import the corpus in several datasets.");
                }
                try
                {
                    content = utf8.GetString(raw);
                }
                catch (DecoderFallbackException e)
                {
                    throw DeepEverestException.Invalid($"{field}: '{DataFile.Shorten(file.Name)}' is not valid UTF-8 (near byte {Math.Max(0, e.Index)}); convert it to UTF-8.");
                }
            }

            content = content.TrimStart('\uFEFF');
            int before = documents.Count;
            if (text.DocumentPerLine)
            {
                string[] lines = content.Split('\n');
                for (int line = 0; line < lines.Length; line++)
                {
                    if (!string.IsNullOrWhiteSpace(lines[line]))
                    {
                        documents.Add(Document(tokenizer, metadata, $"{name}:{line + 1}", lines[line].TrimEnd('\r'), text.WindowTokens, field));
                    }
                }
            }
            else if (!string.IsNullOrWhiteSpace(content))
            {
                documents.Add(Document(tokenizer, metadata, name, content, text.WindowTokens, field));
            }

            if (documents.Count == before)
            {
                throw DeepEverestException.Invalid($"{field}: '{DataFile.Shorten(name)}' is empty (nothing but whitespace); remove it from text.paths.");
            }

            foreach (TextDocument document in documents.Skip(before))
            {
                items += document.Tokens.Count;
                windows += document.Windows.Count;
            }

            if (items > int.MaxValue || windows >= TextLayout.MaxWindows || documents.Count >= TextLayout.MaxWindows)
            {
                throw DeepEverestException.Invalid($"text.paths hold more than 2^31-1 tokens (or 2^30 windows); a dataset holds at most that many: import the corpus in several datasets.");
            }
        }

        var plan = new TextPlan(text, tokenizer, vocabulary, metadata, documents, windows, items);
        return new DatasetImport(store, request, open, long.MaxValue, [], [1], StoreLayout.ElementFloat32, items, (0, items), bytes, text: plan);
    }

    private static TextDocument Document(WordPieceTokenizer tokenizer, DocumentMetadata? metadata, string name, string content, int windowTokens, string field)
    {
        // Before tokenizing: a name the pattern refuses costs nothing more.
        Dictionary<string, string> values = metadata?.Of(name, field) ?? [];
        List<TextToken> tokens = tokenizer.Tokenize(content);
        if (tokens.Count == 0)
        {
            throw DeepEverestException.Invalid($"{field}: document '{DataFile.Shorten(name)}' has no tokens (only control characters); remove it.");
        }

        return new TextDocument(name, content, tokens, TextWindowing.Cut(content, tokens, windowTokens), values);
    }

    /// <summary>Writes documents, windows and items, a batch of rows at a time.</summary>
    private void RunText(TextPlan plan, IProgress<DatasetImportProgress>? progress, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var rows = new List<(int Key, byte[] Value)>();
        int pendingItems = 0;
        int item = 0;
        int window = 0;
        for (int d = 0; d < plan.Documents.Count; d++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            TextDocument document = plan.Documents[d];
            var documentRow = new TextDocumentRow { Name = document.Name, FirstWindow = window, Windows = document.Windows.Count, Chars = document.Text.Length, FirstItem = item, Items = document.Tokens.Count };
            documentRow.Metadata.Add(document.Metadata);
            rows.Add((TextLayout.DocumentKey(d), documentRow.ToByteArray()));
            foreach ((int start, int count) in document.Windows)
            {
                var windowRow = new TextWindowRow { Document = d, FirstItem = item };
                int textStart = document.Tokens[start].Start;
                int textEnd = document.Tokens[start + count - 1].End;
                windowRow.TextStart = textStart;
                windowRow.Text = document.Text[textStart..textEnd];
                for (int t = start; t < start + count; t++)
                {
                    TextToken token = document.Tokens[t];
                    windowRow.TokenIds.Add(token.Id);
                    windowRow.CharStart.Add(token.Start);
                    windowRow.CharEnd.Add(token.End);
                    var itemRow = new TextItemRow
                    {
                        Window = window,
                        Position = t - start,
                        Document = d,
                        CharStart = token.Start,
                        CharEnd = token.End,
                        TokenId = token.Id,
                        Token = plan.Tokenizer.Token(token.Id),
                    };
                    rows.Add((item++, itemRow.ToByteArray()));
                    pendingItems++;
                }

                rows.Add((TextLayout.WindowKey(window++), windowRow.ToByteArray()));
                if (rows.Count >= TextRowsPerBatch)
                {
                    _writer!.AppendTextRows(rows, pendingItems);
                    rows.Clear();
                    pendingItems = 0;
                }
            }

            progress?.Report(new DatasetImportProgress(d + 1, plan.Documents.Count, item + 0L, InputsTotal, 0, BytesTotal, clock.Elapsed, "document"));
        }

        // The vocabulary itself, so that a raw-text target is tokenized as the corpus was.
        rows.Add((TextLayout.VocabularyKey, plan.Vocabulary));
        _writer!.AppendTextRows(rows, pendingItems);
    }

    /// <summary>The dataset record's text section: how the corpus was cut and how it feeds a BERT model.</summary>
    private static TextDatasetInfo TextInfo(TextPlan plan)
    {
        var info = new TextDatasetInfo
        {
            Tokenizer = plan.Request.Tokenizer,
            VocabSha256 = plan.Tokenizer.VocabSha256,
            LowerCase = plan.Tokenizer.LowerCase,
            WindowTokens = (uint)plan.Request.WindowTokens,
            Windows = plan.Windows,
            Documents = plan.Documents.Count,
            ClsId = plan.Tokenizer.ClsId,
            SepId = plan.Tokenizer.SepId,
            PadId = plan.Tokenizer.PadId,
            Tokens = plan.Items,
            NamePattern = plan.Request.NamePattern ?? "",
            VocabularyStored = true,
        };
        info.Feeds.AddRange(BertFeeds());
        foreach (string key in plan.Metadata?.Keys ?? [])
        {
            var entry = new TextMetadataKey { Key = key };
            foreach (IGrouping<string, TextDocument> value in plan.Documents.GroupBy(d => d.Metadata[key], StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal))
            {
                entry.Values.Add(value.Key);
                entry.Documents.Add(value.Count());
            }

            info.Metadata.Add(entry);
        }

        return info;
    }
}
