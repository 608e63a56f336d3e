using System.Runtime.Intrinsics;
using DeepEverest.Kernels.Simd;

namespace DeepEverest.Kernels.Tests;

/// <summary>The contract at the 512-bit width.</summary>
public sealed class SimdVector512KernelTests : KernelContractTests, IDisposable
{
    private readonly SimdKernels _kernels = new(SimdPath.Vector512);

    /// <summary>Why these tests are skipped here, or null.</summary>
    public static string? SkipReason => Vector512.IsHardwareAccelerated ? null : "Vector512 is not hardware accelerated on this machine or run.";

    /// <inheritdoc/>
    protected override IKernels Kernels => _kernels;

    /// <inheritdoc/>
    public void Dispose() => _kernels.Dispose();
}
