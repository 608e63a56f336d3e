using DeepEverest.Kernels.Ilgpu;
using ILGPU.Runtime.Cuda;

namespace DeepEverest.Kernels.Tests;

/// <summary>
/// The ILGPU kernels on a real CUDA device against the scalar reference. Skipped (visibly) without
/// a GPU. The arithmetic-sensitive cases are the point: ExactCosts checks that no multiply-add was
/// contracted into an FMA by ptxas, the LInf bounds check .NET max semantics on the device, and
/// the summary bounds check their directed rounding.
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
    public void SummaryBoundsAndDual_EveryKind_MatchReferenceBitForBit()
    {
        // The directed rounding (ulp steps on the bits, .NET max/min, no fused multiply-add in the
        // dual's sums) is what a GPU could get wrong while the CPU accelerator gets it right.
        using IlgpuKernels kernels = CreateCuda();
        var rng = new Random(64);
        foreach (ScoreKind kind in TestData.Kinds)
        {
            foreach (DataShape shape in new[] { DataShape.Random, DataShape.Relu })
            {
                SummaryData data = SummaryData.Create(rng, kind, 2000, [16, 1, 9], 5, shape, zeroSegment: shape == DataShape.Relu, targetFromRow0: true);
                int[] inputs = data.AllInputs;
                double[] lower = [.. inputs.Select(_ => double.NegativeInfinity)];
                double[] upper = [.. inputs.Select(_ => double.PositiveInfinity)];
                (double[] expectedLower, double[] expectedUpper) = ScalarReference.SummaryBounds(data.Problem, inputs, data.ResidualLower, data.ResidualUpper, lower, upper);
                kernels.SummaryBounds(data.Problem, inputs, data.ResidualLower, data.ResidualUpper, lower, upper);
                BitAssert.Equal(expectedLower, lower, $"{kind} {shape} lower");
                BitAssert.Equal(expectedUpper, upper, $"{kind} {shape} upper");
                double[] expectedDual = ScalarReference.SummaryDualLower(data.Problem, inputs, data.ResidualLower, data.ResidualUpper, lower);
                kernels.SummaryDualLower(data.Problem, inputs, data.ResidualLower, data.ResidualUpper, lower);
                BitAssert.Equal(expectedDual, lower, $"{kind} {shape} dual");
            }
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
