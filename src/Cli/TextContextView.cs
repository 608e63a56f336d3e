using System.Text;
using DeepEverest.Contracts.V1;

namespace DeepEverest.Cli;

/// <summary>
/// A token item's context (<see cref="TextContext"/>) on one line: the text around the token with
/// whitespace runs as one space, the token in brackets (and bold on a terminal), an ellipsis where
/// the text goes on, e.g. <c>… Call me [Ishmael]. Some years ago …</c>.
/// </summary>
internal static class TextContextView
{
    /// <summary>Characters of context either side of the token in a table of hits.</summary>
    public const int TableReach = 40;

    /// <summary>The context as Spectre markup (the document's text escaped), cut to <paramref name="reach"/> characters either side of the token.</summary>
    public static string Markup(TextContext context, int reach)
    {
        (string before, string token, string after) = Parts(context, reach);
        return Spectre.Console.Markup.Escape(before) + "[bold][[" + Spectre.Console.Markup.Escape(token) + "]][/]" + Spectre.Console.Markup.Escape(after);
    }

    /// <summary>The context as plain text, cut as <see cref="Markup"/> cuts it.</summary>
    public static string Plain(TextContext context, int reach)
    {
        (string before, string token, string after) = Parts(context, reach);
        return before + "[" + token + "]" + after;
    }

    /// <summary>Where the item comes from, e.g. <c>chapter_1.txt, window 0, token 3 'looming'</c>.</summary>
    public static string Source(TextContext context) =>
        Format.Invariant($"{context.DocumentName}, window {context.Window}, token {context.Position} '{context.Token}'");

    /// <summary>The text before the token, the token's characters and the text after it, each on one line and cut.</summary>
    private static (string Before, string Token, string After) Parts(TextContext context, int reach)
    {
        string text = context.Text;
        int start = Math.Clamp(context.TokenStart, 0, text.Length);
        int end = Math.Clamp(context.TokenEnd, start, text.Length);
        string before = OneLine(text[..start]);
        string after = OneLine(text[end..]);
        bool cutBefore = context.CutBefore;
        bool cutAfter = context.CutAfter;
        if (before.Length > reach)
        {
            // Cut at a space within the reach so that no word is shown in part.
            before = before[^reach..];
            int space = before.IndexOf(' ', StringComparison.Ordinal);
            before = space >= 0 && space < before.Length - 1 ? before[(space + 1)..] : before;
            cutBefore = true;
        }

        if (after.Length > reach)
        {
            after = after[..reach];
            int space = after.LastIndexOf(' ');
            after = space > 0 ? after[..space] : after;
            cutAfter = true;
        }

        return ((cutBefore ? "… " : "") + before.TrimStart(), OneLine(text[start..end]), after.TrimEnd() + (cutAfter ? " …" : ""));
    }

    private static string OneLine(string text)
    {
        var line = new StringBuilder(text.Length);
        bool space = false;
        foreach (char c in text)
        {
            if (char.IsWhiteSpace(c) || char.IsControl(c))
            {
                space = true;
                continue;
            }

            if (space)
            {
                line.Append(' ');
                space = false;
            }

            line.Append(c);
        }

        return space ? line.Append(' ').ToString() : line.ToString();
    }
}
