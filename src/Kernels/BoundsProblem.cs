namespace DeepEverest.Kernels;

/// <summary>
/// Everything <see cref="IKernels.GroupBounds"/> and <see cref="IKernels.RefineBounds"/> need for n
/// inputs and a group of g neurons, in flat arrays (so the GPU backend can copy them as they are).
/// Build it with <see cref="Create"/>.
/// </summary>
/// <remarks>
/// Two precisions of the same bounds. The <b>tight</b> terms (<see cref="TermLower"/>,
/// <see cref="MaiTerms"/>) are doubles with the arithmetic of <see cref="CostFunction"/>, so tight
/// bounds of an input are exact when all its terms are. The <b>coarse</b> terms
/// (<see cref="CoarseLower"/> and the rest) are those doubles times <see cref="CoarseScale"/>,
/// rounded outward to float: GroupBounds sums them in float (twice the lanes of a vector, half
/// the work) and widens the sums by <see cref="LowerScale"/>/<see cref="LowerSlack"/> (and the upper
/// pair), which cover every rounding of the float sum and of the exact cost's double sum, so that
/// <c>coarse lower &lt;= tight lower &lt;= exact cost &lt;= tight upper &lt;= coarse upper</c>.
/// docs/kernels.md has the proof.
/// </remarks>
public sealed class BoundsProblem
{
    /// <summary>The largest group the coarse bounds support: (2g + 4)·2^-24 must stay well below 1.</summary>
    public const int MaxGroupSize = 1 << 22;

    private BoundsProblem(
        CostFunction cost,
        int inputs,
        int partitions,
        byte[] codes,
        double[] termLower,
        double[] termUpper,
        int[] maiOffsets,
        int[] maiIds,
        double[] maiTerms)
    {
        Cost = cost;
        Inputs = inputs;
        Partitions = partitions;
        Bits = CodeLayout.BitsFor(partitions);
        Stride = CodeLayout.StrideBytes(inputs, Bits);
        Codes = codes;
        TermLower = termLower;
        TermUpper = termUpper;
        MaiOffsets = maiOffsets;
        MaiIds = maiIds;
        MaiTerms = maiTerms;
        CoarseScale = ChooseScale(cost.GroupSize, partitions, termLower, termUpper, maiOffsets, maiTerms);
        CoarseLower = RoundAll(termLower, CoarseScale, down: true);
        CoarseUpper = RoundAll(termUpper, CoarseScale, down: false);
        CoarseMaiLower = RoundAll(maiTerms, CoarseScale, down: true);
        CoarseMaiUpper = RoundAll(maiTerms, CoarseScale, down: false);
        (LowerScale, UpperScale, LowerSlack, UpperSlack) = Widening(cost, partitions, CoarseScale, CoarseLower, CoarseUpper, CoarseMaiLower, CoarseMaiUpper, maiOffsets);
    }

    /// <summary>How the coarse float sums of a group's terms relate to their signs.</summary>
    private enum SignClass
    {
        NonNegative,
        NonPositive,
        Mixed,
    }

    /// <summary>The cost being bounded (g = <see cref="CostFunction.GroupSize"/>).</summary>
    public CostFunction Cost { get; }

    /// <summary>n, the number of inputs (ids 0..n-1).</summary>
    public int Inputs { get; }

    /// <summary>P, partitions per neuron.</summary>
    public int Partitions { get; }

    /// <summary>Bits per code, log2 P.</summary>
    public int Bits { get; }

    /// <summary>Bytes of one neuron's packed codes.</summary>
    public int Stride { get; }

    /// <summary>g packed code streams back to back (g x <see cref="Stride"/> bytes).</summary>
    public byte[] Codes { get; }

    /// <summary>Lower term per (neuron, partition): <c>TermLower[j*P + p]</c>; 0 for partition 0 and
    /// for empty partitions.</summary>
    public double[] TermLower { get; }

