namespace DeepEverest.Kernels.Summary;

/// <summary>
/// One input's activation intervals over one segment and the target there, for
/// <see cref="SegmentDual.Lower"/>: a struct type argument, so that the same dual runs on the host
/// (over scratch arrays) and in an ILGPU kernel (over device buffers).
/// </summary>
internal interface ISegmentBoxes
{
    /// <summary>m, the segment's neurons.</summary>
    int Count { get; }

    /// <summary>The lower end of neuron j's interval.</summary>
    float Lower(int j);

    /// <summary>The upper end of neuron j's interval.</summary>
    float Upper(int j);

    /// <summary>The target's activation of neuron j.</summary>
    float Target(int j);
}
