namespace DeepEverest.Core.Text;

/// <summary>A text source to import as a dataset of token items (docs/text.md).</summary>
/// <param name="Paths">UTF-8 text files, in document order (1 to <see cref="Datasets.DatasetImport.MaxParts"/>).</param>
/// <param name="DocumentPerLine">
/// False: each file is one document. True: each non-blank line of each file is one document
/// (blank lines are skipped).
/// </param>
/// <param name="Tokenizer">Tokenizer name: <see cref="WordPieceTokenizer.BertWordPiece"/>.</param>
/// <param name="VocabPath">The WordPiece vocabulary file (one token per line), e.g. the model's vocab.txt.</param>
/// <param name="WindowTokens">Most real tokens per window, 1 to <see cref="MaxWindowTokens"/>.</param>
/// <param name="LowerCase">Lower-case (and strip accents from) the text first, as uncased BERT models need.</param>
/// <param name="NamePattern">
/// A .NET regular expression with named groups matched against each document's name; each group
/// becomes a metadata key of the document (<see cref="DocumentMetadata"/>). Null or empty: none.
/// </param>
public sealed record TextImportRequest(
    IReadOnlyList<string> Paths,
    bool DocumentPerLine,
    string Tokenizer,
    string VocabPath,
    int WindowTokens,
    bool LowerCase = true,
    string? NamePattern = null)
{
    /// <summary>BERT's 512 positions less [CLS] and [SEP].</summary>
    public const int MaxWindowTokens = 510;

    /// <summary>Largest text file one import reads, in bytes (the whole corpus is tokenized in memory).</summary>
    public const long MaxFileBytes = 256L << 20;

    /// <summary>Most bytes of text one import reads over all its files (the whole corpus is tokenized in memory).</summary>
    public const long MaxTotalBytes = 1L << 30;
}
