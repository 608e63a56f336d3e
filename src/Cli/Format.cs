using System.Globalization;

namespace DeepEverest.Cli;

/// <summary>Human-readable formatting of sizes, durations and shapes (invariant culture).</summary>
internal static class Format
{
    /// <summary>Bytes as B, KiB, MiB or GiB with one decimal.</summary>
    public static string Bytes(long bytes)
    {
        string[] units = ["B", "KiB", "MiB", "GiB", "TiB"];
        double value = bytes;
        int unit = 0;
        while (Math.Abs(value) >= 1024 && unit < units.Length - 1)
        {
            value /= 1024;
            unit++;
        }

        return unit == 0 ? Invariant($"{bytes} B") : Invariant($"{value:F1} {units[unit]}");
    }

    /// <summary>Milliseconds as <c>1.2 s</c>, <c>3m 05s</c> or <c>250 ms</c>; "?" when negative (unknown).</summary>
    public static string Duration(long milliseconds)
    {
        if (milliseconds < 0)
        {
            return "?";
        }

        if (milliseconds < 1000)
        {
            return Invariant($"{milliseconds} ms");
        }

        var span = TimeSpan.FromMilliseconds(milliseconds);
        return span.TotalMinutes < 1
            ? Invariant($"{span.TotalSeconds:F1} s")
            : span.TotalHours < 1 ? Invariant($"{(int)span.TotalMinutes}m {span.Seconds:D2}s") : Invariant($"{(int)span.TotalHours}h {span.Minutes:D2}m");
    }

    /// <summary>A shape as <c>[1, 28, 28]</c>.</summary>
    public static string Shape(IEnumerable<long> shape) => "[" + string.Join(", ", shape) + "]";

    /// <summary>
    /// A layer's shape per item: <c>[32, 16, 16]</c> per input, or <c>[1536] per sequence</c> for a
    /// layer whose items are the positions along a symbolic axis (tokens; docs/text-models.md).
    /// </summary>
    public static string LayerShape(Contracts.V1.LayerInfo layer) =>
        layer.TensorShape.Count > 1 && layer.TensorShape[1].Symbol.Length > 0
            ? $"{Shape(layer.Shape)} per {layer.TensorShape[1].Symbol}"
            : Shape(layer.Shape);

    /// <summary>
    /// What a model takes: <c>'input' [1, 28, 28]</c> for one float input, else each input with its
    /// type and declared shape, symbolic axes by name: <c>'input_ids' int64 [batch, sequence], ...</c>.
    /// </summary>
    public static string Inputs(Contracts.V1.ModelInfo model) =>
        model.InputName.Length > 0 || model.Inputs.Count == 0
            ? $"'{model.InputName}' {Shape(model.InputShape)}"
            : string.Join(", ", model.Inputs.Select(i => $"'{i.Name}' {i.ElementType} [{string.Join(", ", i.Shape.Select(d => d.Symbol.Length > 0 ? d.Symbol : d.Size.ToString(CultureInfo.InvariantCulture)))}]"));

    /// <summary>An integer with thousands separators.</summary>
    public static string Count(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    /// <summary>A fraction as a percentage with one decimal, e.g. <c>12.3%</c>.</summary>
    public static string Percent(double fraction) => Invariant($"{fraction * 100:F1}%");

    /// <summary>Formats with the invariant culture.</summary>
    public static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
