using DeepEverest.Kernels.Ilgpu;
using ILGPU.Runtime.Cuda;

namespace DeepEverest.Kernels.Tests;

/// <summary>
/// The ILGPU kernels on a real CUDA device against the scalar reference. Skipped (visibly) without
/// a GPU. The arithmetic-sensitive cases are the point: ExactCosts checks that no multiply-add was
/// contracted into an FMA by ptxas, and the LInf bounds check .NET max semantics on the device.
/// </summary>
public sealed class CudaKernelTests
{
    [CudaFact]
    public void ExactCosts_EveryKind_MatchesReferenceBitForBit()
    {
        using IlgpuKernels kernels = CreateCuda();
        var rng = new Random(61);
        foreach (ScoreKind kind in TestData.Kinds)
        {
            CostFunction cost = TestData.Cost(rng, kind, 64, weighted: true);
            float[] activations = TestData.Activations(rng, 1000 * 64, DataShape.Random);
            var costs = new double[1000];
            kernels.ExactCosts(cost, activations, 1000, costs);
            BitAssert.Equal(ScalarReference.ExactCosts(cost, activations, 1000), costs, $"{kind}");
        }
    }

    [CudaFact]
    public void GroupBounds_EveryKind_MatchesReferenceBitForBit()
    {
        using IlgpuKernels kernels = CreateCuda();
        var rng = new Random(62);
        foreach (ScoreKind kind in TestData.Kinds)
        {
            BoundsProblem problem = TestData.Problem(rng, TestData.Cost(rng, kind, 10, weighted: true), 5000, 16, 50, emptyPartitions: true);
            (double[] lower, double[] upper) = ScalarReference.GroupBounds(problem);
            var actualLower = new double[problem.Inputs];
            var actualUpper = new double[problem.Inputs];
            kernels.GroupBounds(problem, actualLower, actualUpper);
            BitAssert.Equal(lower, actualLower, $"{kind} lower");
            BitAssert.Equal(upper, actualUpper, $"{kind} upper");
        }
    }

    [CudaFact]
    public void BuildNeuronBlock_ReluBlock_MatchesReference()
    {
        using IlgpuKernels kernels = CreateCuda();
        var rng = new Random(63);
        const int neurons = 8;
        const int n = 5000;
        float[] columns = TestData.Activations(rng, neurons * n, DataShape.Relu);
        BuiltBlock expected = ScalarReference.BuildNeuronBlock(columns, neurons, n, 32, 50);
        var actual = new BuiltBlock(new int[neurons * 50], new float[neurons * 50], new byte[expected.Codes.Length], new float[neurons * 32], new float[neurons * 32]);
        kernels.BuildNeuronBlock(columns, neurons, n, 32, 50, actual.MaiIds, actual.MaiValues, actual.Codes, actual.PartMin, actual.PartMax);
        Assert.Equal(expected.MaiIds, actual.MaiIds);
        Assert.Equal(expected.Codes, actual.Codes);
        BitAssert.Equal(expected.PartMin, actual.PartMin, "min");
        BitAssert.Equal(expected.PartMax, actual.PartMax, "max");
    }

    [CudaFact]
    public void Create_AutoWithCuda_PicksIlgpuCuda()
    {
        using IKernels kernels = KernelSelector.Create(new KernelOptions());
        Assert.Equal("ilgpu-cuda", kernels.Name);
    }

    private static IlgpuKernels CreateCuda()
    {
        var context = IlgpuKernels.CreateContext(builder => builder.Cuda());
        return new IlgpuKernels(context, context.CreateCudaAccelerator(0), ownsContext: true);
    }
}
