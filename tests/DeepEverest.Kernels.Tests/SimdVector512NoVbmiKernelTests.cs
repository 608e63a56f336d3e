using System.Runtime.Intrinsics;
using DeepEverest.Kernels.Simd;

namespace DeepEverest.Kernels.Tests;

/// <summary>
/// The contract at the 512-bit width without AVX-512 VBMI: the code reader of CPUs that lack it
/// (shift and narrow instead of <c>vpmultishiftqb</c>), forced on here whatever this CPU has.
/// </summary>
public sealed class SimdVector512NoVbmiKernelTests : KernelContractTests, IDisposable
{
    private readonly SimdKernels? _kernels = Vector512.IsHardwareAccelerated ? new(SimdPath.Vector512, allowMultiShift: false) : null;

    /// <summary>Why these tests are skipped here, or null.</summary>
    public static string? SkipReason => Vector512.IsHardwareAccelerated ? null : "Vector512 is not hardware accelerated on this machine or run.";

    /// <inheritdoc/>
    protected override IKernels Kernels => _kernels!;

    /// <inheritdoc/>
    public void Dispose() => _kernels?.Dispose();
}
