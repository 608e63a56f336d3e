using System.CommandLine.Parsing;
using System.Globalization;

namespace DeepEverest.Cli;

/// <summary>Parsers of option values that are friendlier than the defaults.</summary>
internal static class ValueParsers
{
    /// <summary>
    /// A float given as a number or a fraction, e.g. <c>0.5</c> or <c>1/255</c> (how the demo
    /// model's scale is usually written).
    /// </summary>
    public static float Fraction(ArgumentResult result)
    {
        string text = result.Tokens.Count > 0 ? result.Tokens[^1].Value : "";
        if (TryFraction(text, out float value))
        {
            return value;
        }

        result.AddError($"'{text}' is not a number or a fraction like 1/255.");
        return 0;
    }

    /// <summary>A shape given as comma-separated positive integers, e.g. <c>1,28,28</c>.</summary>
    public static long[] Shape(ArgumentResult result)
    {
        string text = result.Tokens.Count > 0 ? result.Tokens[^1].Value : "";
        string[] parts = text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        var shape = new long[parts.Length];
        for (int i = 0; i < parts.Length; i++)
        {
            if (!long.TryParse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture, out shape[i]) || shape[i] <= 0)
            {
                result.AddError($"'{text}' is not a shape: give positive integers separated by commas, e.g. 1,28,28.");
                return [];
            }
        }

        if (shape.Length == 0)
        {
            result.AddError("The shape is empty: give positive integers separated by commas, e.g. 1,28,28.");
        }

        return shape;
    }

    /// <summary>
    /// A range of global input ids <c>START:END</c> (end exclusive), e.g. <c>0:25000</c>; whether it
    /// fits the source is the service's to say.
    /// </summary>
    public static Contracts.V1.InputRange? IdRange(ArgumentResult result)
    {
        string text = result.Tokens.Count > 0 ? result.Tokens[^1].Value : "";
        string[] parts = text.Split(':', StringSplitOptions.TrimEntries);
        if (parts.Length == 2
            && long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out long start)
            && long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out long end))
        {
            return new Contracts.V1.InputRange { Start = start, End = end };
        }

        result.AddError($"'{text}' is not an id range: give START:END (end exclusive), e.g. 0:25000.");
        return null;
    }

    /// <summary>Shard <c>I/N</c> (I from 0), e.g. <c>2/4</c> for the third of four shards.</summary>
    public static Contracts.V1.ShardOf? ShardOf(ArgumentResult result)
    {
        string text = result.Tokens.Count > 0 ? result.Tokens[^1].Value : "";
        string[] parts = text.Split('/', StringSplitOptions.TrimEntries);
        if (parts.Length == 2
            && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out int index)
            && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int count))
        {
            return new Contracts.V1.ShardOf { Index = index, Count = count };
        }

        result.AddError($"'{text}' is not a shard: give I/N with I from 0, e.g. 2/4 for the third of four shards.");
        return null;
    }

    /// <summary>Comma-separated numbers or fractions, e.g. <c>0.485,0.456,0.406</c> (per-channel mean or std).</summary>
    public static float[] FloatList(ArgumentResult result)
    {
        string text = result.Tokens.Count > 0 ? result.Tokens[^1].Value : "";
        string[] parts = text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        var values = new float[parts.Length];
        for (int i = 0; i < parts.Length; i++)
        {
            if (!TryFraction(parts[i], out values[i]))
            {
                result.AddError($"'{text}' is not a list of numbers: give numbers separated by commas, e.g. 0.485,0.456,0.406.");
                return [];
            }
        }

        return values;
    }

    /// <summary>Parses <c>x</c> or <c>a/b</c> (invariant culture).</summary>
    public static bool TryFraction(string text, out float value)
    {
        const NumberStyles Style = NumberStyles.Float;
        int slash = text.IndexOf('/', StringComparison.Ordinal);
        if (slash < 0)
        {
            return float.TryParse(text, Style, CultureInfo.InvariantCulture, out value) && float.IsFinite(value);
        }

        if (double.TryParse(text.AsSpan(0, slash), Style, CultureInfo.InvariantCulture, out double numerator)
            && double.TryParse(text.AsSpan(slash + 1), Style, CultureInfo.InvariantCulture, out double denominator)
            && denominator != 0)
        {
            value = (float)(numerator / denominator);
            return float.IsFinite(value);
        }

        value = 0;
        return false;
    }
}
