namespace DeepEverest.Core.Text;

/// <summary>
/// Where a text dataset's rows sit among its keys in the <c>inputs</c> column family (docs/text.md):
/// items at their ids (below 2^31), windows from 2^31, documents from 3 x 2^30. One dataset id
/// prefixes them all, so replacing or aborting a dataset removes them with its inputs.
/// </summary>
internal static class TextLayout
{
    /// <summary>Most windows (and documents) one text dataset may have.</summary>
    public const int MaxWindows = 1 << 30;

    /// <summary>The key (an input id as the store's key sees it) of window <paramref name="window"/>.</summary>
    public static int WindowKey(int window) => unchecked((int)(0x80000000u | (uint)window));

    /// <summary>The key of document <paramref name="document"/>.</summary>
    public static int DocumentKey(int document) => unchecked((int)(0xC0000000u | (uint)document));

    /// <summary>
    /// The key of the vocabulary file (raw bytes), which raw-text targets tokenize with: the last
    /// key, above every document's (a dataset has fewer than 2^30 - 1 documents).
    /// </summary>
    public const int VocabularyKey = -1;
}
