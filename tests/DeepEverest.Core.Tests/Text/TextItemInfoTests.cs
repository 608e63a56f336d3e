using DeepEverest.Core.Query;

namespace DeepEverest.Core.Tests.Text;

/// <summary>
/// <see cref="TextItemInfo.Around"/>: the extract of a window that a hit carries keeps the token
/// whole, at most the reach either side, cuts at whitespace and never inside a surrogate pair.
/// </summary>
public sealed class TextItemInfoTests
{
    [Fact]
    public void Around_WindowWithinReach_ReturnedAsIs()
    {
        TextItemInfo item = Item("Call me Ishmael. Some years ago", "Ishmael", textStart: 100);

        Assert.Same(item, item.Around(80));
        Assert.False(item.CutBefore || item.CutAfter);
    }

    [Fact]
    public void Around_LongWindow_CutAtWhitespaceWithTokenAtTheSameDocumentCharacters()
    {
        string text = "one two three four five six seven eight nine ten whale eleven twelve thirteen fourteen";
        TextItemInfo item = Item(text, "whale", textStart: 1000);

        TextItemInfo cut = item.Around(10);

        Assert.Equal("nine ten whale eleven", cut.WindowText);
        Assert.True(cut.CutBefore && cut.CutAfter);
        Assert.Equal("whale", cut.WindowText[cut.TokenStart..cut.TokenEnd]);
        Assert.Equal((item.CharStart, item.CharEnd), (cut.CharStart, cut.CharEnd));
        Assert.Equal(text, string.Concat(text.AsSpan(0, cut.WindowTextStart - 1000), cut.WindowText, text.AsSpan(cut.WindowTextStart - 1000 + cut.WindowText.Length)));
    }

    [Fact]
    public void Around_WhitespaceRightAtTheReach_KeepsTheWholeWordNextToIt()
    {
        // The reach of 5 ends on the space after "bbbb", which is kept whole; it starts inside "xxxx", which goes.
        TextItemInfo item = Item("xxxx a whale bbbb yyyy", "whale", textStart: 0);

        TextItemInfo cut = item.Around(5);

        Assert.Equal("a whale bbbb", cut.WindowText);
    }

    [Fact]
    public void Around_NoWhitespaceInReach_CutAtTheReachButNotInsideASurrogatePair()
    {
        // U+1F40B (whale emoji) is two UTF-16 code units; a cut between them would leave half a character.
        string text = "\U0001F40B\U0001F40B\U0001F40B" + "whale" + "\U0001F40B\U0001F40B\U0001F40B";
        TextItemInfo item = Item(text, "whale", textStart: 0);

        TextItemInfo odd = item.Around(3);
        TextItemInfo even = item.Around(4);

        Assert.Equal("\U0001F40B" + "whale" + "\U0001F40B", odd.WindowText);
        Assert.Equal("\U0001F40B\U0001F40B" + "whale" + "\U0001F40B\U0001F40B", even.WindowText);
        Assert.Equal("whale", odd.WindowText[odd.TokenStart..odd.TokenEnd]);
    }

    [Fact]
    public void Around_TokenLongerThanTheReach_TokenKeptWhole()
    {
        TextItemInfo item = Item("a b supercalifragilistic c d", "supercalifragilistic", textStart: 0);

        TextItemInfo cut = item.Around(0);

        Assert.Equal("supercalifragilistic", cut.WindowText);
        Assert.True(cut.CutBefore && cut.CutAfter);
    }

    private static TextItemInfo Item(string text, string token, int textStart)
    {
        int at = text.IndexOf(token, StringComparison.Ordinal);
        return new TextItemInfo(5, 0, "doc.txt", 0, 3, token.ToLowerInvariant(), textStart + at, textStart + at + token.Length, text, textStart);
    }
}
