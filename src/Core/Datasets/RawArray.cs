namespace DeepEverest.Core.Datasets;

/// <summary>
/// An array read from a dataset file: the first dimension indexes inputs; data is the stored
/// elements in little-endian order (uint8 or float32).
/// </summary>
/// <param name="Shape">Full shape; Shape[0] is the number of items.</param>
/// <param name="ElementType">1 = uint8, 2 = float32, 3 = integer labels (decoded into <paramref name="Labels"/>).</param>
/// <param name="Data">Raw elements (uint8 or float32 LE); empty for labels.</param>
/// <param name="Labels">Decoded integer labels, for 1-D label files.</param>
public sealed record RawArray(long[] Shape, int ElementType, byte[] Data, int[]? Labels);
