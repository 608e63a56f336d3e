namespace DeepEverest.Kernels;

/// <summary>
/// The coarse (float) side of a <see cref="BoundsProblem"/>: its terms times a power-of-two scale,
/// rounded outward to float, and the constants that widen a float sum of them back into a sound
/// double accumulator. The proof is in docs/kernels.md ("Coarse bounds").
/// </summary>
internal sealed class CoarseTerms
{
    /// <summary>Work (table entries plus MAI entries) from which neurons are processed in parallel.</summary>
    private const int ParallelEntries = 50_000;

    /// <summary>Neurons per parallel work item.</summary>
    private const int NeuronsPerItem = 32;

    private CoarseTerms(double scale, float[] lower, float[] upper, float[] maiLower, float[] maiUpper)
    {
        Scale = scale;
        Lower = lower;
        Upper = upper;
        MaiLower = maiLower;
        MaiUpper = maiUpper;
    }

    /// <summary>See <see cref="BoundsProblem.CoarseScale"/>.</summary>
    public double Scale { get; }

    /// <summary>See <see cref="BoundsProblem.CoarseLower"/>.</summary>
    public float[] Lower { get; }

    /// <summary>See <see cref="BoundsProblem.CoarseUpper"/>.</summary>
    public float[] Upper { get; }

    /// <summary>See <see cref="BoundsProblem.CoarseMaiLower"/>.</summary>
    public float[] MaiLower { get; }

    /// <summary>See <see cref="BoundsProblem.CoarseMaiUpper"/>.</summary>
    public float[] MaiUpper { get; }

    /// <summary>See <see cref="BoundsProblem.LowerScale"/>.</summary>
    public double LowerScale { get; private set; }

    /// <summary>See <see cref="BoundsProblem.UpperScale"/>.</summary>
    public double UpperScale { get; private set; }

    /// <summary>See <see cref="BoundsProblem.LowerSlack"/>.</summary>
    public double LowerSlack { get; private set; }

    /// <summary>See <see cref="BoundsProblem.UpperSlack"/>.</summary>
    public double UpperSlack { get; private set; }

    /// <summary>Derives the coarse terms of a problem's tight ones.</summary>
    public static CoarseTerms Derive(CostFunction cost, int partitions, double[] termLower, double[] termUpper, int[] maiOffsets, double[] maiTerms)
    {
        int g = cost.GroupSize;
        bool parallel = termLower.Length + maiTerms.Length >= ParallelEntries && Environment.ProcessorCount > 1;

        // Largest |term| per neuron, summed in neuron order: the largest possible |sum|.
        var largest = new double[g];
        ForNeurons(g, parallel, j =>
        {
            double max = 0;
            for (int p = j * partitions; p < (j + 1) * partitions; p++)
            {
                max = Math.Max(max, Math.Max(Math.Abs(termLower[p]), Math.Abs(termUpper[p])));
            }

            for (int e = maiOffsets[j]; e < maiOffsets[j + 1]; e++)
            {
                max = Math.Max(max, Math.Abs(maiTerms[e]));
            }

            largest[j] = max;
        });
        double scale = ChooseScale(Sum(largest));

        var terms = new CoarseTerms(scale, new float[termLower.Length], new float[termUpper.Length], new float[maiTerms.Length], new float[maiTerms.Length]);
        var nonNegative = new bool[g];
        var nonPositive = new bool[g];
        var largestFloat = new double[g];
        ForNeurons(g, parallel, j =>
        {
            bool lowAtLeastZero = true;
            bool highAtMostZero = true;
            float max = 0;
            for (int p = j * partitions; p < (j + 1) * partitions; p++)
            {
                float lo = terms.Lower[p] = RoundOutward(termLower[p] * scale, down: true);
                float hi = terms.Upper[p] = RoundOutward(termUpper[p] * scale, down: false);
                lowAtLeastZero &= lo >= 0;
                highAtMostZero &= hi <= 0;
                max = MathF.Max(max, MathF.Max(MathF.Abs(lo), MathF.Abs(hi)));
            }

            for (int e = maiOffsets[j]; e < maiOffsets[j + 1]; e++)
            {
                float lo = terms.MaiLower[e] = RoundOutward(maiTerms[e] * scale, down: true);
                float hi = terms.MaiUpper[e] = RoundOutward(maiTerms[e] * scale, down: false);
                lowAtLeastZero &= lo >= 0;
                highAtMostZero &= hi <= 0;
                max = MathF.Max(max, MathF.Max(MathF.Abs(lo), MathF.Abs(hi)));
            }

            nonNegative[j] = lowAtLeastZero;
            nonPositive[j] = highAtMostZero;
            largestFloat[j] = max;
        });

        terms.Widen(cost, Array.TrueForAll(nonNegative, b => b), Array.TrueForAll(nonPositive, b => b), Sum(largestFloat));
        return terms;
    }

