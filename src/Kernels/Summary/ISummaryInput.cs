namespace DeepEverest.Kernels.Summary;

/// <summary>
/// What <see cref="SummaryArithmetic.Cost"/> reads of one input: its segments' constants and
/// stored summaries, and optionally better lower bounds of each segment's part. A struct type
/// argument, so that the same arithmetic runs on the host (over a <see cref="SummaryProblem"/>)
/// and in an ILGPU kernel (over device buffers).
/// </summary>
internal interface ISummaryInput
{
    /// <summary>Whether <see cref="SegmentLower"/> holds bounds to use.</summary>
    bool HasSegmentLower { get; }

    /// <summary>Segment s's constants.</summary>
    SummarySegment Segment(int s);

    /// <summary>The input's stored (float) sum over segment s.</summary>
    float Sum(int s);

    /// <summary>The input's stored (float) sum of squares over segment s.</summary>
    float Square(int s);

    /// <summary>A lower bound of segment s's part (when <see cref="HasSegmentLower"/>).</summary>
    double SegmentLower(int s);
}
