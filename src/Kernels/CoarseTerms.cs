namespace DeepEverest.Kernels;

/// <summary>
/// The coarse side of a <see cref="BoundsProblem"/>: its terms times a power-of-two scale, rounded
/// outward to integers (held in floats, which represent them exactly), and the constants that
/// widen a sum of them back into a sound double accumulator. The scale keeps every table term
/// within <see cref="TableLimit"/> and every input's largest possible sum within 2^24, so float
/// sums of the terms are exact in any order, and eight table terms sum within 16 bits (the
/// AVX-512 kernel packs both bounds' terms into one 32-bit lane). The proof is in docs/kernels.md
/// ("Coarse bounds").
/// </summary>
internal sealed class CoarseTerms
{
    /// <summary>Work (table entries plus MAI entries) from which neurons are processed in parallel.</summary>
    private const int ParallelEntries = 16_000;

    /// <summary>Neurons whose table terms a kernel may sum in 16 bits before widening.</summary>
    internal const int NarrowNeurons = 8;

    /// <summary>2^24: floats represent every integer up to it, so sums within it are exact.</summary>
    private const double ExactFloatSum = 1 << 24;

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
    public static CoarseTerms Derive(CostFunction cost, int partitions, double[] termLower, double[] termUpper, int[] maiOffsets, int maiBlocks, double[] maiTerms)
    {
        int g = cost.GroupSize;
        bool parallel = termLower.Length + maiTerms.Length >= ParallelEntries && Environment.ProcessorCount > 1;

        // Per neuron: the largest |table term|, and the largest |term| of either kind.
        var largestTable = new double[g];
        var largest = new double[g];
        BoundsProblem.PerNeuron(g, parallel, j =>
        {
            double table = 0;
            for (int p = j * partitions; p < (j + 1) * partitions; p++)
            {
                table = Math.Max(table, Math.Max(Math.Abs(termLower[p]), Math.Abs(termUpper[p])));
            }

            double max = table;
            for (int slot = j; slot < maiBlocks * g; slot += g)
            {
                for (int e = maiOffsets[slot]; e < maiOffsets[slot + 1]; e++)
                {
                    max = Math.Max(max, Math.Abs(maiTerms[e]));
                }
            }

            largestTable[j] = table;
            largest[j] = max;
        });
        double scale = ChooseScale(TableLimit(g), largestTable.Max(), Sum(largest), g);

        var terms = new CoarseTerms(scale, new float[termLower.Length], new float[termUpper.Length], new float[maiTerms.Length], new float[maiTerms.Length]);
        var nonNegative = new bool[g];
        var nonPositive = new bool[g];
        var largestScaled = new double[g];
        BoundsProblem.PerNeuron(g, parallel, j =>
        {
            bool lowAtLeastZero = true;
            bool highAtMostZero = true;
            double max = 0;
            void Put(double termLo, double termHi, float[] lower, float[] upper, int at)
            {
                double lo = Quantize(termLo, scale, down: true);
                double hi = Quantize(termHi, scale, down: false);
                (lower[at], upper[at]) = ((float)lo, (float)hi);
                lowAtLeastZero &= lo >= 0;
                highAtMostZero &= hi <= 0;
                max = Math.Max(max, Math.Max(Math.Abs(lo), Math.Abs(hi)));
            }

            for (int p = j * partitions; p < (j + 1) * partitions; p++)
            {
                Put(termLower[p], termUpper[p], terms.Lower, terms.Upper, p);
            }

            for (int slot = j; slot < maiBlocks * g; slot += g)
            {
                for (int e = maiOffsets[slot]; e < maiOffsets[slot + 1]; e++)
                {
                    Put(maiTerms[e], maiTerms[e], terms.MaiLower, terms.MaiUpper, e);
                }
            }

            nonNegative[j] = lowAtLeastZero;
            nonPositive[j] = highAtMostZero;
            largestScaled[j] = max;
        });

        terms.Widen(cost, Array.TrueForAll(nonNegative, b => b), Array.TrueForAll(nonPositive, b => b), Sum(largestScaled));
        return terms;
    }

