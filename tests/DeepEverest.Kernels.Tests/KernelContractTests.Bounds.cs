namespace DeepEverest.Kernels.Tests;

public abstract partial class KernelContractTests
{
    [KernelFact]
    public void GroupBounds_EveryShortLengthAndKind_MatchesReference()
    {
        var rng = new Random(11);
        foreach (int n in ShortRange.Concat([31, 64 + 7]))
        {
            foreach (ScoreKind kind in TestData.Kinds)
            {
                foreach (bool weighted in new[] { false, true })
                {
                    foreach (int mai in new[] { 0, Math.Min(2, n) })
                    {
                        CostFunction cost = TestData.Cost(rng, kind, 3, weighted);
                        CheckBounds(TestData.Problem(rng, cost, n, 16, mai, emptyPartitions: false), $"n={n} {kind} w={weighted} mai={mai}");
                    }
                }
            }
        }
    }

    [KernelFact]
    public void GroupBounds_EveryPartitionCount_MatchesReference()
    {
        var rng = new Random(12);
        int n = IsEmulator ? 67 : 203;
        foreach (int partitions in PartitionCounts)
        {
            foreach (ScoreKind kind in TestData.Kinds)
            {
                CostFunction cost = TestData.Cost(rng, kind, 10, weighted: true);
                CheckBounds(TestData.Problem(rng, cost, n, partitions, n / 10, emptyPartitions: true), $"P={partitions} {kind}");
            }
        }
    }

    [KernelFact]
    public void GroupBounds_MaiHoldsEveryInput_MatchesReference()
    {
        var rng = new Random(13);
        foreach (ScoreKind kind in TestData.Kinds)
        {
            CostFunction cost = TestData.Cost(rng, kind, 9, weighted: true);
            CheckBounds(TestData.Problem(rng, cost, 37, 8, 37, emptyPartitions: false), $"{kind}");
        }
    }

    [KernelFact]
    public void GroupBounds_SingleNeuron_MatchesReference()
    {
        var rng = new Random(14);
        foreach (ScoreKind kind in TestData.Kinds)
        {
            CostFunction cost = TestData.Cost(rng, kind, 1, weighted: false);
            CheckBounds(TestData.Problem(rng, cost, 1000, 32, 10, emptyPartitions: false), $"{kind}");
        }
    }

    [KernelFact]
    public void GroupBounds_WideGroup_MatchesReference()
    {
        var rng = new Random(15);
        foreach (ScoreKind kind in new[] { ScoreKind.L2, ScoreKind.LInf, ScoreKind.Mean })
        {
            CostFunction cost = TestData.Cost(rng, kind, 4096, weighted: true);
            CheckBounds(TestData.Problem(rng, cost, IsEmulator ? 5 : 19, 16, 1, emptyPartitions: false), $"{kind}");
        }
    }

    [KernelFact]
    public void GroupBounds_LargeInput_MatchesReference()
    {
        // n x g above the parallel threshold, MAI entries straddling chunk boundaries.
        var rng = new Random(16);
        int n = LargeInputs;
        CostFunction cost = TestData.Cost(rng, ScoreKind.L2, IsEmulator ? 4 : 24, weighted: true);
        CheckBounds(TestData.Problem(rng, cost, n, 16, n / 100, emptyPartitions: false), "large L2");
        CostFunction linf = TestData.Cost(rng, ScoreKind.LInf, IsEmulator ? 3 : 16, weighted: false);
        CheckBounds(TestData.Problem(rng, linf, n, 256, n / 50, emptyPartitions: true), "large linf");
    }

    [KernelFact]
    public void GroupBounds_ShortOutput_Throws()
    {
        var rng = new Random(17);
        BoundsProblem problem = TestData.Problem(rng, TestData.Cost(rng, ScoreKind.L1, 2, false), 10, 4, 1, false);
        Assert.Throws<ArgumentException>(() => Kernels.GroupBounds(problem, new double[9], new double[10]));
    }

    private void CheckBounds(BoundsProblem problem, string context)
    {
        (double[] lower, double[] upper) = ScalarReference.GroupBounds(problem);
        var actualLower = new double[problem.Inputs];
        var actualUpper = new double[problem.Inputs];
        Kernels.GroupBounds(problem, actualLower, actualUpper);
        BitAssert.Equal(lower, actualLower, context + " lower");
        BitAssert.Equal(upper, actualUpper, context + " upper");
    }
}
