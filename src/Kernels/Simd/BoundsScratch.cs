namespace DeepEverest.Kernels.Simd;

/// <summary>
/// One thread's working memory for <see cref="SimdKernels.GroupBounds"/>: the chunk's two float
/// accumulators (16 KiB each), small enough to stay in L1 while every neuron of the group passes
/// over them, and the widened sums on their way out.
/// </summary>
internal sealed class BoundsScratch
{
    /// <summary>Lower-bound float sums of the chunk, and room for the lanes of a last partial group.</summary>
    public float[] AccLower { get; } = new float[SimdKernels.ChunkInputs + 64];

    /// <summary>Upper-bound float sums of the chunk, and room for the lanes of a last partial group.</summary>
    public float[] AccUpper { get; } = new float[SimdKernels.ChunkInputs + 64];

    /// <summary>Packed tables of a four-neuron pass over fewer than four neurons, padded with zeros.</summary>
    public int[] QuadPacked { get; } = new int[64];

    /// <summary>A sum widened to double, before finishing.</summary>
    public double[] Widened { get; } = new double[SimdKernels.ChunkInputs];
}
