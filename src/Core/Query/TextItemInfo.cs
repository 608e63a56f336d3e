namespace DeepEverest.Core.Query;

/// <summary>One token item of a text dataset, with its context (docs/text.md).</summary>
/// <param name="ItemId">The item's global id.</param>
/// <param name="Document">The document's index in the dataset.</param>
/// <param name="DocumentName">The document's name: its file name, with ":line" for one document per line.</param>
/// <param name="Window">The window the item belongs to.</param>
/// <param name="Position">Position among the window's tokens (0 = first after [CLS]).</param>
/// <param name="Token">The vocabulary entry, e.g. <c>whale</c> or <c>##ing</c>.</param>
/// <param name="CharStart">First character of the token in its document (UTF-16 code units).</param>
/// <param name="CharEnd">One past its last character.</param>
/// <param name="WindowText">The window's text, from its first token to its last.</param>
/// <param name="WindowTextStart">Where <paramref name="WindowText"/> starts in the document (UTF-16 code units).</param>
public sealed record TextItemInfo(long ItemId, int Document, string DocumentName, int Window, int Position, string Token, int CharStart, int CharEnd, string WindowText, int WindowTextStart);
