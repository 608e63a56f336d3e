namespace DeepEverest.Core.Query;

/// <summary>One dataset input as stored (<see cref="QueryEngine.Input"/>).</summary>
/// <param name="Values">The stored values as floats, without preprocessing, flat in row-major order of <paramref name="Shape"/>; empty for a token item.</param>
/// <param name="Shape">The dataset's input shape, without a batch axis; empty for a token item.</param>
/// <param name="Label">The input's label, -1 when the dataset has none (always for a token item).</param>
public sealed record StoredInput(float[] Values, long[] Shape, int Label)
{
    /// <summary>
    /// Over a text dataset, whose inputs are token items with no array: the item with its whole
    /// window (<see cref="QueryEngine.TextItem"/>); null otherwise.
    /// </summary>
    public TextItemInfo? Text { get; init; }
}
