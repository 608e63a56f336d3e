namespace DeepEverest.Kernels.Tests;

public abstract partial class KernelContractTests
{
    /// <summary>Group layouts: (segment sizes, residual neurons).</summary>
    private static readonly (int[] Segments, int Residual)[] _summaryLayouts =
    [
        ([1], 0),       // a single neuron
        ([16], 0),      // a whole channel
        ([5, 3], 2),    // bands and a residual
        ([4, 1, 7], 5), // a zero-weight band (segment 1) among others
    ];

    [KernelFact]
    public void SummaryBounds_EveryKindShapeAndLayout_ContainExactCostsAndMatchReference()
    {
        var rng = new Random(41);
        foreach (ScoreKind kind in TestData.Kinds)
        {
            foreach (DataShape shape in Enum.GetValues<DataShape>())
            {
                foreach ((int[] segments, int residual) in _summaryLayouts)
                {
                    foreach (int n in IsEmulator ? [1, 23] : new[] { 1, ShortLengths, 97 })
                    {
                        bool zero = n % 2 == 1 && shape == DataShape.Relu;
                        bool ownRow = shape != DataShape.Random;
                        SummaryData data = SummaryData.Create(rng, kind, n, segments, residual, shape, zero, ownRow);
                        CheckSummary(data, data.AllInputs, $"{kind} {shape} [{string.Join(',', segments)}]+{residual} n={n} zero={zero} ownRow={ownRow}");
                    }
                }
            }
        }
    }

    [KernelFact]
    public void SummaryBounds_SubsetInAnyOrderWithPriorBounds_MatchReference()
    {
        var rng = new Random(42);
        foreach (ScoreKind kind in TestData.Kinds)
        {
            SummaryData data = SummaryData.Create(rng, kind, 200, [6, 2], 3, DataShape.Random, zeroSegment: false, targetFromRow0: false);
            int[] inputs = Enumerable.Range(0, 200).Where(_ => rng.Next(3) == 0).OrderBy(_ => rng.Next()).ToArray();
            double[] resLo = data.ResidualLower.Length == 0 ? [] : inputs.Select(i => data.ResidualLower[i]).ToArray();
            double[] resHi = data.ResidualUpper.Length == 0 ? [] : inputs.Select(i => data.ResidualUpper[i]).ToArray();

            // Prior bounds that already contain the exact cost, some tighter than the summaries'.
            double[] lower = inputs.Select(i => data.Exact[i] - (rng.Next(2) * 0.5)).ToArray();
            double[] upper = inputs.Select(i => data.Exact[i] + (rng.Next(2) * 0.5)).ToArray();
            (double[] expectedLower, double[] expectedUpper) = ScalarReference.SummaryBounds(data.Problem, inputs, resLo, resHi, lower, upper);
            Kernels.SummaryBounds(data.Problem, inputs, resLo, resHi, lower, upper);
            BitAssert.Equal(expectedLower, lower, $"{kind} lower");
            BitAssert.Equal(expectedUpper, upper, $"{kind} upper");
            double[] expectedDual = ScalarReference.SummaryDualLower(data.Problem, inputs, resLo, resHi, lower);
            Kernels.SummaryDualLower(data.Problem, inputs, resLo, resHi, lower);
            BitAssert.Equal(expectedDual, lower, $"{kind} dual");
            for (int r = 0; r < inputs.Length; r++)
            {
                double exact = data.Exact[inputs[r]];
                Assert.True(lower[r] <= exact && exact <= upper[r], $"{kind} input {inputs[r]}: {exact} not in [{lower[r]}, {upper[r]}]");
            }
        }
    }

    [KernelFact]
    public void SummaryBounds_LargeInputsAcrossCores_MatchReference()
    {
        // 16 single-neuron segments over n inputs: enough work to split over cores on SIMD.
        var rng = new Random(43);
        foreach (ScoreKind kind in new[] { ScoreKind.L2, ScoreKind.Sum })
        {
            SummaryData data = SummaryData.Create(rng, kind, LargeInputs, Enumerable.Repeat(1, 16).ToArray(), 0, DataShape.Relu, zeroSegment: false, targetFromRow0: true);
            CheckSummary(data, data.AllInputs, $"{kind} n={LargeInputs}");
        }
    }

    [KernelFact]
    public void SummaryBounds_BadArguments_Throw()
    {
        SummaryData data = SummaryData.Create(new Random(44), ScoreKind.L2, 10, [3], 1, DataShape.Random, zeroSegment: false, targetFromRow0: false);
        var bounds = new double[10];
        Assert.Throws<ArgumentOutOfRangeException>(() => Kernels.SummaryBounds(data.Problem, [10], [0], [0], bounds, bounds));
        Assert.Throws<ArgumentException>(() => Kernels.SummaryBounds(data.Problem, [1, 2], [0, 0], [], bounds, bounds));
        Assert.Throws<ArgumentException>(() => Kernels.SummaryDualLower(data.Problem, [1, 2], [0, 0], [0, 0], new double[1]));
    }

    /// <summary>
    /// Bounds of <paramref name="inputs"/> from nothing (-inf, +inf): bit for bit the reference's,
    /// finite, and around the exact cost; then the dual lower bounds likewise.
    /// </summary>
    private void CheckSummary(SummaryData data, int[] inputs, string context)
    {
        int count = inputs.Length;
        double[] lower = Enumerable.Repeat(double.NegativeInfinity, count).ToArray();
        double[] upper = Enumerable.Repeat(double.PositiveInfinity, count).ToArray();
        (double[] expectedLower, double[] expectedUpper) = ScalarReference.SummaryBounds(data.Problem, inputs, data.ResidualLower, data.ResidualUpper, lower, upper);
        Kernels.SummaryBounds(data.Problem, inputs, data.ResidualLower, data.ResidualUpper, lower, upper);
        BitAssert.Equal(expectedLower, lower, context + " lower");
        BitAssert.Equal(expectedUpper, upper, context + " upper");
        double[] expectedDual = ScalarReference.SummaryDualLower(data.Problem, inputs, data.ResidualLower, data.ResidualUpper, lower);
        double[] dual = [.. lower];
        Kernels.SummaryDualLower(data.Problem, inputs, data.ResidualLower, data.ResidualUpper, dual);
        BitAssert.Equal(expectedDual, dual, context + " dual");
        for (int r = 0; r < count; r++)
        {
            double exact = data.Exact[inputs[r]];
            Assert.True(double.IsFinite(lower[r]) && double.IsFinite(upper[r]), $"{context}: input {inputs[r]} got no bound [{lower[r]}, {upper[r]}]");
            Assert.True(lower[r] <= exact && exact <= upper[r], $"{context}: input {inputs[r]}'s cost {exact} is not in [{lower[r]}, {upper[r]}]");
            Assert.True(lower[r] <= dual[r] && dual[r] <= exact, $"{context}: input {inputs[r]}'s dual bound {dual[r]} is not in [{lower[r]}, {exact}]");
        }
    }
}
