using System.Numerics;
using DeepEverest.Kernels.Simd;

namespace DeepEverest.Kernels.Tests;

/// <summary>The contract at Vector&lt;T&gt; width.</summary>
public sealed class SimdVectorTKernelTests : KernelContractTests, IDisposable
{
    private readonly SimdKernels _kernels = new(SimdPath.VectorT);

    /// <summary>Why these tests are skipped here, or null.</summary>
    public static string? SkipReason => Vector.IsHardwareAccelerated ? null : "Vector<T> is not hardware accelerated on this machine or run.";

    /// <inheritdoc/>
    protected override IKernels Kernels => _kernels;

    /// <inheritdoc/>
    public void Dispose() => _kernels.Dispose();
}
