namespace DeepEverest.Core.Query;

/// <summary>One dataset input as stored (<see cref="QueryEngine.Input"/>).</summary>
/// <param name="Values">The stored values as floats, without preprocessing, flat in row-major order of <paramref name="Shape"/>.</param>
/// <param name="Shape">The dataset's input shape, without a batch axis.</param>
/// <param name="Label">The input's label, -1 when the dataset has none.</param>
public sealed record StoredInput(float[] Values, long[] Shape, int Label);