    /// <summary>
    /// The largest |table term| once scaled, before rounding: <see cref="NarrowNeurons"/> (or g if
    /// fewer) rounded table terms, each at most one larger, sum within a 16-bit integer.
    /// </summary>
    internal static double TableLimit(int groupSize) => (short.MaxValue / Math.Min(groupSize, NarrowNeurons)) - 1;

    /// <summary>
    /// x times <paramref name="scale"/> (a power of two) rounded to an integer no greater
    /// (<paramref name="down"/>) or no smaller than it; never -0.
    /// </summary>
    internal static double Quantize(double x, double scale, bool down)
    {
        // x * scale is exact unless it underflows; comparing back with x catches that case
        // (q / scale is exact: q is an integer below 2^25 and scale a power of two).
        double q = down ? Math.Floor(x * scale) : Math.Ceiling(x * scale);
        if (down && q / scale > x)
        {
            q -= 1;
        }
        else if (!down && q / scale < x)
        {
            q += 1;
        }

        return q + 0.0;
    }

    /// <summary>
    /// The largest power of two that keeps every scaled table term within <paramref name="tableLimit"/>
    /// and the largest possible scaled |sum| (each neuron's largest |term|, plus one per neuron for
    /// rounding, plus margin) within 2^24; 1 when every term is 0.
    /// </summary>
    private static double ChooseScale(double tableLimit, double tableMax, double largestSum, int groupSize)
    {
        if (!double.IsFinite(tableMax) || !double.IsFinite(largestSum))
        {
            // Only from non-finite partition bounds or MAI values, which no index holds.
            throw new ArgumentException("Bounds need finite partition bounds and MAI values.");
        }

        double room = ExactFloatSum - (2.0 * groupSize);
        double bound = Math.Min(
            tableMax > 0 ? tableLimit / tableMax : double.PositiveInfinity,
            largestSum > 0 ? room / largestSum : double.PositiveInfinity);
        if (double.IsPositiveInfinity(bound))
        {
            return 1.0;
        }

        double scale = Math.ScaleB(1.0, Math.Clamp(Math.ILogB(bound), -1000, 1000));
        while (tableMax * scale > tableLimit || largestSum * scale > room)
        {
            scale *= 0.5; // the quotient above rounded up across a power of two
        }

        return scale;
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

    /// <summary>
    /// The constants that turn the (exact) integer sums into sound double accumulators: the exact
    /// cost's double sum is within (g-1)2^-53/(...) of the real sum of its terms, relative to the
    /// sum of their magnitudes; gamma = (2g + 4)2^-24 covers that and the final multiply's rounding
    /// with room to spare (it dates from float sums, whose own error it also covered). Same-signed
    /// terms widen relatively (the sum of magnitudes is the |sum|); mixed signs widen by gamma
    /// times the largest possible sum of magnitudes. A max (linf) rounds nothing: only unscaled.
    /// </summary>
    private void Widen(CostFunction cost, bool nonNegative, bool nonPositive, double magnitudes)
    {
        double unscale = 1.0 / Scale;
        double gamma = ((2.0 * cost.GroupSize) + 4) / (1 << 24);
        (LowerScale, UpperScale, LowerSlack, UpperSlack) = cost.CombinesByMax ? (unscale, unscale, 0, 0)
            : nonNegative ? ((1 - gamma) * unscale, (1 + gamma) * unscale, 0, 0)
            : nonPositive ? ((1 + gamma) * unscale, (1 - gamma) * unscale, 0, 0)
            : (unscale, unscale, Slack(gamma, magnitudes, unscale), Slack(gamma, magnitudes, unscale));

        // The double sum of g terms is itself within g*2^-53 of the real one: 2^-30 covers it.
        static double Slack(double gamma, double magnitudes, double unscale) => gamma * magnitudes * (1 + (1.0 / (1 << 30))) * unscale;
    }
}
