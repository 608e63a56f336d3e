using DeepEverest.Kernels.Summary;

namespace DeepEverest.Kernels;

/// <summary>
/// Everything <see cref="IKernels.SummaryBounds"/> and <see cref="IKernels.SummaryDualLower"/> need
/// to bound the cost of n inputs for a large group from the index's channel summaries
/// (docs/large-groups.md has the design and the proof). The group splits into S segments it covers
/// whole, each with one weight, and a residual of other neurons, bounded by the caller per neuron
/// and handed to the kernels as real bounds of its accumulator. Build it with <see cref="Create"/>.
/// </summary>
/// <remarks>
/// Every bound the kernels derive is rounded outward (one ulp per operation, squares clamped at 0,
/// NaN ends ignored), so it contains the exact cost that <see cref="IKernels.ExactCosts"/> computes
/// for the group: every implementation gives the scalar arithmetic's results bit for bit.
/// </remarks>
public sealed class SummaryProblem
{
    private SummaryProblem(
        CostFunction cost,
        int inputs,
        SummarySegment[] segments,
        float[][] sums,
        float[][] squares,
        bool sameSign,
        double residualMagnitude,
        int[] segmentStarts,
        int[] positions,
        float[] target,
        int partitions,
        byte[] codes,
        float[] partMin,
        float[] partMax,
        int[][] maiIds,
        float[][] maiValues)
    {
        Cost = cost;
        Inputs = inputs;
        Segments = segments;
        Sums = sums;
        Squares = squares;
        SameSign = sameSign;
        ResidualMagnitude = residualMagnitude;
        SegmentStarts = segmentStarts;
        Positions = positions;
        Target = target;
        Partitions = partitions;
        Bits = CodeLayout.BitsFor(partitions);
        Stride = CodeLayout.StrideBytes(inputs, Bits);
        Codes = codes;
        PartMin = partMin;
        PartMax = partMax;
        MaiIds = maiIds;
        MaiValues = maiValues;

        // Relative error of the kernels' double sum over g terms, each a few roundings off its real
        // value: (g + 8) 2^-52 covers gamma(g - 1) and the terms' 4u, for any g below 2^40.
        Eta = (cost.GroupSize + 8) * 2 * SummaryArithmetic.U;
    }

    /// <summary>The cost being bounded, of the whole group (g = <see cref="CostFunction.GroupSize"/>).</summary>
    public CostFunction Cost { get; }

    /// <summary>n, the number of inputs (ids 0..n-1).</summary>
    public int Inputs { get; }

    /// <summary>S, the covered segments.</summary>
    public int SegmentCount => Segments.Length;

    /// <summary>Neurons in the covered segments: M, the sum of their sizes.</summary>
    public int SegmentNeurons => Positions.Length;

    /// <summary>Whether <see cref="IKernels.SummaryDualLower"/> can raise lower bounds (l2 costs).</summary>
    public bool CanRefine => Cost.Kind == ScoreKind.L2;

    /// <summary>The segments' constants, in segment order.</summary>
    internal SummarySegment[] Segments { get; }

    /// <summary>Stored (float) sum of each segment's activations, per input: <c>Sums[s][i]</c>.</summary>
    internal float[][] Sums { get; }

    /// <summary>Stored (float) sum of squares, laid out like <see cref="Sums"/>.</summary>
    internal float[][] Squares { get; }

    /// <summary>Whether every term of the cost has one sign (then |real sum| bounds the sum of magnitudes).</summary>
    internal bool SameSign { get; }

    /// <summary>An upper bound of the residual's sum of term magnitudes.</summary>
    internal double ResidualMagnitude { get; }

    /// <summary>The relative rounding error of the kernels' double sum over the group.</summary>
    internal double Eta { get; }

    /// <summary>S + 1 offsets into <see cref="Positions"/> / <see cref="Target"/>: segment s is <c>[SegmentStarts[s], SegmentStarts[s + 1])</c>.</summary>
    internal int[] SegmentStarts { get; }

    /// <summary>The group positions of the segments' neurons, segment by segment.</summary>
    internal int[] Positions { get; }

    /// <summary>The target's activation of each segment neuron (same order as <see cref="Positions"/>; empty for aggregates).</summary>
    internal float[] Target { get; }

    /// <summary>P, partitions per neuron of the group's index rows.</summary>
    internal int Partitions { get; }

    /// <summary>Bits per code.</summary>
    internal int Bits { get; }

    /// <summary>Bytes of one neuron's packed codes.</summary>
    internal int Stride { get; }

    /// <summary>The whole group's packed codes (g x <see cref="Stride"/> bytes; see <see cref="IKernels"/>).</summary>
    internal byte[] Codes { get; }

    /// <summary>The group's partition minima, <c>PartMin[j*P + p]</c>.</summary>
    internal float[] PartMin { get; }

    /// <summary>The group's partition maxima, laid out like <see cref="PartMin"/>.</summary>
    internal float[] PartMax { get; }

