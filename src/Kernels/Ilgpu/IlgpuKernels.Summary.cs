using DeepEverest.Kernels.Summary;
using ILGPU;
using ILGPU.Runtime;

namespace DeepEverest.Kernels.Ilgpu;

/// <content>
/// <see cref="IKernels.SummaryBounds"/> and <see cref="IKernels.SummaryDualLower"/> on the device,
/// one thread per input. The arithmetic is the host's own: the kernels call
/// <see cref="SummaryArithmetic.Cost"/> and <see cref="SummaryArithmetic.DualLower{TBoxes}"/> with
/// device views in place of the <see cref="SummaryProblem"/> (its per-segment arrays flattened at
/// upload), and those round with <see cref="SummaryRounding"/>'s bit-level ulp steps, so every
/// bound is the scalar definition's bit for bit.
/// </content>
internal sealed partial class IlgpuKernels
{
    private readonly Action<Index1D, SummaryViews, SummaryParameters, int> _summaryBounds;
    private readonly Action<Index1D, SummaryViews, DualViews, SummaryParameters, DualParameters, int> _summaryDual;

    /// <summary>
    /// Scratch floats per box buffer of one <see cref="SummaryDualLower"/> launch (default 2^24,
    /// 64 MiB): inputs are launched in chunks whose boxes fit. Tests lower it to reach the chunking.
    /// </summary>
    internal int DualScratchFloats { get; set; } = 1 << 24;

    /// <summary>Summary bounds of input <c>Inputs[index]</c>, intersected with its prior bounds.</summary>
    internal static void SummaryBoundsKernel(Index1D index, SummaryViews v, SummaryParameters p, int hasResidual)
    {
        int r = index.X;
        double residualLower = hasResidual != 0 ? v.ResidualLower[r] : 0;
        double residualUpper = hasResidual != 0 ? v.ResidualUpper[r] : 0;
        var input = new DeviceSummaryInput(v, p.Inputs, v.Inputs[r], v.Lower, 0, 0);
        (double costLower, double costUpper) = SummaryArithmetic.Cost(p, input, residualLower, residualUpper);
        v.Lower[r] = SummaryRounding.TightenLower(v.Lower[r], costLower);
        v.Upper[r] = SummaryRounding.TightenUpper(v.Upper[r], costUpper);
    }

    /// <summary>
    /// Dual lower bound of input <c>Inputs[First + index]</c>: each segment's boxes into this
    /// thread's scratch row, its dual, then the summary bound with those segment bounds.
    /// </summary>
    internal static void SummaryDualKernel(Index1D index, SummaryViews v, DualViews d, SummaryParameters p, DualParameters q, int hasResidual)
    {
        int t = index.X;
        int r = q.First + t;
        int i = v.Inputs[r];
        long boxAt = (long)t * q.Largest;
        long segmentAt = (long)t * p.Segments;
        for (int s = 0; s < p.Segments; s++)
        {
            SummarySegment seg = v.Segment(s);
            int start = d.SegmentStarts[s];
            for (int k = 0; k < seg.Count; k++)
            {
                int j = d.Positions[start + k];
                int code = CodeAt(d.Codes, (long)j * q.Stride, q.Bits, i);
                int e = code == 0 ? FindMai(d.MaiOffsets, d.MaiIds, j, i) : -1;
                long cell = ((long)j * q.Partitions) + code;
                d.BoxLower[boxAt + k] = e >= 0 ? d.MaiValues[e] : d.PartMin[cell];
                d.BoxUpper[boxAt + k] = e >= 0 ? d.MaiValues[e] : d.PartMax[cell];
            }

            var boxes = new DeviceBoxes(d.BoxLower, d.BoxUpper, boxAt, d.Target, start, seg.Count);
            long at = ((long)s * p.Inputs) + i;
            d.SegmentLower[segmentAt + s] = SummaryArithmetic.DualLower(seg, v.Sums[at], v.Squares[at], boxes);
        }

        double residualLower = hasResidual != 0 ? v.ResidualLower[r] : 0;
        double residualUpper = hasResidual != 0 ? v.ResidualUpper[r] : 0;
        var input = new DeviceSummaryInput(v, p.Inputs, i, d.SegmentLower, segmentAt, 1);
        (double costLower, _) = SummaryArithmetic.Cost(p, input, residualLower, residualUpper);
        v.Lower[r] = SummaryRounding.TightenLower(v.Lower[r], costLower);
    }

    /// <inheritdoc/>
    public void SummaryBounds(in SummaryProblem problem, ReadOnlySpan<int> inputs, ReadOnlySpan<double> residualLower, ReadOnlySpan<double> residualUpper, Span<double> lower, Span<double> upper)
    {
        KernelArguments.CheckSummary(problem, inputs, residualLower, residualUpper, lower, upper);
        int count = inputs.Length;
        if (count == 0)
        {
            return;
        }

        using SummaryBuffers buffers = UploadSummary(problem, inputs, residualLower, residualUpper, lower[..count], upper[..count]);
        _summaryBounds(count, buffers.Views, new SummaryParameters(problem), residualLower.IsEmpty ? 0 : 1);
        _accelerator.Synchronize();
        buffers.Lower.View.AsContiguous().CopyToCPU(lower[..count]);
        buffers.Upper.View.AsContiguous().CopyToCPU(upper[..count]);
    }

