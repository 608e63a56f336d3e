namespace DeepEverest.Bench.Text;

/// <summary>The corpus as imported.</summary>
/// <param name="Name">Its name in words.</param>
/// <param name="Documents">Documents (files).</param>
/// <param name="CorpusDocuments">Documents of the whole corpus folder (more than <paramref name="Documents"/> on a prefix run).</param>
/// <param name="Windows">Windows run (the target's run to learn its activations not counted).</param>
/// <param name="Tokens">Token items.</param>
/// <param name="WindowTokens">Most tokens per window.</param>
/// <param name="ImportMs">The import: reading, tokenizing, windowing, writing.</param>
public sealed record TextCorpus(string Name, int Documents, int CorpusDocuments, long Windows, long Tokens, int WindowTokens, double ImportMs);
