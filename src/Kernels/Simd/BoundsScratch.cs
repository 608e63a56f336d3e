namespace DeepEverest.Kernels.Simd;

/// <summary>
/// One thread's working memory for <see cref="SimdKernels.GroupBounds"/>: the chunk's two
/// accumulators, small enough to stay in L1 while every neuron of the group passes over them.
/// </summary>
internal sealed class BoundsScratch(int neurons)
{
    /// <summary>Lower-bound accumulators of the chunk.</summary>
    public double[] AccLower { get; } = new double[SimdKernels.ChunkInputs];

    /// <summary>Upper-bound accumulators of the chunk.</summary>
    public double[] AccUpper { get; } = new double[SimdKernels.ChunkInputs];

    /// <summary>Chunk positions of the MAI inputs saved before a two-neuron pass.</summary>
    public int[] SavedAt { get; } = new int[SimdKernels.ChunkInputs];

    /// <summary>Their lower accumulators before the pass.</summary>
    public double[] SavedLower { get; } = new double[SimdKernels.ChunkInputs];

    /// <summary>Their upper accumulators before the pass.</summary>
    public double[] SavedUpper { get; } = new double[SimdKernels.ChunkInputs];

    /// <summary>Their exact MAI terms.</summary>
    public double[] SavedTerm { get; } = new double[SimdKernels.ChunkInputs];

    /// <summary>
    /// Per neuron, the index of its first MAI entry at or after <see cref="CursorInput"/>: when a
    /// thread's next chunk starts where its previous one ended (the usual case), the MAI walk
    /// continues there instead of binary-searching again.
    /// </summary>
    public int[] MaiCursor { get; } = new int[neurons];

    /// <summary>The input the cursors point at, or -1 when they are not set.</summary>
    public int CursorInput { get; set; } = -1;
}