    /// <summary>x rounded to a float no greater (<paramref name="down"/>) or no smaller than x.</summary>
    internal static float RoundOutward(double x, bool down)
    {
        float f = (float)x;
        if (down && f > x)
        {
            return MathF.BitDecrement(f);
        }

        return !down && f < x ? MathF.BitIncrement(f) : f;
    }

    /// <summary>
    /// A power of two that brings the largest possible |sum| of terms into [2^-60, 2^60] when it
    /// is outside (scaling by a power of two is exact), so float sums neither overflow (an
    /// overflowed lower sum would be unsound) nor lose their precision to underflow.
    /// </summary>
    private static double ChooseScale(double total)
    {
        const double Low = 1.0 / (1L << 60);
        const double High = 1L << 60;
        // Non-finite terms (CostFunction refuses non-finite targets, so only from non-finite
        // partition bounds a caller passed) leave the scale at 1: their bounds are NaN or infinite,
        // as the tight ones are, and the other terms keep their values.
        return total == 0 || !double.IsFinite(total) || (total >= Low && total <= High) ? 1.0 : Math.ScaleB(1.0, 40 - Math.ILogB(total));
    }

    private static double Sum(double[] values)
    {
        double sum = 0;
        foreach (double v in values)
        {
            sum += v;
        }

        return sum;
    }

    private static void ForNeurons(int g, bool parallel, Action<int> neuron)
    {
        if (!parallel)
        {
            for (int j = 0; j < g; j++)
            {
                neuron(j);
            }

            return;
        }

        Parallel.For(0, (g + NeuronsPerItem - 1) / NeuronsPerItem, item =>
        {
            for (int j = item * NeuronsPerItem; j < Math.Min(g, (item + 1) * NeuronsPerItem); j++)
            {
                neuron(j);
            }
        });
    }

    /// <summary>
    /// The constants that turn float sums into sound double accumulators. With u = 2^-24, a float
    /// sum of g non-zero terms (the zeros of MAI slots add exactly) is within (g-1)u/(1-(g-1)u) of
    /// the real sum of its terms, relative to the sum of their magnitudes, and the exact cost's
    /// double sum within (g-1)2^-53/(...) of its own; gamma = (2g + 4)u covers both, the final
    /// multiply's rounding and then some. Same-signed terms widen relatively (the sum of
    /// magnitudes is the |sum|); mixed signs widen by gamma times the largest possible sum of
    /// magnitudes. A max (linf) rounds nothing, so it is only unscaled.
    /// </summary>
    private void Widen(CostFunction cost, bool nonNegative, bool nonPositive, double magnitudes)
    {
        double unscale = 1.0 / Scale;
        double gamma = ((2.0 * cost.GroupSize) + 4) / (1 << 24);
        (LowerScale, UpperScale, LowerSlack, UpperSlack) = cost.CombinesByMax ? (unscale, unscale, 0, 0)
            : nonNegative ? ((1 - gamma) * unscale, (1 + gamma) * unscale, 0, 0)
            : nonPositive ? ((1 + gamma) * unscale, (1 - gamma) * unscale, 0, 0)
            : (unscale, unscale, Slack(gamma, magnitudes, unscale), Slack(gamma, magnitudes, unscale));

        // The double sum of g floats is itself within g*2^-53 of the real one: 2^-30 covers it.
        static double Slack(double gamma, double magnitudes, double unscale) => gamma * magnitudes * (1 + (1.0 / (1 << 30))) * unscale;
    }
}
