using System.Runtime.Intrinsics;
using DeepEverest.Kernels.Simd;

namespace DeepEverest.Kernels.Tests;

/// <summary>Behaviour specific to the SIMD implementation (the shared contract is in <see cref="KernelContractTests"/>).</summary>
public sealed class SimdKernelsTests
{
    [Fact]
    public void Name_EverySupportedPath_NamesItsWidth()
    {
        foreach (SimdPath path in Enum.GetValues<SimdPath>().Where(SimdKernels.IsSupported))
        {
            using var kernels = new SimdKernels(path);
            Assert.StartsWith("simd-", kernels.Name, StringComparison.Ordinal);
        }

        Assert.Equal(Vector512.IsHardwareAccelerated ? SimdPath.Vector512 : SimdKernels.BestPath, SimdKernels.BestPath);
    }
}
