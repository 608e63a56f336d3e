namespace DeepEverest.Core.Indexing;

/// <summary>Service-wide defaults of index builds (bound from the "Index" configuration section).</summary>
public sealed class IndexBuildOptions
{
    /// <summary>Inputs per inference batch. Default 256.</summary>
    public int BatchSize { get; set; } = 256;

    /// <summary>
    /// MiB the activation matrix of one build may hold in memory; beyond it the build spills to
    /// temporary files in neuron blocks. Default 2048.
    /// </summary>
    public long MemoryBudgetMb { get; set; } = 2048;

    /// <summary>ONNX Runtime intra-op threads; 0 = one per core. Default 0.</summary>
    public int InferenceThreads { get; set; }

    /// <summary>
    /// Directory under which builds spill (each in its own directory, removed when it ends, or at
    /// the next start if the process was killed); empty = <c>spill/</c> under the data root.
    /// </summary>
    public string TempDirectory { get; set; } = "";
}
