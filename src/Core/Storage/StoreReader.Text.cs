using DeepEverest.Core.Storage.Records;
using DeepEverest.Core.Text;

namespace DeepEverest.Core.Storage;

/// <summary>Reads of a text dataset's rows: token items, windows, documents (docs/text.md).</summary>
public partial class StoreReader
{
    /// <summary>The item rows of <paramref name="ids"/> (local item ids), in order.</summary>
    /// <exception cref="DeepEverestException">NotFound for an id out of range or missing.</exception>
    internal TextItemRow[] ReadTextItems(DatasetRecord dataset, ReadOnlySpan<int> ids)
    {
        var keys = new byte[ids.Length][];
        for (int i = 0; i < ids.Length; i++)
        {
            if (ids[i] < 0 || ids[i] >= dataset.Count)
            {
                throw DeepEverestException.NotFound($"Item id {ids[i]} is out of range: dataset '{dataset.Name}' has items 0..{dataset.Count - 1}.");
            }

            keys[i] = StoreLayout.InputKey(dataset.Id, ids[i]);
        }

        return Parse(dataset, keys, TextItemRow.Parser, ids.ToArray(), "item");
    }

    /// <summary>The window rows of <paramref name="windows"/>, in order.</summary>
    internal TextWindowRow[] ReadTextWindows(DatasetRecord dataset, ReadOnlySpan<int> windows)
    {
        var keys = new byte[windows.Length][];
        for (int i = 0; i < windows.Length; i++)
        {
            keys[i] = StoreLayout.InputKey(dataset.Id, TextLayout.WindowKey(windows[i]));
        }

        return Parse(dataset, keys, TextWindowRow.Parser, windows.ToArray(), "window");
    }

    /// <summary>The document row of <paramref name="document"/>.</summary>
    internal TextDocumentRow ReadTextDocument(DatasetRecord dataset, int document) =>
        Parse(dataset, [StoreLayout.InputKey(dataset.Id, TextLayout.DocumentKey(document))], TextDocumentRow.Parser, [document], "document")[0];

    /// <summary>The document rows of <paramref name="documents"/>, in order.</summary>
    internal TextDocumentRow[] ReadTextDocuments(DatasetRecord dataset, ReadOnlySpan<int> documents)
    {
        var keys = new byte[documents.Length][];
        for (int i = 0; i < documents.Length; i++)
        {
            keys[i] = StoreLayout.InputKey(dataset.Id, TextLayout.DocumentKey(documents[i]));
        }

        return Parse(dataset, keys, TextDocumentRow.Parser, documents.ToArray(), "document");
    }

    /// <summary>
    /// The tokenizer the dataset's corpus was tokenized with, from its stored vocabulary (shared
    /// across queries: <see cref="SharedTokenizers"/>).
    /// </summary>
    /// <exception cref="DeepEverestException">FailedPrecondition for a dataset imported before the vocabulary was stored.</exception>
    internal SharedTokenizers.Handle TextTokenizer(DatasetRecord dataset)
    {
        TextDatasetInfo text = dataset.Text;
        if (!text.VocabularyStored)
        {
            throw DeepEverestException.Precondition($"Text dataset '{dataset.Name}' was imported before raw-text targets and does not hold its vocabulary: import it again (ImportDatasetRequest.replace), or give the target as an item id.");
        }

        return SharedTokenizers.Get(text.VocabSha256, text.LowerCase, () =>
        {
            byte[] vocabulary = _reads.MultiGet([StoreLayout.InputKey(dataset.Id, TextLayout.VocabularyKey)], Cf(StoreLayout.Inputs))[0]
                ?? throw DeepEverestException.NotFound($"The vocabulary of text dataset '{dataset.Name}' is missing from the store.");
            return WordPieceTokenizer.Load(vocabulary, $"the vocabulary of dataset '{dataset.Name}'", text.LowerCase);
        });
    }

    private T[] Parse<T>(DatasetRecord dataset, byte[][] keys, Google.Protobuf.MessageParser<T> parser, int[] ids, string what)
        where T : Google.Protobuf.IMessage<T>
    {
        byte[]?[] values = _reads.MultiGet(keys, Cf(StoreLayout.Inputs));
        var rows = new T[keys.Length];
        for (int i = 0; i < keys.Length; i++)
        {
            rows[i] = parser.ParseFrom(values[i] ?? throw DeepEverestException.NotFound($"The {what} {ids[i]} of text dataset '{dataset.Name}' is missing from the store."));
        }

        return rows;
    }
}
