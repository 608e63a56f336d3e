using System.Diagnostics;
using DeepEverest.Core.Indexing;
using DeepEverest.Core.Query.Activations;
using DeepEverest.Core.Query.Strategies;
using DeepEverest.Core.Storage;
using DeepEverest.Core.Storage.Records;
using DeepEverest.Kernels;

namespace DeepEverest.Core.Query.Planning;

/// <summary>
/// The plan of a query (<see cref="QueryPlanner.Plan"/>): a validated query with everything
/// resolved — the layer, the group, the cost, the inputs it considers, the batch size and where
/// activations come from. Strategies read it and report through it (its <see cref="Source"/>
/// counts their work); nothing in it changes once planned.
/// </summary>
internal sealed class QueryContext
{
    public QueryContext(
        TopKQuery query,
        StoreReader store,
        IKernels kernels,
        LayerProbe probe,
        IndexRecord? index,
        int[] group,
        CostFunction cost,
        int[] allowed,
        int[]? labels,
        ActivationSource source,
        QueryStrategy strategy,
        string message,
        Stopwatch clock,
        float[] targetGroup,
        long? targetId,
        BatchCostModel? batchCosts = null)
    {
        TargetGroup = targetGroup;
        TargetId = targetId;
        BatchCosts = batchCosts;
        Query = query;
        Store = store;
        Kernels = kernels;
        Probe = probe;
        Index = index;
        Group = group;
        Cost = cost;
        Allowed = allowed;
        Labels = labels;
        Source = source;
        Strategy = strategy;
        Message = message;
        Clock = clock;
        K = Math.Min(query.K, allowed.Length);
    }

    /// <summary>The query as asked, with its model, dataset and batch size resolved.</summary>
    public TopKQuery Query { get; }

    /// <summary>The store.</summary>
    public StoreReader Store { get; }

    /// <summary>The kernels.</summary>
    public IKernels Kernels { get; }

    /// <summary>Model, dataset and layer.</summary>
    public LayerProbe Probe { get; }

    /// <summary>The layer's published index, or null when it has none.</summary>
    public IndexRecord? Index { get; }

    /// <summary>Flat neuron indices of the group.</summary>
    public int[] Group { get; }

    /// <summary>The cost being minimised.</summary>
    public CostFunction Cost { get; }

    /// <summary>Ids considered (after filters and the target exclusion), ascending.</summary>
    public int[] Allowed { get; }

    /// <summary>Labels by id, or null.</summary>
    public int[]? Labels { get; }

    /// <summary>Exact activations.</summary>
    public ActivationSource Source { get; }

    /// <summary>The strategy that runs.</summary>
    public QueryStrategy Strategy { get; }

    /// <summary>Note for the first update.</summary>
    public string Message { get; }

    /// <summary>Started when the query was received.</summary>
    public Stopwatch Clock { get; }

    /// <summary>Results returned: min(k, considered inputs).</summary>
    public int K { get; }

    /// <summary>Most inputs verified per batch (the request's, else the engine's default).</summary>
    public int BatchSize => Query.BatchSize;

    /// <summary>The target's activations of the group, in group order (zeros without a target).</summary>
    public float[] TargetGroup { get; }

    /// <summary>The target's dataset id, or null (raw tensor or no target).</summary>
    public long? TargetId { get; }

    /// <summary>Where this query's time goes.</summary>
    public QueryProfile Profile => Source.Profile;

    /// <summary>Measured verification costs of the layer (shared across queries), or null.</summary>
    public BatchCostModel? BatchCosts { get; }

    /// <summary>Label of an input, -1 when the dataset has none.</summary>
    public int LabelOf(int id) => Labels is null ? -1 : Labels[id];

    /// <summary>A hit whose score is exact.</summary>
    public HitInfo ExactHit(double cost, int id, bool final)
    {
        double score = Cost.ToScore(cost);
        return new HitInfo(id, score, score, score, final, LabelOf(id));
    }

    /// <summary>A hit known only by a cost interval.</summary>
    public HitInfo BoundedHit(double lowerCost, double upperCost, int id)
    {
        double a = Cost.ToScore(lowerCost);
        double b = Cost.ToScore(upperCost);
        bool exact = lowerCost == upperCost;
        return new HitInfo(id, exact ? a : double.NaN, Math.Min(a, b), Math.Max(a, b), false, LabelOf(id));
    }

    /// <summary>Threshold as reported: a cost lower bound turned into the score scale.</summary>
    public double ThresholdOf(double lowerCost) => double.IsNaN(lowerCost) ? double.NaN : Cost.ToScore(lowerCost);

    /// <summary>Counters so far.</summary>
    public QueryStatsInfo Stats(long exactFromIndex, long pruned) => new(
        Allowed.Length, Source.Inferred, pruned, Source.CacheHits, Clock.ElapsedMilliseconds, exactFromIndex, Strategy, Group.Length, Source.Windows, Source.Tokens);
}
