using System.Text;

namespace DeepEverest.Hosting;

/// <summary>
/// Makes text that came from a request safe to log: at most <see cref="DefaultMaxChars"/>
/// characters (the rest counted, not written), control and line-separator characters escaped, so a
/// hostile name or path can neither flood the log nor forge a log line.
/// </summary>
public static class LogText
{
    /// <summary>Characters kept by default.</summary>
    public const int DefaultMaxChars = 200;

    /// <summary>
    /// <paramref name="text"/> cut to <paramref name="maxChars"/> characters with
    /// <c>…(+N chars)</c> appended when longer, and control characters written as <c>\uXXXX</c>.
    /// </summary>
    public static string Truncate(string? text, int maxChars = DefaultMaxChars)
    {
        if (string.IsNullOrEmpty(text))
        {
            return "";
        }

        int kept = Math.Min(text.Length, maxChars);

        // Do not split a surrogate pair.
        if (kept < text.Length && kept > 0 && char.IsHighSurrogate(text[kept - 1]))
        {
            kept--;
        }

        var builder = new StringBuilder(kept + 24);
        foreach (char c in text.AsSpan(0, kept))
        {
            if (char.IsControl(c) || c is '\u2028' or '\u2029' or '\u0085')
            {
                builder.Append("\\u").Append(((int)c).ToString("x4", System.Globalization.CultureInfo.InvariantCulture));
            }
            else
            {
                builder.Append(c);
            }
        }

        if (kept < text.Length)
        {
            builder.Append("…(+").Append(text.Length - kept).Append(" chars)");
        }

        return builder.ToString();
    }
}
