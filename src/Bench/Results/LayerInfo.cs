namespace DeepEverest.Bench.Results;

/// <summary>A benchmarked layer.</summary>
/// <param name="Role">early, middle or late.</param>
/// <param name="Name">ONNX tensor name.</param>
/// <param name="Shape">Per-input shape.</param>
/// <param name="Neurons">Neurons per input.</param>
public sealed record LayerInfo(string Role, string Name, IReadOnlyList<long> Shape, long Neurons);