    /// <inheritdoc/>
    public void SummaryDualLower(in SummaryProblem problem, ReadOnlySpan<int> inputs, ReadOnlySpan<double> residualLower, ReadOnlySpan<double> residualUpper, Span<double> lower)
    {
        KernelArguments.CheckSummary(problem, inputs, residualLower, residualUpper, lower, lower);
        int count = inputs.Length;
        if (!problem.CanRefine || count == 0 || problem.SegmentCount == 0)
        {
            return;
        }

        // The upper bounds are neither read nor returned: a placeholder keeps the views' shape.
        using SummaryBuffers buffers = UploadSummary(problem, inputs, residualLower, residualUpper, lower[..count], lower[..1]);
        int largest = problem.Segments.Max(segment => segment.Count);
        int chunk = Math.Max(1, Math.Min(count, DualScratchFloats / largest));
        int g = problem.Cost.GroupSize;
        var maiOffsets = new int[g + 1];
        for (int j = 0; j < g; j++)
        {
            maiOffsets[j + 1] = maiOffsets[j] + (problem.MaiIds[j]?.Length ?? 0);
        }

        int[] maiIds = [.. problem.MaiIds.Where(ids => ids is not null).SelectMany(ids => ids)];
        float[] maiValues = [.. problem.MaiValues.Where(values => values is not null).SelectMany(values => values)];
        using var starts = Upload<int>(problem.SegmentStarts);
        using var positions = Upload<int>(problem.Positions);
        using var target = Upload<float>(problem.Target);
        using var codes = Upload<byte>(problem.Codes);
        using var partMin = Upload<float>(problem.PartMin);
        using var partMax = Upload<float>(problem.PartMax);
        using var offsets = Upload<int>(maiOffsets);
        using var ids = Upload<int>(maiIds);
        using var values = Upload<float>(maiValues);
        using var boxLower = _accelerator.Allocate1D<float>((long)chunk * largest);
        using var boxUpper = _accelerator.Allocate1D<float>((long)chunk * largest);
        using var segmentLower = _accelerator.Allocate1D<double>((long)chunk * problem.SegmentCount);
        var views = new DualViews(
            starts.View, positions.View, target.View, codes.View, partMin.View, partMax.View, offsets.View, ids.View, values.View, boxLower.View, boxUpper.View, segmentLower.View);
        var parameters = new SummaryParameters(problem);
        for (int first = 0; first < count; first += chunk)
        {
            var dual = new DualParameters(problem.Bits, problem.Stride, problem.Partitions, largest, first);
            _summaryDual(Math.Min(chunk, count - first), buffers.Views, views, parameters, dual, residualLower.IsEmpty ? 0 : 1);
        }

        _accelerator.Synchronize();
        buffers.Lower.View.AsContiguous().CopyToCPU(lower[..count]);
    }

    /// <summary>Uploads the call's inputs and bounds and the problem's segments and summaries (S x n, segment-major).</summary>
    private SummaryBuffers UploadSummary(SummaryProblem problem, ReadOnlySpan<int> inputs, ReadOnlySpan<double> residualLower, ReadOnlySpan<double> residualUpper, ReadOnlySpan<double> lower, ReadOnlySpan<double> upper)
    {
        int n = problem.Inputs;
        int segments = problem.SegmentCount;
        var buffers = new SummaryBuffers();
        try
        {
            buffers.Inputs = Upload(inputs);
            buffers.Segments = Upload<double>(SummaryViews.Flatten(problem.Segments));
            buffers.Sums = _accelerator.Allocate1D<float>(Math.Max(1, (long)segments * n));
            buffers.Squares = _accelerator.Allocate1D<float>(Math.Max(1, (long)segments * n));
            for (int s = 0; s < segments && n > 0; s++)
            {
                buffers.Sums.View.AsContiguous().SubView((long)s * n, n).CopyFromCPU(problem.Sums[s].AsSpan(0, n));
                buffers.Squares.View.AsContiguous().SubView((long)s * n, n).CopyFromCPU(problem.Squares[s].AsSpan(0, n));
            }

            buffers.ResidualLower = Upload(residualLower);
            buffers.ResidualUpper = Upload(residualUpper);
            buffers.Lower = Upload(lower);
            buffers.Upper = Upload(upper);
            return buffers;
        }
        catch
        {
            buffers.Dispose();
            throw;
        }
    }

    /// <summary>The device buffers behind one call's <see cref="SummaryViews"/>; disposing frees them all.</summary>
    private sealed class SummaryBuffers : IDisposable
    {
        public MemoryBuffer1D<int, Stride1D.Dense>? Inputs { get; set; }

        public MemoryBuffer1D<double, Stride1D.Dense>? Segments { get; set; }

        public MemoryBuffer1D<float, Stride1D.Dense>? Sums { get; set; }

        public MemoryBuffer1D<float, Stride1D.Dense>? Squares { get; set; }

        public MemoryBuffer1D<double, Stride1D.Dense>? ResidualLower { get; set; }

        public MemoryBuffer1D<double, Stride1D.Dense>? ResidualUpper { get; set; }

        public MemoryBuffer1D<double, Stride1D.Dense> Lower { get; set; } = null!;

        public MemoryBuffer1D<double, Stride1D.Dense> Upper { get; set; } = null!;

        public SummaryViews Views => new(Inputs!.View, Segments!.View, Sums!.View, Squares!.View, ResidualLower!.View, ResidualUpper!.View, Lower.View, Upper.View);

        public void Dispose()
        {
            Inputs?.Dispose();
            Segments?.Dispose();
            Sums?.Dispose();
            Squares?.Dispose();
            ResidualLower?.Dispose();
            ResidualUpper?.Dispose();
            Lower?.Dispose();
            Upper?.Dispose();
        }
    }
}