    /// <summary>MAI ids of each group position, sorted by id (filled for segment neurons of l2 costs only).</summary>
    internal int[][] MaiIds { get; }

    /// <summary>MAI values matching <see cref="MaiIds"/>.</summary>
    internal float[][] MaiValues { get; }

    /// <summary>
    /// Builds the problem.
    /// </summary>
    /// <param name="cost">The group's cost; weights must be equal within each segment.</param>
    /// <param name="inputs">n.</param>
    /// <param name="segmentPositions">Per segment, the group positions of its neurons.</param>
    /// <param name="segmentNonNegative">Per segment, whether every activation of its neurons is >= 0.</param>
    /// <param name="sumRadius">Per segment, the radius of its stored sums (finite).</param>
    /// <param name="squareRadius">Per segment, the radius of its stored sums of squares (finite).</param>
    /// <param name="sums">Per segment, the n stored sums (finite).</param>
    /// <param name="squares">Per segment, the n stored sums of squares (finite).</param>
    /// <param name="sameSign">Whether every term of the cost has one sign (distances, l2 norm, or activations of one sign).</param>
    /// <param name="residualMagnitude">An upper bound of the residual's sum of |activation| (0 without a residual).</param>
    /// <param name="partitions">P of the group's index rows.</param>
    /// <param name="codes">The group's packed codes.</param>
    /// <param name="partMin">The group's partition minima (g x P).</param>
    /// <param name="partMax">The group's partition maxima (g x P).</param>
    /// <param name="maiIds">Per group position, its MAI ids (any order).</param>
    /// <param name="maiValues">Per group position, its MAI values.</param>
    /// <exception cref="ArgumentException">Array shapes disagree.</exception>
    public static SummaryProblem Create(
        CostFunction cost,
        int inputs,
        int[][] segmentPositions,
        bool[] segmentNonNegative,
        double[] sumRadius,
        double[] squareRadius,
        float[][] sums,
        float[][] squares,
        bool sameSign,
        double residualMagnitude,
        int partitions,
        byte[] codes,
        float[] partMin,
        float[] partMax,
        int[][] maiIds,
        float[][] maiValues)
    {
        ArgumentNullException.ThrowIfNull(cost);
        ArgumentNullException.ThrowIfNull(segmentPositions);
        ArgumentOutOfRangeException.ThrowIfNegative(inputs);
        int s = segmentPositions.Length;
        int g = cost.GroupSize;
        if (segmentNonNegative.Length != s || sumRadius.Length != s || squareRadius.Length != s || sums.Length != s || squares.Length != s)
        {
            throw new ArgumentException($"Every per-segment array needs {s} entries.", nameof(segmentPositions));
        }

        int bits = CodeLayout.BitsFor(partitions);
        if (codes.Length < (long)g * CodeLayout.StrideBytes(inputs, bits) || partMin.Length < (long)g * partitions
            || partMax.Length < (long)g * partitions || maiIds.Length != g || maiValues.Length != g)
        {
            throw new ArgumentException($"The index rows of {g} neurons, {inputs} inputs and {partitions} partitions do not fit the arrays.", nameof(codes));
        }

        var starts = new int[s + 1];
        var segments = new SummarySegment[s];
        for (int q = 0; q < s; q++)
        {
            int[] list = segmentPositions[q];
            if (list.Length == 0 || sums[q].Length < inputs || squares[q].Length < inputs || list.Any(p => (uint)p >= (uint)g))
            {
                throw new ArgumentException($"Segment {q} needs neurons of the group and {inputs} sums and squares.", nameof(segmentPositions));
            }

            starts[q + 1] = starts[q] + list.Length;
            double weight = cost.Weights.IsEmpty ? 1 : cost.Weights[list[0]];
            float[] segmentTarget = cost.IsDistance ? list.Select(p => cost.Target[p]).ToArray() : [];
            segments[q] = cost.IsDistance
                ? SummarySegment.ForTarget(list.Length, weight, segmentNonNegative[q], sumRadius[q], squareRadius[q], segmentTarget)
                : SummarySegment.ForAggregate(list.Length, sumRadius[q], squareRadius[q]);
        }

        int[] positions = [.. segmentPositions.SelectMany(list => list)];
        float[] target = cost.IsDistance ? positions.Select(p => cost.Target[p]).ToArray() : [];
        var maiById = new int[g][];
        var maiValueById = new float[g][];
        if (cost.Kind == ScoreKind.L2)
        {
            foreach (int p in positions)
            {
                // The index keeps MAI entries by value; lookups by id need them by id.
                int[] ids = [.. maiIds[p]];
                float[] values = [.. maiValues[p]];
                Array.Sort(ids, values);
                maiById[p] = ids;
                maiValueById[p] = values;
            }
        }

        return new SummaryProblem(
            cost, inputs, segments, sums, squares, sameSign, residualMagnitude, starts, positions, target, partitions, codes, partMin, partMax, maiById, maiValueById);
    }
}
