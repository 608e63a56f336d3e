using DeepEverest.Core.Indexing;
using DeepEverest.Core.Query.Planning;
using DeepEverest.Core.Storage;
using DeepEverest.Kernels;

namespace DeepEverest.Core.Query.Bounds;

/// <summary>
/// Cost bounds of large groups from the index's channel summaries (docs/large-groups.md has the
/// design and the proof). The group is split into the summary segments it covers whole (each with
/// one weight) and a residual R of other neurons. A segment's part of the cost is bounded from the
/// stored sum and sum of squares of its activations (and the target's, for distances): exactly for
/// sum, mean and l2 norm; by the reverse triangle inequality on norms and by the sums (Cauchy-Schwarz)
/// for distances. R is bounded per neuron, as usual. The parts are added (max for linf) in interval
/// arithmetic rounded outward, widened by the rounding error of the kernels' double sum over the
/// group, and finished like a cost; the result is intersected with the per-neuron bounds of the
/// whole group. This class splits the group and bounds R; the per-input arithmetic runs in the
/// kernels (<see cref="SummaryProblem"/>, <see cref="IKernels.SummaryBounds"/>).
/// </summary>
internal sealed partial class SummaryBounds
{
    private readonly SummaryProblem _problem;
    private readonly Residual? _residual;
    private readonly IKernels _kernels;

    private SummaryBounds(SummaryProblem problem, Residual? residual, IKernels kernels)
    {
        _problem = problem;
        _residual = residual;
        _kernels = kernels;
    }

    /// <summary>Segments the group covers whole.</summary>
    public int SegmentCount => _problem.SegmentCount;

    /// <summary>
    /// The summary bounds of the query, or null when they do not apply: the index has no
    /// summaries, or the group covers no segment whole (with one weight).
    /// </summary>
    public static SummaryBounds? TryRead(QueryContext ctx, GroupIndexData data)
    {
        if (ctx.Index is null || SummaryLayout.FromRecord(ctx.Index) is not { } layout)
        {
            return null;
        }

        CostFunction cost = ctx.Cost;
        int[] group = ctx.Group;
        int g = group.Length;
        if (g < 2)
        {
            return null;
        }

        // Which segments the group covers: count its neurons per segment.
        var counts = new Dictionary<int, int>();
        long layerNeurons = (long)layout.Channels * layout.ChannelSize;
        foreach (int j in group)
        {
            if (j >= layerNeurons)
            {
                return null;
            }

            int segment = SegmentOf(layout, j);
            counts[segment] = counts.GetValueOrDefault(segment) + 1;
        }

        var covered = new HashSet<int>();
        foreach ((int segment, int count) in counts)
        {
            if (count == layout.Range(segment).Count)
            {
                covered.Add(segment);
            }
        }

        if (covered.Count == 0)
        {
            return null;
        }

        // Group positions of each covered segment's neurons; drop segments with unequal weights.
        var positions = new Dictionary<int, List<int>>();
        for (int p = 0; p < g; p++)
        {
            int segment = SegmentOf(layout, group[p]);
            if (covered.Contains(segment))
            {
                if (!positions.TryGetValue(segment, out var list))
                {
                    positions[segment] = list = [];
                }

                list.Add(p);
            }
        }

        if (!cost.Weights.IsEmpty)
        {
            foreach ((int segment, List<int> list) in positions)
            {
                float w = cost.Weights[list[0]];
                if (list.Any(p => cost.Weights[p] != w))
                {
                    covered.Remove(segment);
                }
            }
        }

        int[] segmentIds = [.. covered.Order()];
        if (segmentIds.Length == 0)
        {
            return null;
        }

        int n = (int)ctx.Index.Inputs;
        int partitions = (int)ctx.Index.Partitions;
        (float[] min, float[] max) = NeuronRanges(data, g, partitions);
        long started = QueryProfile.Start();
        SummaryRows rows = ctx.Store.ReadSummaries(ctx.Index, segmentIds);
        ctx.Profile.IndexReadMs += QueryProfile.Elapsed(started);

        // Segments whose stored values are not all finite (overflowing sums) stay in the residual.
        var usable = new List<int>();
        for (int s = 0; s < segmentIds.Length; s++)
        {
            if (double.IsFinite(rows.SumRadius[s]) && double.IsFinite(rows.SquareRadius[s])
                && ActivationChecks.FirstNonFinite(rows.Sums[s]) < 0 && ActivationChecks.FirstNonFinite(rows.Squares[s]) < 0)
            {
                usable.Add(s);
            }
        }

        if (usable.Count == 0)
        {
            return null;
        }

        var inSegment = new bool[g];
        bool sameSign = cost.IsDistance || cost.Kind == ScoreKind.L2Norm;
        bool allNonNegative = true;
        bool allNonPositive = true;
        for (int j = 0; j < g; j++)
        {
            allNonNegative &= min[j] >= 0;
            allNonPositive &= max[j] <= 0;
        }

        sameSign |= allNonNegative || allNonPositive;
        int[][] segmentPositions = usable.Select(s => positions[segmentIds[s]].ToArray()).ToArray();
        var segmentNonNegative = new bool[usable.Count];
        for (int u = 0; u < usable.Count; u++)
        {
            bool nonNegative = true;
            foreach (int p in segmentPositions[u])
            {
                inSegment[p] = true;
                nonNegative &= min[p] >= 0;
            }

            segmentNonNegative[u] = nonNegative;
        }

        // The residual: every other neuron, bounded per neuron by a sub-problem of the index rows.
        var rest = new List<int>();
        for (int p = 0; p < g; p++)
        {
            if (!inSegment[p])
            {
                rest.Add(p);
            }
        }

        Residual? residual = rest.Count == 0 ? null : Residual.Create(cost, data, rest, n, partitions, ctx.Kernels);
        double residualMagnitude = 0;
        foreach (int p in rest)
        {
            residualMagnitude = Up(residualMagnitude + Math.Max(Math.Abs((double)min[p]), Math.Abs((double)max[p])));
        }

        var problem = SummaryProblem.Create(
            cost,
            n,
            segmentPositions,
            segmentNonNegative,
            [.. usable.Select(s => rows.SumRadius[s])],
            [.. usable.Select(s => rows.SquareRadius[s])],
            [.. usable.Select(s => rows.Sums[s])],
            [.. usable.Select(s => rows.Squares[s])],
            sameSign,
            residualMagnitude,
            partitions,
            data.Codes,
            data.PartMin,
            data.PartMax,
            data.MaiIds,
            data.MaiValues);
        return new SummaryBounds(problem, residual, ctx.Kernels);
    }

