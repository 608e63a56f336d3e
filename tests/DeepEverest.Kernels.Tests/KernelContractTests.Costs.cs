namespace DeepEverest.Kernels.Tests;

public abstract partial class KernelContractTests
{
    [KernelFact]
    public void ExactCosts_EveryShortRowCountAndKind_MatchesReference()
    {
        var rng = new Random(21);
        foreach (int rows in ShortRange.Prepend(0))
        {
            foreach (int g in new[] { 1, 3, 10 })
            {
                foreach (ScoreKind kind in TestData.Kinds)
                {
                    foreach (DataShape shape in Enum.GetValues<DataShape>())
                    {
                        CostFunction cost = TestData.Cost(rng, kind, g, weighted: shape != DataShape.Ties);
                        CheckCosts(cost, TestData.Activations(rng, rows * g, shape), rows, $"rows={rows} g={g} {kind} {shape}");
                    }
                }
            }
        }
    }

    [KernelFact]
    public void ExactCosts_WideGroup_MatchesReference()
    {
        var rng = new Random(22);
        int rows = IsEmulator ? 5 : 19;
        foreach (ScoreKind kind in TestData.Kinds)
        {
            CostFunction cost = TestData.Cost(rng, kind, 4096, weighted: true);
            CheckCosts(cost, TestData.Activations(rng, rows * 4096, DataShape.Random), rows, $"{kind}");
        }
    }

    [KernelFact]
    public void ExactCosts_LargeBatch_MatchesReference()
    {
        var rng = new Random(23);
        int rows = IsEmulator ? 300 : 20_011;
        foreach (ScoreKind kind in new[] { ScoreKind.L2, ScoreKind.LInf, ScoreKind.L2Norm })
        {
            CostFunction cost = TestData.Cost(rng, kind, 64, weighted: true);
            CheckCosts(cost, TestData.Activations(rng, rows * 64, DataShape.Relu), rows, $"{kind}");
        }
    }

    [KernelFact]
    public void ExactCosts_NaNActivation_GivesNaNCostOnlyForItsRow()
    {
        var rng = new Random(24);
        foreach (ScoreKind kind in TestData.Kinds)
        {
            const int rows = ShortLengths;
            const int g = 5;
            float[] activations = TestData.Activations(rng, rows * g, DataShape.Relu);
            activations[(3 * g) + 2] = float.NaN;
            activations[(16 * g) + 4] = float.NaN;
            var costs = new double[rows];
            CostFunction cost = TestData.Cost(rng, kind, g, weighted: false);
            Kernels.ExactCosts(cost, activations, rows, costs);
            for (int r = 0; r < rows; r++)
            {
                Assert.Equal(r is 3 or 16, double.IsNaN(costs[r]));
            }

            BitAssert.Equal(ScalarReference.ExactCosts(cost, activations, rows), costs, $"{kind}");
        }
    }

    [KernelFact]
    public void ExactCosts_ShortActivations_Throws()
    {
        var cost = new CostFunction(ScoreKind.Sum, 4, [], []);
        Assert.Throws<ArgumentException>(() => Kernels.ExactCosts(cost, new float[7], 2, new double[2]));
    }

    private void CheckCosts(CostFunction cost, float[] activations, int rows, string context)
    {
        double[] expected = ScalarReference.ExactCosts(cost, activations, rows);
        var actual = new double[rows];
        Kernels.ExactCosts(cost, activations, rows, actual);
        BitAssert.Equal(expected, actual, context);
    }
}
