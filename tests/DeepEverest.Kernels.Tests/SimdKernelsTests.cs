using System.Runtime.Intrinsics;
using DeepEverest.Kernels.Simd;

namespace DeepEverest.Kernels.Tests;

/// <summary>Behaviour specific to the SIMD implementation (the shared contract is in <see cref="KernelContractTests"/>).</summary>
public sealed class SimdKernelsTests
{
    [Fact]
    public void GroupBounds_DuplicateMaiIds_ThrowsArgument()
    {
        // The passes write one saved entry per MAI id through raw pointers: duplicates are refused.
        var cost = new CostFunction(ScoreKind.Sum, 1, [], []);
        BoundsProblem problem = BoundsProblem.Create(cost, 16, 4, new byte[4], new float[4], new float[4], [[3, 3]], [[1f, 1f]]);
        using var kernels = SimdKernels.CreateBest();

        var ex = Assert.Throws<ArgumentException>(() => kernels.GroupBounds(problem, new double[16], new double[16]));

        Assert.Contains("distinct", ex.Message, StringComparison.Ordinal);
    }

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
