using DeepEverest.Kernels.Simd;
using DeepEverest.Kernels.Summary;
using ILGPU;
using ILGPU.Algorithms;
using ILGPU.Algorithms.RadixSortOperations;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;

namespace DeepEverest.Kernels.Ilgpu;

/// <summary>
/// <see cref="IKernels"/> on an ILGPU accelerator: CUDA in production, ILGPU's CPU accelerator (a
/// slow debugging emulator) in tests. Kernels are compiled once, in the constructor, and cached as
/// launchers. Every call copies its inputs to the device and its results back; nothing stays
/// resident between calls. <see cref="SelectTopK"/> and <see cref="SelectAtMost"/> run on the host
/// with the SIMD kernels: they read data the caller already holds on the host, and a device
/// round trip would cost more than the scan.
/// </summary>
internal sealed partial class IlgpuKernels : IKernels
{
    private readonly Context _context;
    private readonly Accelerator _accelerator;
    private readonly bool _ownsContext;
    private readonly SimdKernels _host = SimdKernels.CreateBest();
    private readonly Action<Index1D, ArrayView<byte>, ArrayView<float>, ArrayView<float>, ArrayView<int>, ArrayView<int>, ArrayView<float>, ArrayView<float>, ArrayView<double>, ArrayView<double>, BoundsParameters> _groupBounds;
    private readonly Action<Index1D, ArrayView<float>, ArrayView<double>, ArrayView<double>, ArrayView<double>, CostParameters> _exactCosts;
    private readonly Action<Index1D, ArrayView<byte>, ArrayView<byte>, int, int> _unpack;
    private readonly Action<Index1D, ArrayView<float>, ArrayView<ulong>, ArrayView<int>, int> _buildKeys;
    private readonly Action<Index1D, ArrayView<int>, ArrayView<float>, ArrayView<byte>, ArrayView<int>, ArrayView<float>, ArrayView<float>, ArrayView<float>, BuildParameters> _buildRanks;
    private readonly RadixSortPairs<ulong, Stride1D.Dense, int, Stride1D.Dense> _sortPairs;

    /// <summary>Compiles every kernel for <paramref name="accelerator"/>.</summary>
    /// <param name="context">The ILGPU context (created with algorithms enabled).</param>
    /// <param name="accelerator">The accelerator to run on; disposed with this instance.</param>
    /// <param name="ownsContext">Whether disposing this instance also disposes the context.</param>
    internal IlgpuKernels(Context context, Accelerator accelerator, bool ownsContext)
    {
        _context = context;
        _accelerator = accelerator;
        _ownsContext = ownsContext;
        _groupBounds = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<byte>, ArrayView<float>, ArrayView<float>, ArrayView<int>, ArrayView<int>, ArrayView<float>, ArrayView<float>, ArrayView<double>, ArrayView<double>, BoundsParameters>(GroupBoundsKernel);
        _exactCosts = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<double>, ArrayView<double>, ArrayView<double>, CostParameters>(ExactCostsKernel);
        _unpack = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<byte>, ArrayView<byte>, int, int>(UnpackCodesKernel);
        _buildKeys = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<ulong>, ArrayView<int>, int>(BuildKeysKernel);
        _buildRanks = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<int>, ArrayView<float>, ArrayView<byte>, ArrayView<int>, ArrayView<float>, ArrayView<float>, ArrayView<float>, BuildParameters>(BuildRanksKernel);
        _summaryBounds = accelerator.LoadAutoGroupedStreamKernel<Index1D, SummaryViews, SummaryParameters, int>(SummaryBoundsKernel);
        _summaryDual = accelerator.LoadAutoGroupedStreamKernel<Index1D, SummaryViews, DualViews, SummaryParameters, DualParameters, int>(SummaryDualKernel);
        _sortPairs = accelerator.CreateRadixSortPairs<ulong, Stride1D.Dense, int, Stride1D.Dense, AscendingUInt64>();
    }

    /// <inheritdoc/>
    public string Name => _accelerator.AcceleratorType switch
    {
        AcceleratorType.Cuda => "ilgpu-cuda",
        AcceleratorType.CPU => "ilgpu-cpu-emulator",
        AcceleratorType other => "ilgpu-" + other.ToString().ToLowerInvariant(),
    };

    /// <summary>The accelerator the kernels run on.</summary>
    internal Accelerator Accelerator => _accelerator;

    /// <summary>
    /// Kernels on ILGPU's CPU accelerator (for tests: correct but about 900x slower than SIMD).
    /// </summary>
    internal static IlgpuKernels CreateCpuEmulator()
    {
        Context context = CreateContext(builder => builder.CPU());
        try
        {
            return new IlgpuKernels(context, context.CreateCPUAccelerator(0), ownsContext: true);
        }
        catch
        {
            context.Dispose();
            throw;
        }
    }

