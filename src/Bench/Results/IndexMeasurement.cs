namespace DeepEverest.Bench.Results;

/// <summary>One index build of the P x ratio grid.</summary>
/// <param name="Layer">Layer role.</param>
/// <param name="Partitions">P.</param>
/// <param name="Ratio">MAI ratio.</param>
/// <param name="InferenceMs">The build's inference pass, as the builder reports it.</param>
/// <param name="ConstructionMs">Sorting, partitioning and writing, as the builder reports it.</param>
/// <param name="WallMs">The whole build call, measured by the benchmark.</param>
/// <param name="IndexBytes">Bytes the builder wrote (codes, partition bounds, MAI).</param>
/// <param name="DiskBytes">On-disk bytes the index added to its RocksDB store (SST files, after reopening).</param>
/// <param name="MaterializedBytes">Bytes of the layer's float32 activations for every input.</param>
/// <param name="Spilled">Whether the build spilled activations to disk.</param>
/// <param name="SummaryBytes">Bytes of the channel summaries, included in <paramref name="IndexBytes"/> (0 when none, or in older results).</param>
public sealed record IndexMeasurement(
    string Layer,
    int Partitions,
    double Ratio,
    long InferenceMs,
    long ConstructionMs,
    double WallMs,
    long IndexBytes,
    long DiskBytes,
    long MaterializedBytes,
    bool Spilled,
    long SummaryBytes = 0)
{
    /// <summary>On-disk bytes over <see cref="MaterializedBytes"/>.</summary>
    public double DiskFraction => (double)DiskBytes / MaterializedBytes;

    /// <summary>Written bytes over <see cref="MaterializedBytes"/>.</summary>
    public double IndexFraction => (double)IndexBytes / MaterializedBytes;
}
