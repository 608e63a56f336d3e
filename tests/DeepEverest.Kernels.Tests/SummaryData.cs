namespace DeepEverest.Kernels.Tests;

/// <summary>
/// A summary problem built from fully materialised activations the way the index builds one: per
/// segment and input the double sum and sum of squares rounded to float with their radii (as
/// <c>SummaryAccumulator</c> does), the index rows by <see cref="ScalarReference.BuildNeuronBlock"/>,
/// and real bounds of the residual neurons' accumulator; plus the exact costs to check against.
/// </summary>
internal sealed record SummaryData(SummaryProblem Problem, double[] ResidualLower, double[] ResidualUpper, double[] Exact, float[] Activations)
{
    private const double U = 1.0 / (1L << 53);

    /// <summary>
    /// Inputs of n rows over a group of the given segments (neurons in group order) followed by
    /// <paramref name="residual"/> other neurons. <paramref name="zeroSegment"/>: segment 0 is
    /// all zeros for every input and the target (a channel that never fires).
    /// <paramref name="targetFromRow0"/>: the target is input 0's activations (its own row).
    /// </summary>
    public static SummaryData Create(Random rng, ScoreKind kind, int n, int[] segmentSizes, int residual, DataShape shape, bool zeroSegment, bool targetFromRow0, int partitions = 16)
    {
        int covered = segmentSizes.Sum();
        int g = covered + residual;
        float[] activations = TestData.Activations(rng, n * g, shape);
        if (zeroSegment)
        {
            for (int i = 0; i < n; i++)
            {
                activations.AsSpan((i * g), segmentSizes[0]).Clear();
            }
        }

        bool isDistance = kind is ScoreKind.L2 or ScoreKind.L1 or ScoreKind.LInf;
        float[] target = targetFromRow0 ? activations[..g] : TestData.Activations(rng, g, shape);
        if (zeroSegment)
        {
            target.AsSpan(0, segmentSizes[0]).Clear();
        }

        var weights = new float[g];
        var segmentPositions = new int[segmentSizes.Length][];
        for (int s = 0, at = 0; s < segmentSizes.Length; at += segmentSizes[s], s++)
        {
            segmentPositions[s] = Enumerable.Range(at, segmentSizes[s]).ToArray();
            float w = s == 1 ? 0f : (float)(0.25 + (rng.NextDouble() * 2));
            weights.AsSpan(at, segmentSizes[s]).Fill(w);
        }

        for (int j = covered; j < g; j++)
        {
            weights[j] = (float)(rng.NextDouble() * 2);
        }

        var cost = new CostFunction(kind, g, isDistance ? target : [], isDistance ? weights : []);

        // The summaries, as the index stores them.
        int segments = segmentSizes.Length;
        var sums = new float[segments][];
        var squares = new float[segments][];
        var sumRadius = new double[segments];
        var squareRadius = new double[segments];
        var nonNegative = new bool[segments];
        for (int s = 0; s < segments; s++)
        {
            sums[s] = new float[n];
            squares[s] = new float[n];
            nonNegative[s] = true;
            int m = segmentPositions[s].Length;
            double slack = (m + 1) * U;
            for (int i = 0; i < n; i++)
            {
                double sum = 0;
                double square = 0;
                double magnitude = 0;
                foreach (int j in segmentPositions[s])
                {
                    double a = activations[(i * g) + j];
                    sum += a;
                    magnitude += Math.Abs(a);
                    square += a * a;
                    nonNegative[s] &= a >= 0;
                }

                sums[s][i] = (float)sum;
                squares[s][i] = (float)square;
                sumRadius[s] = Math.Max(sumRadius[s], Up(Up(Math.Abs((double)sums[s][i] - sum)) + Up(slack * magnitude)));
                squareRadius[s] = Math.Max(squareRadius[s], Up(Up(Math.Abs((double)squares[s][i] - square)) + Up(slack * square)));
            }
        }

        // The index rows of the whole group (neuron-major columns).
        var columns = new float[g * n];
        bool allNonNegative = true;
        bool allNonPositive = true;
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < g; j++)
            {
                float a = activations[(i * g) + j];
                columns[(j * n) + i] = a;
                allNonNegative &= a >= 0;
                allNonPositive &= a <= 0;
            }
        }

        int maiCount = Math.Min(n, Math.Max(1, n / 20));
        BuiltBlock block = ScalarReference.BuildNeuronBlock(columns, g, n, partitions, maiCount);
        int[][] maiIds = Enumerable.Range(0, g).Select(j => block.MaiIds.AsSpan(j * maiCount, maiCount).ToArray()).ToArray();
        float[][] maiValues = Enumerable.Range(0, g).Select(j => block.MaiValues.AsSpan(j * maiCount, maiCount).ToArray()).ToArray();

        // Real bounds of the residual's accumulator: its double sum (or max) of terms, widened by
        // (r + 2) 2^-52 of the terms' magnitudes (the sum's error and each term's few roundings).
        double residualMagnitude = 0;
        for (int j = covered; j < g; j++)
        {
            double largest = 0;
            for (int i = 0; i < n; i++)
            {
                largest = Math.Max(largest, Math.Abs((double)activations[(i * g) + j]));
            }

            residualMagnitude = Up(residualMagnitude + largest);
        }

        double[] residualLower = residual == 0 ? [] : new double[n];
        double[] residualUpper = residual == 0 ? [] : new double[n];
        for (int i = 0; residual > 0 && i < n; i++)
        {
            double acc = 0;
            double magnitude = 0;
            for (int j = covered; j < g; j++)
            {
                double term = cost.Term(j, activations[(i * g) + j]);
                acc = cost.Combine(acc, term);
                magnitude += Math.Abs(term);
            }

            double error = Up((residual + 8) * 4 * U * magnitude);
            residualLower[i] = Down(acc - error);
            residualUpper[i] = Up(acc + error);
        }

        bool sameSign = isDistance || kind == ScoreKind.L2Norm || allNonNegative || allNonPositive;
        var problem = SummaryProblem.Create(
            cost, n, segmentPositions, nonNegative, sumRadius, squareRadius, sums, squares, sameSign, residualMagnitude, partitions, block.Codes, block.PartMin, block.PartMax, maiIds, maiValues);
        return new SummaryData(problem, residualLower, residualUpper, ScalarReference.ExactCosts(cost, activations, n), activations);
    }

    /// <summary>Every input id, 0..n-1.</summary>
    public int[] AllInputs => Enumerable.Range(0, Problem.Inputs).ToArray();

    private static double Down(double x) => Math.BitDecrement(x);

    private static double Up(double x) => Math.BitIncrement(x);
}
