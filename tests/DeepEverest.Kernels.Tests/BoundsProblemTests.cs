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
        // One neuron: an offset per block of 4096 inputs, each where the block's first id is.
        int[] blockStarts = Enumerable.Range(0, problem.MaiBlocks + 1)
            .Select(b => expected.Count(p => p.First < b * BoundsProblem.MaiBlockInputs)).ToArray();
        Assert.Equal(blockStarts, problem.MaiOffsets);
    }

    [Fact]
    public void Create_SameSignedSums_WidenRelativelyAndMixedSumsByASlack()
    {
        var rng = new Random(1);
        BoundsProblem l2 = TestData.Problem(rng, TestData.Cost(rng, ScoreKind.L2, 6, weighted: false), 50, 8, 2, emptyPartitions: false);
        BoundsProblem linf = TestData.Problem(rng, TestData.Cost(rng, ScoreKind.LInf, 6, weighted: false), 50, 8, 2, emptyPartitions: false);
        BoundsProblem sum = TestData.Problem(rng, TestData.Cost(rng, ScoreKind.Sum, 6, weighted: false), 50, 8, 2, emptyPartitions: false);

        // Distances: non-negative terms, so lower sums shrink and upper sums grow by (2g + 4) 2^-24
        // (each also undoes the scale, a power of two).
        double gamma = 16.0 / (1 << 24);
        double unscale = 1 / l2.CoarseScale;
        Assert.Equal(((1 - gamma) * unscale, (1 + gamma) * unscale, 0.0, 0.0), (l2.LowerScale, l2.UpperScale, l2.LowerSlack, l2.UpperSlack));
        // A max rounds nothing.
        Assert.Equal((1 / linf.CoarseScale, 1 / linf.CoarseScale, 0.0, 0.0), (linf.LowerScale, linf.UpperScale, linf.LowerSlack, linf.UpperSlack));
        // Test activations span [-6, 9): the sum's terms have both signs.
        Assert.Equal((1 / sum.CoarseScale, 1 / sum.CoarseScale), (sum.LowerScale, sum.UpperScale));
        Assert.True(sum.LowerSlack > 0 && sum.LowerSlack == sum.UpperSlack);
    }

    [Theory]
    [InlineData(ScoreKind.L2, 20)]
    [InlineData(ScoreKind.Sum, 3)]
    [InlineData(ScoreKind.LInf, 1)]
    public void Create_CoarseTerms_RoundOutwardToIntegersWithinOneStep(ScoreKind kind, int g)
    {
        var rng = new Random(2);
        BoundsProblem problem = TestData.Problem(rng, TestData.Cost(rng, kind, g, weighted: true), 100, 16, 5, emptyPartitions: true);
        double s = problem.CoarseScale;
        Assert.Equal(0, Math.ScaleB(s, -Math.ILogB(s)) - 1); // a power of two
        for (int e = 0; e < problem.TermLower.Length; e++)
        {
            Assert.True(problem.CoarseLower[e] / s <= problem.TermLower[e] && problem.TermUpper[e] <= problem.CoarseUpper[e] / s);
            Assert.True(problem.TermLower[e] - (problem.CoarseLower[e] / s) < 1 / s && (problem.CoarseUpper[e] / s) - problem.TermUpper[e] < 1 / s);
            Assert.Equal(Math.Round(problem.CoarseLower[e]), problem.CoarseLower[e]);
            Assert.Equal(Math.Round(problem.CoarseUpper[e]), problem.CoarseUpper[e]);
        }

        for (int e = 0; e < problem.MaiTerms.Length; e++)
        {
            Assert.True(problem.CoarseMaiLower[e] / s <= problem.MaiTerms[e] && problem.MaiTerms[e] <= problem.CoarseMaiUpper[e] / s);
            Assert.Equal(Math.Round(problem.CoarseMaiUpper[e]), problem.CoarseMaiUpper[e]);
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(5)]
    [InlineData(64)]
    [InlineData(4096)]
    public void Create_CoarseScale_IsTheLargestWithinTheLimits(int g)
    {
        // Limits: min(g, 8) rounded table terms sum within 16 bits (the AVX-512 kernel's packed
        // sums), and every input's largest possible sum within 2^24 (exact float sums).
        var rng = new Random(3);
        BoundsProblem problem = TestData.Problem(rng, TestData.Cost(rng, ScoreKind.L2, g, weighted: true), 64, 16, 4, emptyPartitions: false);
        double tableLimit = (short.MaxValue / Math.Min(g, 8)) - 1;
        double tableMax = problem.TermLower.Concat(problem.TermUpper).Max(Math.Abs);
        double largestSum = Enumerable.Range(0, g).Sum(j => Math.Max(
            problem.TermUpper.Skip(j * 16).Take(16).Max(),
            ScalarReference.MaiEntriesOf(problem, j).Select(e => problem.MaiTerms[e]).DefaultIfEmpty(0).Max()));
        bool Fits(double s) => tableMax * s <= tableLimit && largestSum * s <= (1 << 24) - (2.0 * g);
        Assert.True(Fits(problem.CoarseScale));
        Assert.False(Fits(problem.CoarseScale * 2));

        double worst = 0;
        for (int j = 0; j < g; j++)
        {
            double neuron = problem.CoarseUpper.Skip(j * 16).Take(16).Max(Math.Abs);
            foreach (int e in ScalarReference.MaiEntriesOf(problem, j))
            {
                neuron = Math.Max(neuron, Math.Abs(problem.CoarseMaiUpper[e]));
            }

            Assert.True(problem.CoarseUpper.Skip(j * 16).Take(16).Max(Math.Abs) * Math.Min(g, 8) <= short.MaxValue);
            worst += neuron;
        }

        Assert.True(worst <= 1 << 24);
    }

    [Fact]
    public void Create_MaiEntries_LaidOutByBlockThenNeuronThenId()
    {
        // Three blocks of 4096 inputs (the last partial), MAI entries in value order as stored.
        var rng = new Random(4);
        int n = (2 * BoundsProblem.MaiBlockInputs) + 1000;
        BoundsProblem problem = TestData.Problem(rng, TestData.Cost(rng, ScoreKind.Sum, 3, weighted: false), n, 4, 300, emptyPartitions: false);
        int g = 3;
        Assert.Equal(3, problem.MaiBlocks);
        Assert.Equal((3 * g) + 1, problem.MaiOffsets.Length);
        Assert.Equal(problem.MaiIds.Length, problem.MaiOffsets[^1]);
        for (int b = 0; b < 3; b++)
        {
            for (int j = 0; j < g; j++)
            {
                int[] ids = problem.MaiIds[problem.MaiOffsets[(b * g) + j]..problem.MaiOffsets[(b * g) + j + 1]];
                Assert.All(ids, id => Assert.Equal(b, id / BoundsProblem.MaiBlockInputs));
                Assert.Equal(ids.Order(), ids);
            }
        }

        for (int j = 0; j < g; j++)
        {
            int[] entries = ScalarReference.MaiEntriesOf(problem, j).ToArray();
            Assert.True(entries.Length > 50);
            Assert.Equal(entries.Length, entries.Select(e => problem.MaiIds[e]).Distinct().Count());
            foreach (int e in entries)
            {
                Assert.Equal(e, problem.FindMai(j, problem.MaiIds[e]));
            }
        }

        int absent = Enumerable.Range(0, n).First(i => ScalarReference.MaiEntriesOf(problem, 0).All(e => problem.MaiIds[e] != i));
        Assert.Equal(-1, problem.FindMai(0, absent));
    }

    [Theory]
    [InlineData(float.PositiveInfinity, 1f)]
    [InlineData(1f, float.NaN)]
    public void Create_NonFiniteBoundOrMaiValue_ThrowsArgument(float partitionMax, float maiValue)
    {
        // An index never holds these (the build refuses non-finite activations); a caller that
        // passes them gets an error instead of coarse terms that cannot be rounded to integers.
        var cost = new CostFunction(ScoreKind.Sum, 1, [], []);
        var ex = Assert.Throws<ArgumentException>(() =>
            BoundsProblem.Create(cost, 8, 2, new byte[1], [0f, 0f], [0f, partitionMax], [[3]], [[maiValue]]));
        Assert.Contains("finite", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Create_AllZeroTerms_ScaleOne()
    {
        var cost = new CostFunction(ScoreKind.Sum, 2, [], []);
        BoundsProblem problem = BoundsProblem.Create(cost, 8, 2, new byte[2], new float[4], new float[4], [[], []], [[], []]);
        Assert.Equal(1.0, problem.CoarseScale);
        Assert.All(problem.CoarseUpper, v => Assert.Equal(0f, v));
    }
}
