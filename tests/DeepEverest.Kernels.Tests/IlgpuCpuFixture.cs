using DeepEverest.Kernels.Ilgpu;

namespace DeepEverest.Kernels.Tests;

/// <summary>Compiles the ILGPU kernels once for the CPU accelerator and shares them.</summary>
public sealed class IlgpuCpuFixture : IDisposable
{
    /// <summary>The kernels on ILGPU's CPU accelerator.</summary>
    internal IlgpuKernels Kernels { get; } = IlgpuKernels.CreateCpuEmulator();

    /// <inheritdoc/>
    public void Dispose() => Kernels.Dispose();
}
