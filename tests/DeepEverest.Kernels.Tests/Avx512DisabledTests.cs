using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace DeepEverest.Kernels.Tests;

/// <summary>
/// `make test` reruns this project with AVX-512 turned off through the runtime's configuration
/// (<c>DOTNET_EnableAVX512=0</c>, .NET 10's name for it, with <c>DOTNET_EnableAVX512F=0</c>, the
/// .NET 8/9 name, beside it), so that the AVX2 kernels that CPUs without AVX-512 run (e.g. AMD EPYC before
/// Zen 4) are proven on AVX-512 machines too. This checks that the knob took effect.
/// </summary>
public sealed class Avx512DisabledTests
{
    /// <summary>Why these tests are skipped here, or null.</summary>
    public static string? SkipReason =>
        Environment.GetEnvironmentVariable("DOTNET_EnableAVX512") != "0" ? "Runs only with DOTNET_EnableAVX512=0 (make test's AVX2 rerun)."
        : !Avx2.IsSupported ? "AVX2 is not available on this machine or run."
        : null;

    [KernelFact]
    public void KernelSelector_Avx512TurnedOff_PicksAvx2()
    {
        Assert.False(Vector512.IsHardwareAccelerated);
        Assert.False(Avx512F.IsSupported);
        Assert.False(Avx512BW.IsSupported);
        Assert.False(Avx512Vbmi.IsSupported);
        Assert.False(Avx10v1.IsSupported);
        Assert.True(Vector256.IsHardwareAccelerated);
        using IKernels kernels = KernelSelector.Create(new KernelOptions { Backend = KernelBackend.Cpu });
        Assert.Equal("simd-avx2", kernels.Name);
    }
}
