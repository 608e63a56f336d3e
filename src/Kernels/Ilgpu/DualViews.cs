using ILGPU;

namespace DeepEverest.Kernels.Ilgpu;

/// <summary>
/// What <see cref="IKernels.SummaryDualLower"/> reads on the device besides
/// <see cref="SummaryViews"/>: the segments' neurons and target, the group's index rows (MAI
/// flattened by position, sorted by id), and per-thread scratch for the boxes and the segments'
/// dual bounds.
/// </summary>
internal readonly struct DualViews(
    ArrayView<int> segmentStarts,
    ArrayView<int> positions,
    ArrayView<float> target,
    ArrayView<byte> codes,
    ArrayView<float> partMin,
    ArrayView<float> partMax,
    ArrayView<int> maiOffsets,
    ArrayView<int> maiIds,
    ArrayView<float> maiValues,
    ArrayView<float> boxLower,
    ArrayView<float> boxUpper,
    ArrayView<double> segmentLower)
{
    /// <summary>S + 1 offsets into <see cref="Positions"/> and <see cref="Target"/>.</summary>
    public readonly ArrayView<int> SegmentStarts = segmentStarts;

    /// <summary>The segments' group positions, segment by segment.</summary>
    public readonly ArrayView<int> Positions = positions;

    /// <summary>The target's activation of each segment neuron.</summary>
    public readonly ArrayView<float> Target = target;

    /// <summary>The group's packed codes (g x stride bytes).</summary>
    public readonly ArrayView<byte> Codes = codes;

    /// <summary>Partition minima, <c>PartMin[j*P + p]</c>.</summary>
    public readonly ArrayView<float> PartMin = partMin;

    /// <summary>Partition maxima, laid out like <see cref="PartMin"/>.</summary>
    public readonly ArrayView<float> PartMax = partMax;

    /// <summary>g + 1 offsets into <see cref="MaiIds"/>: position j's entries are <c>[MaiOffsets[j], MaiOffsets[j + 1])</c>.</summary>
    public readonly ArrayView<int> MaiOffsets = maiOffsets;

    /// <summary>MAI ids, ascending within each position.</summary>
    public readonly ArrayView<int> MaiIds = maiIds;

    /// <summary>MAI values matching <see cref="MaiIds"/>.</summary>
    public readonly ArrayView<float> MaiValues = maiValues;

    /// <summary>Scratch: per thread of the launch, <see cref="DualParameters.Largest"/> box lower ends.</summary>
    public readonly ArrayView<float> BoxLower = boxLower;

    /// <summary>Scratch: box upper ends, laid out like <see cref="BoxLower"/>.</summary>
    public readonly ArrayView<float> BoxUpper = boxUpper;

    /// <summary>Scratch: per thread of the launch, S dual bounds.</summary>
    public readonly ArrayView<double> SegmentLower = segmentLower;
}

/// <summary>Scalar arguments of <see cref="IlgpuKernels.SummaryDualKernel"/>.</summary>
internal readonly struct DualParameters(int bits, int stride, int partitions, int largest, int first)
{
    /// <summary>Bits per code.</summary>
    public readonly int Bits = bits;

    /// <summary>Bytes per neuron stream.</summary>
    public readonly int Stride = stride;

    /// <summary>P.</summary>
    public readonly int Partitions = partitions;

    /// <summary>Neurons of the largest segment (the scratch row length).</summary>
    public readonly int Largest = largest;

    /// <summary>The call position of this launch's thread 0 (launches cover the inputs in chunks).</summary>
    public readonly int First = first;
}
