namespace DeepEverest.Core.Text;

/// <summary>
/// Cuts a document's tokens into windows of at most W tokens, sentence-aligned where possible:
/// whole sentences are packed into a window while they fit; a sentence longer than W is cut every
/// W tokens. A sentence ends after a <c>.</c>, <c>!</c>, <c>?</c> or <c>;</c> token (and the closing
/// quotes or brackets right after it), or where the text has a blank line between two tokens.
/// </summary>
internal static class TextWindowing
{
    /// <summary>The windows as (first token, token count), in order, covering every token once.</summary>
    public static List<(int Start, int Count)> Cut(string text, IReadOnlyList<TextToken> tokens, int windowTokens)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(windowTokens, 1);
        var windows = new List<(int Start, int Count)>();
        int windowStart = 0;
        int sentenceStart = 0;
        for (int i = 0; i < tokens.Count; i++)
        {
            bool last = i == tokens.Count - 1;
            if (!last && !EndsSentence(text, tokens, i))
            {
                continue;
            }

            // The sentence is [sentenceStart, i]: close the window before it when it does not fit.
            if (i + 1 - windowStart > windowTokens && sentenceStart > windowStart)
            {
                windows.Add((windowStart, sentenceStart - windowStart));
                windowStart = sentenceStart;
            }

            while (i + 1 - windowStart > windowTokens)
            {
                windows.Add((windowStart, windowTokens));
                windowStart += windowTokens;
            }

            sentenceStart = i + 1;
        }

        if (windowStart < tokens.Count)
        {
            windows.Add((windowStart, tokens.Count - windowStart));
        }

        return windows;
    }

    private static bool EndsSentence(string text, IReadOnlyList<TextToken> tokens, int i)
    {
        TextToken next = tokens[i + 1];
        ReadOnlySpan<char> gap = text.AsSpan(tokens[i].End, Math.Max(0, next.Start - tokens[i].End));
        if (gap.Count('\n') >= 2)
        {
            return true;
        }

        // A closing quote or bracket right after the end mark belongs to the sentence.
        if (IsClosing(text, next) && gap.IsEmpty)
        {
            return false;
        }

        int k = i;
        while (k > 0 && IsClosing(text, tokens[k]) && tokens[k - 1].End == tokens[k].Start)
        {
            k--;
        }

        return IsEnd(text, tokens[k]);
    }

    private static bool IsEnd(string text, TextToken token) =>
        token.End - token.Start == 1 && text[token.Start] is '.' or '!' or '?' or ';';

    private static bool IsClosing(string text, TextToken token) =>
        token.End - token.Start == 1 && text[token.Start] is '"' or '\'' or ')' or ']' or '\u201D' or '\u2019';
}
