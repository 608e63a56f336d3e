namespace DeepEverest.Kernels.Tests;

/// <summary>
/// The contract on ILGPU's CPU accelerator: the same kernels that run on CUDA, executed by ILGPU's
/// emulator (about 900x slower than SIMD, so fewer and smaller cases).
/// </summary>
public sealed class IlgpuCpuKernelTests(IlgpuCpuFixture fixture) : KernelContractTests, IClassFixture<IlgpuCpuFixture>
{
    /// <summary>Never skipped.</summary>
    public static string? SkipReason => null;

    /// <inheritdoc/>
    protected override IKernels Kernels => fixture.Kernels;

    /// <inheritdoc/>
    protected override bool IsEmulator => true;

    /// <inheritdoc/>
    protected override int LargeInputs => 300;

    [Fact]
    public void Name_CpuAccelerator_SaysEmulator()
    {
        Assert.Equal("ilgpu-cpu-emulator", fixture.Kernels.Name);
    }
}
