namespace DeepEverest.Core.Query;

/// <summary>Documents whose metadata <paramref name="Key"/> has one of <paramref name="Values"/> (docs/text.md).</summary>
/// <param name="Key">A metadata key of the dataset (TextSource.name_pattern's named groups).</param>
/// <param name="Values">Allowed values, a set (non-empty).</param>
public sealed record DocumentMatch(string Key, string[] Values);