    /// <summary>Upper term per (neuron, partition), laid out like <see cref="TermLower"/>.</summary>
    public double[] TermUpper { get; }

    /// <summary>g+1 offsets into <see cref="MaiIds"/> / <see cref="MaiTerms"/>: neuron j's MAI
    /// entries are <c>[MaiOffsets[j], MaiOffsets[j+1])</c>.</summary>
    public int[] MaiOffsets { get; }

    /// <summary>MAI input ids per neuron: distinct, ascending within a neuron, in [0, n) and with
    /// code 0 (<see cref="Create"/> checks the first three and drops entries that break the last).</summary>
    public int[] MaiIds { get; }

    /// <summary>Exact term of each MAI entry (same order as <see cref="MaiIds"/>).</summary>
    public double[] MaiTerms { get; }

    /// <summary>The power of two the coarse terms are multiplied by before rounding to float (1
    /// unless the terms' magnitudes would overflow or underflow float).</summary>
    public double CoarseScale { get; }

    /// <summary><see cref="TermLower"/> times <see cref="CoarseScale"/>, rounded down to float.</summary>
    public float[] CoarseLower { get; }

    /// <summary><see cref="TermUpper"/> times <see cref="CoarseScale"/>, rounded up to float.</summary>
    public float[] CoarseUpper { get; }

    /// <summary><see cref="MaiTerms"/> times <see cref="CoarseScale"/>, rounded down to float.</summary>
    public float[] CoarseMaiLower { get; }

    /// <summary><see cref="MaiTerms"/> times <see cref="CoarseScale"/>, rounded up to float.</summary>
    public float[] CoarseMaiUpper { get; }

    /// <summary>Coarse lower accumulator = (double)floatSum * LowerScale - LowerSlack.</summary>
    public double LowerScale { get; }

    /// <summary>Coarse upper accumulator = (double)floatSum * UpperScale + UpperSlack.</summary>
    public double UpperScale { get; }

    /// <summary>See <see cref="LowerScale"/>; 0 unless the terms have mixed signs.</summary>
    public double LowerSlack { get; }

    /// <summary>See <see cref="UpperScale"/>; 0 unless the terms have mixed signs.</summary>
    public double UpperSlack { get; }

    /// <summary>
    /// The coarse lower accumulator of a float sum of lower terms: what <see cref="IKernels.GroupBounds"/>
    /// finishes (<see cref="CostFunction.Finish"/>) into the lower bound.
    /// </summary>
    public double WidenLower(float sum) => ((double)sum * LowerScale) - LowerSlack;

    /// <summary>The coarse upper accumulator of a float sum of upper terms.</summary>
    public double WidenUpper(float sum) => ((double)sum * UpperScale) + UpperSlack;

