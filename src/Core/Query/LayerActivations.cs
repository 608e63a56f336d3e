namespace DeepEverest.Core.Query;

/// <summary>One input's activations at a layer (<see cref="QueryEngine.Activations"/>).</summary>
/// <param name="Values">Every neuron's activation, flat in row-major order of <paramref name="Shape"/>.</param>
/// <param name="Shape">The layer's shape, without a batch axis.</param>
/// <param name="TopNeurons">Flat indices of the most activated neurons, highest first (ties by index), or empty.</param>
public sealed record LayerActivations(float[] Values, long[] Shape, int[] TopNeurons);
