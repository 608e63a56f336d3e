namespace DeepEverest.Kernels.Simd;

/// <summary>
/// One thread's working memory for <see cref="SimdKernels.GroupBounds"/>: the chunk's two float
/// accumulators (16 KiB each), small enough to stay in L1 while every neuron of the group passes
/// over them, and the widened sums on their way out.
/// </summary>
internal sealed class BoundsScratch(int neurons)
{
    /// <summary>Lower-bound float sums of the chunk.</summary>
    public float[] AccLower { get; } = new float[SimdKernels.ChunkInputs];

    /// <summary>Upper-bound float sums of the chunk.</summary>
    public float[] AccUpper { get; } = new float[SimdKernels.ChunkInputs];

    /// <summary>Lower tables of a four-neuron pass over fewer than four neurons, padded with zeros.</summary>
    public float[] QuadLower { get; } = new float[64];

    /// <summary>Upper tables of a four-neuron pass over fewer than four neurons, padded with zeros.</summary>
    public float[] QuadUpper { get; } = new float[64];

    /// <summary>A sum widened to double, before finishing.</summary>
    public double[] Widened { get; } = new double[SimdKernels.ChunkInputs];

    /// <summary>
    /// Per neuron, the index of its first MAI entry at or after <see cref="CursorInput"/>: when a
    /// thread's next chunk starts where its previous one ended (the usual case), the MAI walk
    /// continues there instead of binary-searching again.
    /// </summary>
    public int[] MaiCursor { get; } = new int[neurons];

    /// <summary>The input the cursors point at, or -1 when they are not set.</summary>
    public int CursorInput { get; set; } = -1;
}