    /// <summary>
    /// Builds a bounds problem from index data of the group's neurons.
    /// </summary>
    /// <param name="cost">The cost; its group size is g.</param>
    /// <param name="inputs">n.</param>
    /// <param name="partitions">P.</param>
    /// <param name="codes">g packed code streams back to back.</param>
    /// <param name="partMin">Per-partition minimum, <c>[j*P + p]</c>.</param>
    /// <param name="partMax">Per-partition maximum, <c>[j*P + p]</c>.</param>
    /// <param name="maiIds">Per neuron, its MAI ids (any order).</param>
    /// <param name="maiValues">Per neuron, the MAI values matching <paramref name="maiIds"/>.</param>
    public static BoundsProblem Create(
        CostFunction cost,
        int inputs,
        int partitions,
        byte[] codes,
        ReadOnlySpan<float> partMin,
        ReadOnlySpan<float> partMax,
        IReadOnlyList<int[]> maiIds,
        IReadOnlyList<float[]> maiValues)
    {
        int g = cost.GroupSize;
        if (g > MaxGroupSize)
        {
            throw new ArgumentOutOfRangeException(nameof(cost), g, $"Bounds support groups of at most {MaxGroupSize} neurons.");
        }

        int bits = CodeLayout.BitsFor(partitions);
        int stride = CodeLayout.StrideBytes(inputs, bits);
        if (codes.Length != (long)g * stride)
        {
            throw new ArgumentException($"Expected {(long)g * stride} code bytes, got {codes.Length}.", nameof(codes));
        }

        if (partMin.Length != g * partitions || partMax.Length != g * partitions)
        {
            throw new ArgumentException("Partition bounds must hold g x P values.", nameof(partMin));
        }

        if (maiIds.Count != g || maiValues.Count != g)
        {
            throw new ArgumentException("MAI lists must hold one entry per neuron.", nameof(maiIds));
        }

        var termLower = new double[g * partitions];
        var termUpper = new double[g * partitions];
        for (int j = 0; j < g; j++)
        {
            for (int p = 1; p < partitions; p++)
            {
                float lo = partMin[j * partitions + p];
                float hi = partMax[j * partitions + p];
                if (lo > hi)
                {
                    continue; // empty partition: no input carries its code
                }

                (termLower[j * partitions + p], termUpper[j * partitions + p]) = cost.IntervalTerm(j, lo, hi);
            }
        }

        int total = 0;
        for (int j = 0; j < g; j++)
        {
            total += maiIds[j].Length;
        }

        // Only entries whose input has code 0 apply (an input with another code has its table
        // term); the others are dropped here, so the kernels never read codes for MAI entries.
        var offsets = new int[g + 1];
        var ids = new int[total];
        var terms = new double[total];
        int kept = 0;
        for (int j = 0; j < g; j++)
        {
            int[] jIds = maiIds[j];
            float[] jValues = maiValues[j];
            if (jValues.Length != jIds.Length)
            {
                throw new ArgumentException($"Neuron {j}: {jIds.Length} MAI ids but {jValues.Length} values.", nameof(maiValues));
            }

            var order = new int[jIds.Length];
            for (int e = 0; e < order.Length; e++)
            {
                order[e] = e;
            }

            int[] keys = (int[])jIds.Clone();
            Array.Sort(keys, order);
            ReadOnlySpan<byte> stream = codes.AsSpan(j * stride, stride);
            for (int e = 0; e < keys.Length; e++)
            {
                if ((uint)keys[e] >= (uint)inputs)
                {
                    throw new ArgumentOutOfRangeException(nameof(maiIds), keys[e], $"Neuron {j}: MAI id {keys[e]} is not an input (n = {inputs}).");
                }

                if (e > 0 && keys[e] == keys[e - 1])
                {
                    // The kernels write one entry per MAI id through raw pointers and binary-search ids.
                    throw new ArgumentException($"Neuron {j}: MAI id {keys[e]} appears twice.", nameof(maiIds));
                }

                if (Simd.CodePacking.CodeAt(stream, bits, keys[e]) == 0)
                {
                    ids[kept] = keys[e];
                    terms[kept] = cost.Term(j, jValues[order[e]]);
                    kept++;
                }
            }

            offsets[j + 1] = kept;
        }

        if (kept < total)
        {
            Array.Resize(ref ids, kept);
            Array.Resize(ref terms, kept);
        }

        return new BoundsProblem(cost, inputs, partitions, codes, termLower, termUpper, offsets, ids, terms);
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

    private static float[] RoundAll(double[] terms, double scale, bool down)
    {
        var rounded = new float[terms.Length];
        for (int e = 0; e < terms.Length; e++)
        {
            rounded[e] = RoundOutward(terms[e] * scale, down);
        }

        return rounded;
    }

    /// <summary>
    /// A power of two that brings the largest possible |sum| of terms into [2^-60, 2^60] when it
    /// is outside (scaling by a power of two is exact), so float sums neither overflow nor lose
    /// their precision to underflow.
    /// </summary>
    private static double ChooseScale(int g, int partitions, double[] termLower, double[] termUpper, int[] maiOffsets, double[] maiTerms)
    {
        double total = 0;
        for (int j = 0; j < g; j++)
        {
            double largest = 0;
            for (int p = 0; p < partitions; p++)
            {
                largest = Math.Max(largest, Math.Max(Math.Abs(termLower[(j * partitions) + p]), Math.Abs(termUpper[(j * partitions) + p])));
            }

            for (int e = maiOffsets[j]; e < maiOffsets[j + 1]; e++)
            {
                largest = Math.Max(largest, Math.Abs(maiTerms[e]));
            }

            total += largest;
        }

        const double Low = 1.0 / (1L << 60);
        const double High = 1L << 60;
        return total == 0 || (total >= Low && total <= High) ? 1.0 : Math.ScaleB(1.0, 40 - Math.ILogB(total));
    }

    /// <summary>
    /// The constants that turn float sums into sound double accumulators. With u = 2^-24, a float
    /// sum of g terms (the zeros of MAI slots add exactly) is within (g-1)u/(1-(g-1)u) of the real
    /// sum of its terms, relative to the sum of their magnitudes, and the exact cost's double sum
    /// within (g-1)2^-53/(...) of its own; gamma = (2g + 4)u covers both, the final multiply's
    /// rounding and then some. Same-signed terms widen relatively (the sum of magnitudes is the
    /// |sum|); mixed signs widen by gamma times the largest possible sum of magnitudes. A max
    /// (linf) rounds nothing, so it is only unscaled.
    /// </summary>
    private static (double LowerScale, double UpperScale, double LowerSlack, double UpperSlack) Widening(
        CostFunction cost, int partitions, double scale, float[] lower, float[] upper, float[] maiLower, float[] maiUpper, int[] maiOffsets)
    {
        double unscale = 1.0 / scale;
        if (cost.CombinesByMax)
        {
            return (unscale, unscale, 0, 0);
        }

        int g = cost.GroupSize;
        double gamma = ((2.0 * g) + 4) / (1 << 24);
        SignClass signs = Signs(lower, upper, maiLower, maiUpper);
        if (signs == SignClass.NonNegative)
        {
            return ((1 - gamma) * unscale, (1 + gamma) * unscale, 0, 0);
        }

        if (signs == SignClass.NonPositive)
        {
            return ((1 + gamma) * unscale, (1 - gamma) * unscale, 0, 0);
        }

        double magnitudes = 0;
        for (int j = 0; j < g; j++)
        {
            float largest = 0;
            for (int p = 0; p < partitions; p++)
            {
                largest = MathF.Max(largest, MathF.Max(MathF.Abs(lower[(j * partitions) + p]), MathF.Abs(upper[(j * partitions) + p])));
            }

            for (int e = maiOffsets[j]; e < maiOffsets[j + 1]; e++)
            {
                largest = MathF.Max(largest, MathF.Max(MathF.Abs(maiLower[e]), MathF.Abs(maiUpper[e])));
            }

            magnitudes += largest;
        }

        // The double sum of g floats is itself within g*2^-53 of the real one: 2^-30 covers it.
        double slack = gamma * magnitudes * (1 + (1.0 / (1 << 30))) * unscale;
        return (unscale, unscale, slack, slack);
    }

    private static SignClass Signs(float[] lower, float[] upper, float[] maiLower, float[] maiUpper)
    {
        if (AllAtLeastZero(lower) && AllAtLeastZero(maiLower))
        {
            return SignClass.NonNegative;
        }

        return AllAtMostZero(upper) && AllAtMostZero(maiUpper) ? SignClass.NonPositive : SignClass.Mixed;

        static bool AllAtLeastZero(float[] values) => Array.TrueForAll(values, v => v >= 0);

        static bool AllAtMostZero(float[] values) => Array.TrueForAll(values, v => v <= 0);
    }
}
