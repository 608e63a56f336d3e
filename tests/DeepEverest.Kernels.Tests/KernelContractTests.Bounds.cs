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
    public void GroupBounds_EveryGroupSizeUpTo17_MatchesReference()
    {
        // Group sizes cover every split into eight-, four- and single-neuron passes (and padded
        // passes of two or three), with P = 4 and 16 for the repeated tables of the P <= 16 lookup.
        var rng = new Random(21);
        int n = IsEmulator ? 40 : 300;
        foreach (int g in Enumerable.Range(1, 17))
        {
            foreach (int partitions in new[] { 4, 16 })
            {
                foreach (ScoreKind kind in new[] { ScoreKind.L2, ScoreKind.LInf, ScoreKind.Sum })
                {
                    CostFunction cost = TestData.Cost(rng, kind, g, weighted: true);
                    CheckBounds(TestData.Problem(rng, cost, n, partitions, n / 20, emptyPartitions: true), $"g={g} P={partitions} {kind}");
                }
            }
        }
    }

    [KernelFact]
    public void GroupBounds_EveryLengthUpToTwoSteps_MatchesReference()
    {
        // The widest step is the AVX2 P <= 16 pass (64 inputs, reading up to 4b + 16 code bytes
        // per step): every length up to two steps plus one, with every code width it reads
        // (bits 1 to 4) and groups that fill eight-neuron passes or not.
        var rng = new Random(23);
        IEnumerable<int> lengths = IsEmulator ? [1, 31, 63, 64, 65, 100, 129] : Enumerable.Range(1, (2 * 64) + 1);
        foreach (int n in lengths)
        {
            foreach (int partitions in new[] { 2, 4, 8, 16 })
            {
                ScoreKind kind = TestData.Kinds[(n + partitions) % TestData.Kinds.Length];
                int g = 1 + (((7 * n) + partitions) % 11);
                CostFunction cost = TestData.Cost(rng, kind, g, weighted: n % 2 == 0);
                CheckBounds(TestData.Problem(rng, cost, n, partitions, n / 8, emptyPartitions: n % 3 == 0), $"n={n} P={partitions} g={g} {kind}");
            }
        }
    }

    [KernelFact]
    public void GroupBounds_SeveralChunksEveryNarrowCodeWidth_MatchesReference()
    {
        // Several chunks (MAI blocks of 4096 inputs), a last one that ends inside a step or on a
        // step boundary, for every code width of the P <= 16 lookups.
        var rng = new Random(24);
        int[] lengths = IsEmulator ? [4096 + 65] : [(3 * 4096) - 37, (2 * 4096) + 64];
        foreach (int n in lengths)
        {
            foreach (int partitions in new[] { 2, 4, 8, 16 })
            {
                foreach (ScoreKind kind in new[] { ScoreKind.L2, ScoreKind.LInf, ScoreKind.Sum })
                {
                    CostFunction cost = TestData.Cost(rng, kind, IsEmulator ? 3 : 17, weighted: true);
                    CheckBounds(TestData.Problem(rng, cost, n, partitions, n / 50, emptyPartitions: true), $"n={n} P={partitions} {kind}");
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
    public void GroupBounds_AllCodesEqualEveryCodeWidth_MatchesReference()
    {
        // Every input has the same code in a neuron: the first, the last, and the code of the
        // neuron's largest coarse term (so eight neurons sum to the 16-bit limit the P <= 16
        // lookups rely on), for every code width 1 to 8 and groups that are no multiple of 8 or 16.
        var rng = new Random(25);
        int n = IsEmulator ? 70 : (2 * 64) + 37;
        int[] groupSizes = IsEmulator ? [9] : [7, 9, 17, 67];
        foreach (int partitions in new[] { 2, 4, 8, 16, 32, 64, 128, 256 })
        {
            foreach (int g in groupSizes)
            {
                ScoreKind kind = TestData.Kinds[(partitions + g) % TestData.Kinds.Length];
                CostFunction cost = TestData.Cost(rng, kind, g, weighted: g % 2 == 1);
                var partMin = new float[g * partitions];
                var partMax = new float[g * partitions];
                for (int e = 0; e < partMin.Length; e++)
                {
                    float a = (float)((rng.NextDouble() * 12) - 6);
                    partMin[e] = a;
                    partMax[e] = a + (float)(rng.NextDouble() * 3);
                }

                BoundsProblem terms = SameCodes(cost, n, partitions, _ => 1, partMin, partMax);
                int Largest(int j) => Enumerable.Range(1, partitions - 1)
                    .MaxBy(c => Math.Max(Math.Abs(terms.CoarseLower[(j * partitions) + c]), Math.Abs(terms.CoarseUpper[(j * partitions) + c])));
                foreach ((string which, Func<int, int> code) in new (string, Func<int, int>)[] { ("first", _ => 1), ("last", _ => partitions - 1), ("largest", Largest) })
                {
                    CheckBounds(SameCodes(cost, n, partitions, code, partMin, partMax), $"P={partitions} g={g} {kind} {which}");
                }
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

    [KernelFact]
    public void GroupBounds_TermsBeyondFloatRange_ScaleAndStaySound()
    {
        // Terms near 1e60 (l2 of activations near 1e30) and near 1e-50 leave float's range; the
        // problem scales them by a power of two, and the coarse bounds still contain the tight ones.
        var rng = new Random(18);
        foreach (double magnitude in new[] { 1e30, 1e-25 })
        {
            foreach (ScoreKind kind in TestData.Kinds)
            {
                CostFunction cost = TestData.Cost(rng, kind, 5, weighted: false);
                BoundsProblem small = TestData.Problem(rng, cost, 300, 16, 3, emptyPartitions: false);
                BoundsProblem problem = Rescaled(small, cost, magnitude, rng);
                Assert.NotEqual(1.0, problem.CoarseScale);
                CheckBounds(problem, $"{kind} x{magnitude}");
            }
        }
    }

    [KernelFact]
    public void RefineBounds_ScrambledSubset_MatchesReference()
    {
        var rng = new Random(19);
        foreach (ScoreKind kind in TestData.Kinds)
        {
            CostFunction cost = TestData.Cost(rng, kind, 7, weighted: true);
            BoundsProblem problem = TestData.Problem(rng, cost, 3000, 16, 30, emptyPartitions: true);
            int[] inputs = Enumerable.Range(0, 500).Select(_ => rng.Next(problem.Inputs)).ToArray();
            (double[] lower, double[] upper) = ScalarReference.RefineBounds(problem, inputs);
            var actualLower = new double[inputs.Length];
            var actualUpper = new double[inputs.Length];
            Kernels.RefineBounds(problem, inputs, actualLower, actualUpper);
            BitAssert.Equal(lower, actualLower, $"{kind} lower");
            BitAssert.Equal(upper, actualUpper, $"{kind} upper");
        }
    }

    [KernelFact]
    public void RefineBounds_InputOutOfRange_Throws()
    {
        var rng = new Random(20);
        BoundsProblem problem = TestData.Problem(rng, TestData.Cost(rng, ScoreKind.L1, 2, false), 10, 4, 1, false);
        Assert.Throws<ArgumentOutOfRangeException>(() => Kernels.RefineBounds(problem, [3, 10], new double[2], new double[2]));
        Assert.Throws<ArgumentException>(() => Kernels.RefineBounds(problem, [3, 4], new double[1], new double[2]));
    }

    /// <summary>A problem without MAI entries where every input of neuron j has the code <paramref name="code"/>(j).</summary>
    private static BoundsProblem SameCodes(CostFunction cost, int n, int partitions, Func<int, int> code, float[] partMin, float[] partMax)
    {
        int g = cost.GroupSize;
        int bits = CodeLayout.BitsFor(partitions);
        int stride = CodeLayout.StrideBytes(n, bits);
        var codes = new byte[g * stride];
        for (int j = 0; j < g; j++)
        {
            ScalarReference.Pack(Enumerable.Repeat((byte)code(j), n).ToArray(), bits).CopyTo(codes, j * stride);
        }

        List<int[]> maiIds = Enumerable.Range(0, g).Select(_ => Array.Empty<int>()).ToList();
        List<float[]> maiValues = Enumerable.Range(0, g).Select(_ => Array.Empty<float>()).ToList();
        return BoundsProblem.Create(cost, n, partitions, codes, partMin, partMax, maiIds, maiValues);
    }

    /// <summary>The problem with every partition bound and MAI value multiplied by <paramref name="factor"/>.</summary>
    private static BoundsProblem Rescaled(BoundsProblem problem, CostFunction cost, double factor, Random rng)
    {
        int g = cost.GroupSize;
        int p = problem.Partitions;
        var partMin = new float[g * p];
        var partMax = new float[g * p];
        var maiIds = new List<int[]>();
        var maiValues = new List<float[]>();
        for (int j = 0; j < g; j++)
        {
            for (int c = 0; c < p; c++)
            {
                float lo = (float)((rng.NextDouble() - 0.5) * factor);
                partMin[(j * p) + c] = lo;
                partMax[(j * p) + c] = lo + (float)(rng.NextDouble() * factor);
            }

            int[] entries = ScalarReference.MaiEntriesOf(problem, j).ToArray();
            int count = entries.Length;
            maiIds.Add(entries.Select(e => problem.MaiIds[e]).ToArray());
            maiValues.Add(Enumerable.Range(0, count).Select(_ => (float)(rng.NextDouble() * factor)).ToArray());
        }

        CostFunction scaled = cost.IsDistance
            ? new CostFunction(cost.Kind, g, cost.Target.ToArray().Select(t => (float)(t * factor)).ToArray(), [])
            : cost;
        return BoundsProblem.Create(scaled, problem.Inputs, p, problem.Codes, partMin, partMax, maiIds, maiValues);
    }

    /// <summary>
    /// Coarse bounds equal the reference bit for bit; tight bounds of every input (in a scrambled
    /// order) equal theirs and lie inside the coarse ones.
    /// </summary>
    private void CheckBounds(BoundsProblem problem, string context)
    {
        (double[] lower, double[] upper) = ScalarReference.GroupBounds(problem);
        var actualLower = new double[problem.Inputs];
        var actualUpper = new double[problem.Inputs];
        Kernels.GroupBounds(problem, actualLower, actualUpper);
        BitAssert.Equal(lower, actualLower, context + " lower");
        BitAssert.Equal(upper, actualUpper, context + " upper");

        int[] inputs = Enumerable.Range(0, problem.Inputs).Select(i => (int)(((long)i * 7919) % problem.Inputs)).ToArray();
        (double[] tightLower, double[] tightUpper) = ScalarReference.RefineBounds(problem, inputs);
        var refinedLower = new double[inputs.Length];
        var refinedUpper = new double[inputs.Length];
        Kernels.RefineBounds(problem, inputs, refinedLower, refinedUpper);
        BitAssert.Equal(tightLower, refinedLower, context + " tight lower");
        BitAssert.Equal(tightUpper, refinedUpper, context + " tight upper");
        for (int r = 0; r < inputs.Length; r++)
        {
            int i = inputs[r];
            Assert.True(lower[i] <= tightLower[r] && tightUpper[r] <= upper[i], $"{context} input {i}: coarse [{lower[i]:R}, {upper[i]:R}] tight [{tightLower[r]:R}, {tightUpper[r]:R}]");
        }
    }
}
