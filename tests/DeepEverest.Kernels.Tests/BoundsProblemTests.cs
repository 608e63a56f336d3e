namespace DeepEverest.Kernels.Tests;

/// <summary>How a <see cref="BoundsProblem"/> checks its MAI and derives its coarse terms.</summary>
public sealed class BoundsProblemTests
{
    [Fact]
    public void Create_DuplicateMaiIds_ThrowsArgument()
    {
        // The kernels write one entry per MAI id through raw pointers: duplicates are refused.
        var cost = new CostFunction(ScoreKind.Sum, 1, [], []);

        var ex = Assert.Throws<ArgumentException>(() => BoundsProblem.Create(cost, 16, 4, new byte[4], new float[4], new float[4], [[3, 3]], [[1f, 1f]]));

        Assert.Contains("twice", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Create_MaiIdOutsideInputs_ThrowsArgumentOutOfRange()
    {
        var cost = new CostFunction(ScoreKind.Sum, 1, [], []);

        Assert.Throws<ArgumentOutOfRangeException>(() => BoundsProblem.Create(cost, 16, 4, new byte[4], new float[4], new float[4], [[16]], [[1f]]));
    }

    [Fact]
    public void Create_MaiInValueOrder_SortsIdsWithTheirTermsAndDropsNonZeroCodes()
    {
        // n = 70,000 needs three 8-bit radix digits; ids arrive in value order, as the index keeps them.
        const int n = 70_000;
        var rng = new Random(3);
        var codes = new byte[CodeLayout.StrideBytes(n, 2)];
        int[] ids = Enumerable.Range(0, 900).Select(_ => rng.Next(n)).Distinct().Take(700).ToArray();
        float[] values = ids.Select(_ => (float)rng.NextDouble()).ToArray();
        int dropped = ids[5];
        codes[dropped * 2 / 8] |= (byte)(1 << (dropped * 2 % 8)); // code 1: not an MAI input by its code
        var cost = new CostFunction(ScoreKind.Sum, 1, [], []);

        BoundsProblem problem = BoundsProblem.Create(cost, n, 4, codes, new float[4], new float[4], [ids], [values]);

        var expected = ids.Zip(values).Where(p => p.First != dropped).OrderBy(p => p.First).ToArray();
        Assert.Equal(expected.Select(p => p.First), problem.MaiIds);
        Assert.Equal(expected.Select(p => cost.Term(0, p.Second)), problem.MaiTerms);
        Assert.Equal([0, expected.Length], problem.MaiOffsets);
    }

    [Fact]
    public void Create_SameSignedSums_WidenRelativelyAndMixedSumsByASlack()
    {
        var rng = new Random(1);
        BoundsProblem l2 = TestData.Problem(rng, TestData.Cost(rng, ScoreKind.L2, 6, weighted: false), 50, 8, 2, emptyPartitions: false);
        BoundsProblem linf = TestData.Problem(rng, TestData.Cost(rng, ScoreKind.LInf, 6, weighted: false), 50, 8, 2, emptyPartitions: false);
        BoundsProblem sum = TestData.Problem(rng, TestData.Cost(rng, ScoreKind.Sum, 6, weighted: false), 50, 8, 2, emptyPartitions: false);

        // Distances: non-negative terms, so lower sums shrink and upper sums grow by (2g + 4) 2^-24.
        double gamma = 16.0 / (1 << 24);
        Assert.Equal((1 - gamma, 1 + gamma, 0.0, 0.0), (l2.LowerScale, l2.UpperScale, l2.LowerSlack, l2.UpperSlack));
        // A max rounds nothing.
        Assert.Equal((1.0, 1.0, 0.0, 0.0), (linf.LowerScale, linf.UpperScale, linf.LowerSlack, linf.UpperSlack));
        // Test activations span [-6, 9): the sum's terms have both signs.
        Assert.Equal((1.0, 1.0), (sum.LowerScale, sum.UpperScale));
        Assert.True(sum.LowerSlack > 0 && sum.LowerSlack == sum.UpperSlack);
    }

    [Fact]
    public void Create_CoarseTerms_RoundOutward()
    {
        var rng = new Random(2);
        BoundsProblem problem = TestData.Problem(rng, TestData.Cost(rng, ScoreKind.L2, 20, weighted: true), 100, 16, 5, emptyPartitions: true);
        for (int e = 0; e < problem.TermLower.Length; e++)
        {
            Assert.True(problem.CoarseLower[e] <= problem.TermLower[e] && problem.TermUpper[e] <= problem.CoarseUpper[e]);
            Assert.True(problem.TermLower[e] - problem.CoarseLower[e] <= Math.Abs(problem.TermLower[e]) * 1.2e-7);
        }

        for (int e = 0; e < problem.MaiTerms.Length; e++)
        {
            Assert.True(problem.CoarseMaiLower[e] <= problem.MaiTerms[e] && problem.MaiTerms[e] <= problem.CoarseMaiUpper[e]);
        }
    }
}
