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
    public void SummaryDualLower_InputsInSeveralLaunches_MatchReference()
    {
        // Scratch for 3 inputs of the largest segment (7 neurons): 40 inputs take 14 launches.
        SummaryData data = SummaryData.Create(new Random(45), ScoreKind.L2, 40, [5, 7, 2], 3, DataShape.Relu, zeroSegment: false, targetFromRow0: true);
        int[] inputs = [.. Enumerable.Range(0, 40).Reverse()];
        double[] resLo = [.. inputs.Select(i => data.ResidualLower[i])];
        double[] resHi = [.. inputs.Select(i => data.ResidualUpper[i])];
        double[] lower = [.. inputs.Select(_ => double.NegativeInfinity)];
        double[] expected = ScalarReference.SummaryDualLower(data.Problem, inputs, resLo, resHi, lower);
        int scratch = fixture.Kernels.DualScratchFloats;
        try
        {
            fixture.Kernels.DualScratchFloats = 3 * 7;
            fixture.Kernels.SummaryDualLower(data.Problem, inputs, resLo, resHi, lower);
        }
        finally
        {
            fixture.Kernels.DualScratchFloats = scratch;
        }

        BitAssert.Equal(expected, lower, "dual");
        Assert.All(lower, bound => Assert.True(double.IsFinite(bound)));
    }

    [Fact]
    public void Name_CpuAccelerator_SaysEmulator()
    {
        Assert.Equal("ilgpu-cpu-emulator", fixture.Kernels.Name);
    }
}