    /// <summary>
    /// A context for <paramref name="devices"/> with IEEE math (no fast-math approximations) and
    /// ILGPU.Algorithms enabled.
    /// </summary>
    internal static Context CreateContext(Func<Context.Builder, Context.Builder> devices) =>
        Context.Create(builder => devices(builder).Math(MathMode.Default).EnableAlgorithms());

    /// <inheritdoc/>
    public void GroupBounds(in BoundsProblem problem, Span<double> lower, Span<double> upper)
    {
        KernelArguments.CheckBounds(problem, lower, upper);
        int n = problem.Inputs;

        if (n == 0)
        {
            return;
        }

        CostFunction cost = problem.Cost;
        using var codes = Upload<byte>(problem.Codes);
        using var termLower = Upload<float>(problem.CoarseLower);
        using var termUpper = Upload<float>(problem.CoarseUpper);
        using var maiOffsets = Upload<int>(problem.MaiOffsets);
        using var maiIds = Upload<int>(problem.MaiIds);
        using var maiLower = Upload<float>(problem.CoarseMaiLower);
        using var maiUpper = Upload<float>(problem.CoarseMaiUpper);
        using var lowerOut = _accelerator.Allocate1D<double>(n);
        using var upperOut = _accelerator.Allocate1D<double>(n);
        var parameters = new BoundsParameters(
            cost.GroupSize, problem.Partitions, problem.Bits, problem.Stride, cost.CombinesByMax, (int)SimdKernels.FinishOf(cost), cost.GroupSize, problem);
        _groupBounds(n, codes.View, termLower.View, termUpper.View, maiOffsets.View, maiIds.View, maiLower.View, maiUpper.View, lowerOut.View, upperOut.View, parameters);
        _accelerator.Synchronize();
        lowerOut.View.AsContiguous().CopyToCPU(lower[..n]);
        upperOut.View.AsContiguous().CopyToCPU(upper[..n]);
    }

    /// <inheritdoc/>
    /// <remarks>On the host: the inputs are the few candidates the coarse bounds leave.</remarks>
    public void RefineBounds(in BoundsProblem problem, ReadOnlySpan<int> inputs, Span<double> lower, Span<double> upper) =>
        SimdKernels.RefineOnHost(problem, inputs, lower, upper);

    /// <inheritdoc/>
    public void ExactCosts(in CostFunction cost, ReadOnlySpan<float> activations, int rows, Span<double> costs)
    {
        KernelArguments.CheckExactCosts(cost, activations, rows, costs);
        int g = cost.GroupSize;

        if (rows == 0)
        {
            return;
        }

        var plan = new CostPlan(cost);
        using var act = Upload(activations[..(rows * g)]);
        using var target = Upload<double>(plan.Target);
        using var weight = Upload<double>(plan.Weight);
        using var output = _accelerator.Allocate1D<double>(rows);
        _exactCosts(rows, act.View, target.View, weight.View, output.View, new CostParameters(g, (int)cost.Kind, (int)plan.Finish, g));
        _accelerator.Synchronize();
        output.View.AsContiguous().CopyToCPU(costs[..rows]);
    }

    /// <inheritdoc/>
    public int SelectTopK(ReadOnlySpan<double> costs, ReadOnlySpan<int> ids, int k, Span<int> positions) =>
        _host.SelectTopK(costs, ids, k, positions);

    /// <inheritdoc/>
    public int SelectAtMost(ReadOnlySpan<double> values, double limit, Span<int> positions) =>
        _host.SelectAtMost(values, limit, positions);

    /// <inheritdoc/>
    public void UnpackCodes(ReadOnlySpan<byte> packed, int bits, int start, int count, Span<byte> codes)
    {
        CodePacking.ValidateUnpack(packed, bits, start, count, codes);
        if (count == 0)
        {
            return;
        }

        using var source = Upload(packed);
        using var output = _accelerator.Allocate1D<byte>(count);
        _unpack(count, source.View, output.View, bits, start);
        _accelerator.Synchronize();
        output.View.AsContiguous().CopyToCPU(codes[..count]);
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        _host.Dispose();
        _accelerator.Dispose();
        if (_ownsContext)
        {
            _context.Dispose();
        }
    }

    /// <summary>Copies host data into a new device buffer (at least one element, so empty arrays get a valid view).</summary>
    private MemoryBuffer1D<T, Stride1D.Dense> Upload<T>(ReadOnlySpan<T> data)
        where T : unmanaged
    {
        MemoryBuffer1D<T, Stride1D.Dense> buffer = _accelerator.Allocate1D<T>(Math.Max(1, data.Length));
        if (!data.IsEmpty)
        {
            buffer.View.AsContiguous().SubView(0, data.Length).CopyFromCPU(data);
        }

        return buffer;
    }
}
