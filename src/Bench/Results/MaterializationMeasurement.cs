namespace DeepEverest.Bench.Results;

/// <summary>PreprocessAll's materialization of one layer.</summary>
/// <param name="Layer">Layer role.</param>
/// <param name="WallMs">The whole materialization call.</param>
/// <param name="InferenceMs">Its inference pass.</param>
/// <param name="Bytes">Bytes of float32 activations (inputs x neurons x 4).</param>
/// <param name="DiskBytes">On-disk bytes it added to its RocksDB store (SST files, after reopening).</param>
public sealed record MaterializationMeasurement(string Layer, double WallMs, long InferenceMs, long Bytes, long DiskBytes);
