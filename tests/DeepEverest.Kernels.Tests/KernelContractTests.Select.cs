namespace DeepEverest.Kernels.Tests;

public abstract partial class KernelContractTests
{
    [KernelFact]
    public void SelectTopK_EveryShortLengthWithTiesAndNaN_MatchesReference()
    {
        var rng = new Random(31);
        foreach (int n in Enumerable.Range(0, ShortLengths + 1).Concat([40, 100]))
        {
            foreach (int k in new[] { 0, 1, 3, n, n + 5 }.Distinct())
            {
                // Few cost levels (with -0.0 against +0.0) and few ids: ties at every level.
                double[] costs = Enumerable.Range(0, n).Select(_ => rng.Next(6) switch
                {
                    0 => double.NaN,
                    1 => -0.0,
                    2 => 0.0,
                    _ => rng.Next(-2, 3) * 0.5,
                }).ToArray();
                int[] ids = Enumerable.Range(0, n).Select(_ => rng.Next(0, 4)).ToArray();
                CheckTopK(costs, ids, k, $"n={n} k={k}");
            }
        }
    }

    [KernelFact]
    public void SelectTopK_LargeInput_MatchesReference()
    {
        var rng = new Random(32);
        int n = LargeInputs;
        double[] costs = Enumerable.Range(0, n).Select(_ => (double)rng.Next(0, 5000)).ToArray();
        costs[n / 2] = double.NaN;
        int[] ids = Enumerable.Range(0, n).Select(i => (i * 7919) % n).ToArray();
        CheckTopK(costs, ids, 20, "k=20");
        CheckTopK(costs, ids, 1000, "k=1000");
    }

    [KernelFact]
    public void SelectTopK_AllNaN_SelectsNothing()
    {
        var positions = new int[4];
        Assert.Equal(0, Kernels.SelectTopK([double.NaN, double.NaN, double.NaN], [0, 1, 2], 3, positions));
    }

    [KernelFact]
    public void SelectTopK_MismatchedIds_Throws()
    {
        Assert.Throws<ArgumentException>(() => Kernels.SelectTopK(new double[3], new int[2], 1, new int[3]));
    }

    [KernelFact]
    public void SelectAtMost_EveryShortLength_MatchesReference()
    {
        var rng = new Random(33);
        foreach (int n in Enumerable.Range(0, ShortLengths + 1).Concat([40, 100]))
        {
            double[] values = Enumerable.Range(0, n).Select(_ => rng.Next(8) switch
            {
                0 => double.NaN,
                1 => double.NegativeInfinity,
                2 => double.PositiveInfinity,
                3 => -0.0,
                _ => rng.Next(-3, 4),
            }).ToArray();
            foreach (double limit in new[] { double.NegativeInfinity, -1.0, 0.0, 2.0, double.PositiveInfinity, double.NaN })
            {
                int[] expected = ScalarReference.SelectAtMost(values, limit);
                var positions = new int[n];
                int count = Kernels.SelectAtMost(values, limit, positions);
                Assert.Equal(expected, positions[..count]);
            }
        }
    }

    [KernelFact]
    public void SelectAtMost_LargeInput_MatchesReference()
    {
        var rng = new Random(34);
        double[] values = Enumerable.Range(0, LargeInputs).Select(_ => rng.NextDouble()).ToArray();
        foreach (double limit in new[] { 0.001, 0.5, 1.0 })
        {
            var positions = new int[values.Length];
            int count = Kernels.SelectAtMost(values, limit, positions);
            Assert.Equal(ScalarReference.SelectAtMost(values, limit), positions[..count]);
        }
    }

    [KernelFact]
    public void SelectAtMost_PositionsTooShort_Throws()
    {
        Assert.Throws<ArgumentException>(() => Kernels.SelectAtMost(new double[20], 1.0, new int[19]));
    }

    private void CheckTopK(double[] costs, int[] ids, int k, string context)
    {
        int[] expected = ScalarReference.SelectTopK(costs, ids, k);
        var positions = new int[Math.Min(k, costs.Length)];
        int count = Kernels.SelectTopK(costs, ids, k, positions);
        Assert.True(expected.Length == count, $"{context}: expected {expected.Length} positions, got {count}");
        BitAssert.Equal<int>(expected, positions.AsSpan(0, count), context);
    }
}
