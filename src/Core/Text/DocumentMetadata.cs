using System.Text.RegularExpressions;
using DeepEverest.Core.Files;

namespace DeepEverest.Core.Text;

/// <summary>
/// Document metadata of a text import from document names (<see cref="TextImportRequest.NamePattern"/>,
/// docs/text.md): each named group of the pattern is a key, the text it captured the value.
/// </summary>
internal sealed class DocumentMetadata
{
    /// <summary>Longest pattern accepted, in characters.</summary>
    public const int MaxPatternLength = 1000;

    /// <summary>Time one match may take before the import is refused (a pattern that backtracks badly).</summary>
    private static readonly TimeSpan _matchTimeout = TimeSpan.FromSeconds(1);

    private readonly Regex _regex;

    private DocumentMetadata(Regex regex, string[] keys)
    {
        _regex = regex;
        Keys = keys;
    }

    /// <summary>The keys: the pattern's named groups, in the order they appear in it.</summary>
    public IReadOnlyList<string> Keys { get; }

    /// <summary>The metadata rule of <paramref name="pattern"/>, or null when there is none.</summary>
    /// <exception cref="DeepEverestException">InvalidArgument naming text.name_pattern when it does not parse or has no named group.</exception>
    public static DocumentMetadata? Parse(string? pattern)
    {
        if (string.IsNullOrEmpty(pattern))
        {
            return null;
        }

        if (pattern.Length > MaxPatternLength)
        {
            throw DeepEverestException.Invalid($"text.name_pattern has {pattern.Length} characters; give at most {MaxPatternLength}.");
        }

        Regex regex;
        try
        {
            regex = new Regex(pattern, RegexOptions.CultureInvariant, _matchTimeout);
        }
        catch (ArgumentException e)
        {
            throw DeepEverestException.Invalid($"text.name_pattern is not a valid .NET regular expression: {e.Message}");
        }

        // Unnamed groups are numbered, and their names are their numbers: only the others are keys.
        string[] keys = [.. regex.GetGroupNames().Where(n => !int.TryParse(n, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out _))];
        if (keys.Length == 0)
        {
            throw DeepEverestException.Invalid("text.name_pattern has no named group: each (?<key>...) group gives the documents a metadata key, e.g. ^(?<year>\\d{4})_(?<president>.+)_(?<party>[a-z]+)\\.txt$.");
        }

        return new DocumentMetadata(regex, keys);
    }

    /// <summary>The metadata of the document named <paramref name="name"/>: one value per key ("" for a group that took no part in the match).</summary>
    /// <exception cref="DeepEverestException">InvalidArgument naming the document when its name does not match.</exception>
    public Dictionary<string, string> Of(string name, string field)
    {
        Match match;
        try
        {
            match = _regex.Match(name);
        }
        catch (RegexMatchTimeoutException)
        {
            throw DeepEverestException.Invalid($"text.name_pattern took over {_matchTimeout.TotalSeconds:0} s to match document '{DataFile.Shorten(name)}' ({field}): simplify the pattern.");
        }

        if (!match.Success)
        {
            throw DeepEverestException.Invalid($"{field}: document '{DataFile.Shorten(name)}' does not match text.name_pattern '{_regex}': rename it, or widen the pattern.");
        }

        return Keys.ToDictionary(k => k, k => match.Groups[k].Success ? match.Groups[k].Value : "", StringComparer.Ordinal);
    }
}
