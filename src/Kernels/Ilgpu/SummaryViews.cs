using DeepEverest.Kernels.Summary;
using ILGPU;

namespace DeepEverest.Kernels.Ilgpu;

/// <summary>
/// The device buffers of one <see cref="IKernels.SummaryBounds"/> call: what a
/// <see cref="SummaryProblem"/> holds per segment, flattened at upload, and the call's spans.
/// ILGPU passes a struct of views to a kernel as it is.
/// </summary>
internal readonly struct SummaryViews(
    ArrayView<int> inputs,
    ArrayView<double> segments,
    ArrayView<float> sums,
    ArrayView<float> squares,
    ArrayView<double> residualLower,
    ArrayView<double> residualUpper,
    ArrayView<double> lower,
    ArrayView<double> upper)
{
    /// <summary>Doubles per segment in <see cref="Segments"/>.</summary>
    public const int SegmentWidth = 14;

    /// <summary>The call's input ids (one per thread).</summary>
    public readonly ArrayView<int> Inputs = inputs;

    /// <summary>Each segment's <see cref="SummarySegment"/>, <see cref="SegmentWidth"/> doubles (see <see cref="Flatten"/>).</summary>
    public readonly ArrayView<double> Segments = segments;

    /// <summary>Stored sums, segment-major: <c>Sums[s*n + i]</c>.</summary>
    public readonly ArrayView<float> Sums = sums;

    /// <summary>Stored sums of squares, laid out like <see cref="Sums"/>.</summary>
    public readonly ArrayView<float> Squares = squares;

    /// <summary>Lower ends of the residual's accumulator, per thread (unread without a residual).</summary>
    public readonly ArrayView<double> ResidualLower = residualLower;

    /// <summary>Upper ends of the residual's accumulator, per thread.</summary>
    public readonly ArrayView<double> ResidualUpper = residualUpper;

    /// <summary>Prior lower bounds in, intersected bounds out, per thread.</summary>
    public readonly ArrayView<double> Lower = lower;

    /// <summary>Prior upper bounds in, intersected bounds out, per thread (unused by the dual).</summary>
    public readonly ArrayView<double> Upper = upper;

    /// <summary>The segments' constants as <see cref="SegmentWidth"/> doubles each (count as a double: exact).</summary>
    public static double[] Flatten(SummarySegment[] segments)
    {
        var flat = new double[segments.Length * SegmentWidth];
        for (int s = 0; s < segments.Length; s++)
        {
            SummarySegment g = segments[s];
            ReadOnlySpan<double> values =
            [
                g.Count, g.Weight, g.NonNegative ? 1 : 0, g.SumRadius, g.SquareRadius, g.TargetSum.Lower, g.TargetSum.Upper,
                g.TargetNorm.Lower, g.TargetNorm.Upper, g.TargetSquareUpper, g.TargetMagnitude, g.TargetMaxAbs, g.TargetSpread.Lower, g.TargetSpread.Upper,
            ];
            values.CopyTo(flat.AsSpan(s * SegmentWidth));
        }

        return flat;
    }

    /// <summary>Segment s's constants, rebuilt on the device from <see cref="Segments"/>.</summary>
    public SummarySegment Segment(int s)
    {
        long at = (long)s * SegmentWidth;
        ArrayView<double> v = Segments;
        return new SummarySegment(
            (int)v[at], v[at + 1], v[at + 2] != 0, v[at + 3], v[at + 4], (v[at + 5], v[at + 6]),
            (v[at + 7], v[at + 8]), v[at + 9], v[at + 10], v[at + 11], (v[at + 12], v[at + 13]));
    }
}

/// <summary>One thread's input as <see cref="SummaryArithmetic.Cost"/> reads it on the device.</summary>
internal readonly struct DeviceSummaryInput(SummaryViews views, int inputs, int input, ArrayView<double> segmentLower, long segmentLowerAt, int hasSegmentLower) : ISummaryInput
{
    /// <inheritdoc/>
    public bool HasSegmentLower => hasSegmentLower != 0;

    /// <inheritdoc/>
    public SummarySegment Segment(int s) => views.Segment(s);

    /// <inheritdoc/>
    public float Sum(int s) => views.Sums[((long)s * inputs) + input];

    /// <inheritdoc/>
    public float Square(int s) => views.Squares[((long)s * inputs) + input];

    /// <inheritdoc/>
    public double SegmentLower(int s) => segmentLower[segmentLowerAt + s];
}

/// <summary>One thread's boxes over one segment (in its scratch row) and the segment's target, on the device.</summary>
internal readonly struct DeviceBoxes(ArrayView<float> lower, ArrayView<float> upper, long boxAt, ArrayView<float> target, int targetAt, int count) : ISegmentBoxes
{
    /// <inheritdoc/>
    public int Count => count;

    /// <inheritdoc/>
    public float Lower(int j) => lower[boxAt + j];

    /// <inheritdoc/>
    public float Upper(int j) => upper[boxAt + j];

    /// <inheritdoc/>
    public float Target(int j) => target[targetAt + j];
}
