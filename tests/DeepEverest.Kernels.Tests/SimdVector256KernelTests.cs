using System.Runtime.Intrinsics;
using DeepEverest.Kernels.Simd;

namespace DeepEverest.Kernels.Tests;

/// <summary>The contract at the 256-bit width.</summary>
public sealed class SimdVector256KernelTests : KernelContractTests, IDisposable
{
    private readonly SimdKernels _kernels = new(SimdPath.Vector256);

    /// <summary>Why these tests are skipped here, or null.</summary>
    public static string? SkipReason => Vector256.IsHardwareAccelerated ? null : "Vector256 is not hardware accelerated on this machine or run.";

    /// <inheritdoc/>
    protected override IKernels Kernels => _kernels;

    /// <inheritdoc/>
    public void Dispose() => _kernels.Dispose();
}
