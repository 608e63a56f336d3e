namespace DeepEverest.IndexService;

/// <summary>The stored size of one published index (a <c>deepeverest.index.size</c> measurement).</summary>
/// <param name="Model">Model name.</param>
/// <param name="Dataset">Dataset name.</param>
/// <param name="Layer">Layer name.</param>
/// <param name="Bytes">Bytes of the index as stored.</param>
internal readonly record struct IndexSize(string Model, string Dataset, string Layer, long Bytes);
