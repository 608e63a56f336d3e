using DeepEverest.Kernels.Simd;

namespace DeepEverest.Kernels.Tests;

/// <summary>The contract on the scalar fallback (what runs with DOTNET_EnableHWIntrinsic=0).</summary>
public sealed class SimdScalarKernelTests : KernelContractTests, IDisposable
{
    private readonly SimdKernels _kernels = new(SimdPath.Scalar);

    /// <summary>Never skipped.</summary>
    public static string? SkipReason => null;

    /// <inheritdoc/>
    protected override IKernels Kernels => _kernels;

    /// <inheritdoc/>
    public void Dispose() => _kernels.Dispose();
}
