namespace DeepEverest.Core.Onnx;

/// <summary>
/// One axis of a tensor's shape: a fixed size, or a symbolic axis (e.g. <c>batch</c>,
/// <c>sequence</c>) whose size each run chooses.
/// </summary>
/// <param name="Size">The fixed size (&gt; 0), or 0 when the axis is symbolic.</param>
/// <param name="Symbol">The axis's name when symbolic; null when fixed.</param>
public readonly record struct TensorDim(long Size, string? Symbol)
{
    /// <summary>True when the axis is symbolic (<see cref="Symbol"/> is set).</summary>
    public bool IsSymbolic => Symbol is not null;

    /// <summary>A fixed axis of <paramref name="size"/> elements.</summary>
    public static TensorDim Fixed(long size) => new(size, null);

    /// <summary>A symbolic axis called <paramref name="symbol"/>.</summary>
    public static TensorDim Named(string symbol) => new(0, symbol);

    /// <summary>The size, or the symbol's name: <c>384</c>, <c>sequence</c>.</summary>
    public override string ToString() =>
        Symbol ?? Size.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>A shape as written in messages: <c>[batch, sequence, 384]</c>.</summary>
    public static string Format(IEnumerable<TensorDim> shape) => $"[{string.Join(", ", shape)}]";
}
