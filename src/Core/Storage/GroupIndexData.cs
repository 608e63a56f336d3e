namespace DeepEverest.Core.Storage;

/// <summary>
/// The index rows of a group of g neurons, as read from the store.
/// </summary>
/// <param name="Codes">g packed code streams back to back.</param>
/// <param name="PartMin">Per-partition minimum, <c>[j*P + p]</c>.</param>
/// <param name="PartMax">Per-partition maximum, <c>[j*P + p]</c>.</param>
/// <param name="MaiIds">Per neuron, MAI ids ordered by value descending then id ascending.</param>
/// <param name="MaiValues">Per neuron, the matching MAI values.</param>
public sealed record GroupIndexData(byte[] Codes, float[] PartMin, float[] PartMax, int[][] MaiIds, float[][] MaiValues);