    /// <summary>Intersects the coarse bounds of every input with the summary bounds.</summary>
    public void Coarse(Span<double> lower, Span<double> upper)
    {
        int n = _problem.Inputs;
        double[] residualLower = [];
        double[] residualUpper = [];
        if (_residual is not null)
        {
            residualLower = new double[n];
            residualUpper = new double[n];
            _residual.Coarse(residualLower, residualUpper);
        }

        int[] all = new int[n];
        for (int i = 0; i < n; i++)
        {
            all[i] = i;
        }

        _kernels.SummaryBounds(_problem, all, residualLower, residualUpper, lower, upper);
    }

    /// <summary>
    /// Intersects the tight bounds of the given inputs with the summary bounds. For l2, inputs
    /// whose lower bound is still at most <paramref name="limit"/> also get the segments' dual
    /// bounds (<see cref="IKernels.SummaryDualLower"/>: their partitions and summaries together),
    /// which cost O(segment size) each.
    /// </summary>
    public void Tight(ReadOnlySpan<int> inputs, Span<double> lower, Span<double> upper, double limit)
    {
        double[] residualLower = [];
        double[] residualUpper = [];
        if (_residual is not null)
        {
            residualLower = new double[inputs.Length];
            residualUpper = new double[inputs.Length];
            _residual.Tight(inputs, residualLower, residualUpper);
        }

        _kernels.SummaryBounds(_problem, inputs, residualLower, residualUpper, lower, upper);
        if (!CanRefine)
        {
            return;
        }

        var refine = new List<int>();
        for (int r = 0; r < inputs.Length; r++)
        {
            if (lower[r] <= limit && lower[r] < upper[r])
            {
                refine.Add(r);
            }
        }

        var chosen = new int[refine.Count];
        var chosenLower = new double[refine.Count];
        for (int q = 0; q < chosen.Length; q++)
        {
            chosen[q] = inputs[refine[q]];
            chosenLower[q] = lower[refine[q]];
        }

        RefineLower(chosen, chosenLower);
        for (int q = 0; q < refine.Count; q++)
        {
            lower[refine[q]] = chosenLower[q];
        }
    }

    /// <summary>Whether <see cref="RefineLower"/> can raise lower bounds (l2 costs).</summary>
    public bool CanRefine => _problem.CanRefine;

    /// <summary>
    /// Raises the lower bounds of the given inputs with the segments' dual bounds
    /// (<see cref="IKernels.SummaryDualLower"/>: partitions and summaries together); O(segment
    /// sizes) per input.
    /// </summary>
    public void RefineLower(ReadOnlySpan<int> inputs, Span<double> lower)
    {
        if (!CanRefine || inputs.IsEmpty)
        {
            return;
        }

        double[] residualLower = [];
        double[] residualUpper = [];
        if (_residual is not null)
        {
            residualLower = new double[inputs.Length];
            residualUpper = new double[inputs.Length];
            _residual.Tight(inputs, residualLower, residualUpper);
        }

        _kernels.SummaryDualLower(_problem, inputs, residualLower, residualUpper, lower);
    }
}
