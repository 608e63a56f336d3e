using DeepEverest.Core.Query.Planning;

namespace DeepEverest.Core.Query;

/// <summary>How a query names its neuron group; resolved to flat neuron indices by <see cref="NeuronGroups"/>.</summary>
public abstract record GroupSpec
{
    /// <summary>An explicit list: flat indices, or coordinates (one per layer dimension).</summary>
    public sealed record Explicit(IReadOnlyList<long[]> Neurons) : GroupSpec;

    /// <summary>
    /// Every neuron in a hyper-rectangle: one [start, end) per layer dimension; a null end is the
    /// dimension's end (an open range), resolved against the layer's shape by <see cref="NeuronGroups"/>.
    /// </summary>
    public sealed record Rectangle(IReadOnlyList<(long Start, long? End)> Ranges) : GroupSpec;

    /// <summary>The target's m most activated neurons (ties by flat index).</summary>
    public sealed record TopOfTarget(int Count) : GroupSpec;
}
