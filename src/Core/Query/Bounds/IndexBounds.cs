using DeepEverest.Core.Query.Planning;
using DeepEverest.Core.Storage;
using DeepEverest.Kernels;

namespace DeepEverest.Core.Query.Bounds;

/// <summary>
/// Per-input bounds of a query's cost from its layer's index, in two precisions: <see cref="Coarse"/>
/// for every input (the fast filter) and <see cref="Tight"/> for the few it leaves. Both contain the
/// exact cost the kernels compute (<c>lower &lt;= exact &lt;= upper</c>, bit for bit), and coarse
/// bounds contain tight ones. Sources: the per-neuron partitions and MAI (<see cref="BoundsProblem"/>,
/// docs/kernels.md) and, for groups that cover whole summary segments of channels, the channel
/// summaries (<see cref="SummaryBounds"/>, docs/large-groups.md); where both apply, each bound is the
/// tighter of the two.
/// </summary>
internal sealed class IndexBounds
{
    private readonly QueryContext _ctx;
    private readonly BoundsProblem _problem;
    private readonly SummaryBounds? _summaries;

    private IndexBounds(QueryContext ctx, BoundsProblem problem, SummaryBounds? summaries)
    {
        _ctx = ctx;
        _problem = problem;
        _summaries = summaries;
    }

    /// <summary>Inputs of the index (ids 0..n-1).</summary>
    public int Inputs => _problem.Inputs;

    /// <summary>Whether <see cref="RefineLower"/> can raise lower bounds beyond the tight ones.</summary>
    public bool CanRefine => _summaries?.CanRefine ?? false;

    /// <summary>
    /// Raises the lower bounds of the given inputs with the costliest bounds (the summary segments'
    /// dual bounds, l2 only): worth it only for inputs about to be verified.
    /// </summary>
    public void RefineLower(ReadOnlySpan<int> inputs, Span<double> lower)
    {
        long started = QueryProfile.Start();
        _summaries?.RefineLower(inputs, lower);
        _ctx.Profile.BoundsMs += QueryProfile.Elapsed(started);
    }

    /// <summary>Whether channel summaries tighten these bounds.</summary>
    public bool UsesSummaries => _summaries is not null;

    /// <summary>Reads the group's index rows (and summaries) and prepares the bounds.</summary>
    public static IndexBounds Read(QueryContext ctx)
    {
        var index = ctx.Index ?? throw new InvalidOperationException("The bounds strategy needs an index.");
        int n = (int)index.Inputs;
        long started = QueryProfile.Start();
        GroupIndexData data = ctx.Store.ReadGroup(index, ctx.Group);
        ctx.Profile.IndexReadMs += QueryProfile.Elapsed(started);
        started = QueryProfile.Start();
        BoundsProblem problem = BoundsProblem.Create(ctx.Cost, n, (int)index.Partitions, data.Codes, data.PartMin, data.PartMax, data.MaiIds, data.MaiValues);
        ctx.Profile.BoundsMs += QueryProfile.Elapsed(started);
        return new IndexBounds(ctx, problem, SummaryBounds.TryRead(ctx, data));
    }

    /// <summary>Coarse bounds of every input (n values each).</summary>
    public void Coarse(Span<double> lower, Span<double> upper)
    {
        long started = QueryProfile.Start();
        _ctx.Kernels.GroupBounds(_problem, lower, upper);
        _summaries?.Coarse(lower, upper);
        _ctx.Profile.BoundsMs += QueryProfile.Elapsed(started);
    }

    /// <summary>
    /// Tight bounds of the given inputs. Inputs whose lower bound exceeds <paramref name="limit"/>
    /// (they are pruned anyway) may be left with a weaker lower bound: the costliest refinement
    /// (the segments' dual bounds) is only spent on the others.
    /// </summary>
    public void Tight(ReadOnlySpan<int> inputs, Span<double> lower, Span<double> upper, double limit = double.PositiveInfinity)
    {
        long started = QueryProfile.Start();
        _ctx.Kernels.RefineBounds(_problem, inputs, lower, upper);
        _summaries?.Tight(inputs, lower, upper, limit);
        _ctx.Profile.BoundsMs += QueryProfile.Elapsed(started);
    }
}

/// <summary>Bounds of one query as the tests sample them (their <c>BoundsSampling</c>).</summary>
/// <param name="Group">The resolved group.</param>
/// <param name="Allowed">The considered inputs.</param>
/// <param name="CoarseLower">Coarse lower bound of every input of the index.</param>
/// <param name="CoarseUpper">Coarse upper bound of every input.</param>
/// <param name="TightLower">Tight lower bound of each considered input (same order as <paramref name="Allowed"/>).</param>
/// <param name="TightUpper">Tight upper bound of each considered input.</param>
/// <param name="Summaries">Whether channel summaries took part.</param>
internal sealed record IndexBoundsSample(int[] Group, int[] Allowed, double[] CoarseLower, double[] CoarseUpper, double[] TightLower, double[] TightUpper, bool Summaries);
