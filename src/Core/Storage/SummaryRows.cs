namespace DeepEverest.Core.Storage;

/// <summary>
/// Channel summary rows of some segments, as read from the store (docs/large-groups.md): for
/// segment s and input i, the real sum of the segment's activations lies within
/// <c>SumRadius[s]</c> of <c>Sums[s][i]</c>, and the real sum of their squares within
/// <c>SquareRadius[s]</c> of <c>Squares[s][i]</c>.
/// </summary>
/// <param name="SumRadius">Per segment, the radius of the stored sums.</param>
/// <param name="SquareRadius">Per segment, the radius of the stored sums of squares.</param>
/// <param name="Sums">Per segment, n float32 sums.</param>
/// <param name="Squares">Per segment, n float32 sums of squares.</param>
public sealed record SummaryRows(double[] SumRadius, double[] SquareRadius, float[][] Sums, float[][] Squares);
