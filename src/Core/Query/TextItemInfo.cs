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
/// <param name="WindowText">
/// The window's text, from its first token to its last; an extract of it when
/// <see cref="CutBefore"/> or <see cref="CutAfter"/> is set (see <see cref="Around"/>).
/// </param>
/// <param name="WindowTextStart">Where <paramref name="WindowText"/> starts in the document (UTF-16 code units).</param>
public sealed record TextItemInfo(long ItemId, int Document, string DocumentName, int Window, int Position, string Token, int CharStart, int CharEnd, string WindowText, int WindowTextStart)
{
    /// <summary>Characters either side of the token that a hit's context keeps (<see cref="Around"/>).</summary>
    public const int HitContextChars = 80;

    private static readonly char[] _whitespace = [' ', '\t', '\n', '\r', '\f', '\v', '\u00A0', '\u2028', '\u2029'];

    /// <summary><see cref="WindowText"/> starts after the window's first character: an extract.</summary>
    public bool CutBefore { get; init; }

    /// <summary><see cref="WindowText"/> ends before the window's last character: an extract.</summary>
    public bool CutAfter { get; init; }

    /// <summary>The token's first character in <see cref="WindowText"/>.</summary>
    public int TokenStart => CharStart - WindowTextStart;

    /// <summary>One past the token's last character in <see cref="WindowText"/>.</summary>
    public int TokenEnd => CharEnd - WindowTextStart;

    /// <summary>
    /// This item with its window text cut to at most <paramref name="chars"/> characters either
    /// side of the token, so that a top-k of thousands of hits stays small on the wire. A cut
    /// falls just past a whitespace within that reach when there is one (words stay whole), else
    /// at the reach, moved off a surrogate pair's second half; whitespace next to a cut is
    /// dropped. The token is never cut; an item whose window fits is returned as is.
    /// </summary>
    /// <param name="chars">Characters kept either side of the token, &gt;= 0.</param>
    public TextItemInfo Around(int chars)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(chars);
        string text = WindowText;
        int tokenStart = TokenStart;
        int tokenEnd = TokenEnd;
        int start = 0;
        int end = text.Length;
        if (tokenStart > chars)
        {
            start = tokenStart - chars;
            // A whitespace just before the reach already ends a word there.
            int space = text.IndexOfAny(_whitespace, start - 1, tokenStart - start + 1);
            start = space >= 0 ? space + 1 : char.IsLowSurrogate(text[start]) ? start + 1 : start;
            while (start < tokenStart && char.IsWhiteSpace(text[start]))
            {
                start++;
            }
        }

        if (text.Length - tokenEnd > chars)
        {
            end = tokenEnd + chars;
            int space = text.LastIndexOfAny(_whitespace, end, end - tokenEnd + 1);
            end = space >= 0 ? space : char.IsLowSurrogate(text[end]) ? end - 1 : end;
            while (end > tokenEnd && char.IsWhiteSpace(text[end - 1]))
            {
                end--;
            }
        }

        return start == 0 && end == text.Length ? this : this with
        {
            WindowText = text[start..end],
            WindowTextStart = WindowTextStart + start,
            CutBefore = CutBefore || start > 0,
            CutAfter = CutAfter || end < text.Length,
        };
    }
}
