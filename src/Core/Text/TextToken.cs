namespace DeepEverest.Core.Text;

/// <summary>One WordPiece token of a document: its id and the characters it came from.</summary>
/// <param name="Id">Vocabulary id.</param>
/// <param name="Start">First character (UTF-16 code unit) in the document.</param>
/// <param name="End">One past the last character.</param>
internal readonly record struct TextToken(long Id, int Start, int End);
