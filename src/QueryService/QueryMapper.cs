using DeepEverest.Contracts.V1;
using DeepEverest.Core;
using DeepEverest.Core.Query;
using DeepEverest.Kernels;

namespace DeepEverest.QueryService;

/// <summary>Maps between the public protos and the engine's types.</summary>
internal static class QueryMapper
{
    public static TopKQuery FromSimilar(TopKSimilarRequest r) => new(
        RequireLayer(r.Layer).Model,
        r.Layer.Dataset,
        r.Layer.Layer,
        QueryType.Similar,
        Target(r.Target) ?? throw DeepEverestException.Invalid("target is required for a similarity query: set target.input_id or target.tensor."),
        Group(r.Group),
        r.K,
        r.Distance switch
        {
            Distance.Unspecified or Distance.L2 => ScoreKind.L2,
            Distance.L1 => ScoreKind.L1,
            Distance.Linf => ScoreKind.LInf,
            _ => throw DeepEverestException.Invalid($"distance {(int)r.Distance} is not supported: use DISTANCE_L2, DISTANCE_L1 or DISTANCE_LINF."),
        },
        [.. r.Weights],
        r.IncludeTarget,
        Filter(r.Filter),
        Strategy(r.Options),
        r.Options?.BatchSize ?? 0,
        !(r.Options?.NoCache ?? false),
        r.Options?.FixedBatches ?? false);

    public static TopKQuery FromHighest(TopKHighestRequest r) => new(
        RequireLayer(r.Layer).Model,
        r.Layer.Dataset,
        r.Layer.Layer,
        QueryType.Highest,
        Target(r.Target),
        Group(r.Group),
        r.K,
        r.Aggregate switch
        {
            Aggregate.Unspecified or Aggregate.Sum => ScoreKind.Sum,
            Aggregate.Mean => ScoreKind.Mean,
            Aggregate.L2Norm => ScoreKind.L2Norm,
            _ => throw DeepEverestException.Invalid($"aggregate {(int)r.Aggregate} is not supported: use AGGREGATE_SUM, AGGREGATE_MEAN or AGGREGATE_L2_NORM (only aggregates monotone in every activation can be answered exactly from the index)."),
        },
        [],
        IncludeTarget: true,
        Filter(r.Filter),
        Strategy(r.Options),
        r.Options?.BatchSize ?? 0,
        !(r.Options?.NoCache ?? false),
        r.Options?.FixedBatches ?? false);

    /// <summary>
    /// The layer reference of a request: the layer is required; an empty model or dataset is
    /// resolved by the engine (the only registered one, see <see cref="CatalogDefaults"/>).
    /// </summary>
    public static LayerRef RequireLayer(LayerRef? layer)
    {
        if (string.IsNullOrEmpty(layer?.Layer))
        {
            throw DeepEverestException.Invalid("layer.layer is required: name a layer (IndexService.ListLayers lists them).");
        }

        return layer;
    }

    public static QueryTarget? Target(Target? t) => t?.SourceCase switch
    {
        null or Contracts.V1.Target.SourceOneofCase.None => null,
        Contracts.V1.Target.SourceOneofCase.InputId => new QueryTarget(t.InputId, null),
        Contracts.V1.Target.SourceOneofCase.StoredTensor => new QueryTarget(null, [.. t.StoredTensor.Values], [.. t.StoredTensor.Shape], StoredUnits: true),
        _ => new QueryTarget(null, [.. t.Tensor.Values], [.. t.Tensor.Shape]),
    };

    private static GroupSpec Group(NeuronGroup? g) => g?.SelectionCase switch
    {
        NeuronGroup.SelectionOneofCase.Neurons => new GroupSpec.Explicit(g.Neurons.Neurons
            .Select(n => n.LocationCase == Neuron.LocationOneofCase.Coordinates ? n.Coordinates.Values.ToArray() : [n.Flat])
            .ToList()),
        NeuronGroup.SelectionOneofCase.Rectangle => new GroupSpec.Rectangle(g.Rectangle.Ranges.Select((r, d) => (r.Start, End(r, $"group.rectangle.ranges[{d}]"))).ToList()),
        NeuronGroup.SelectionOneofCase.TopOfTarget => new GroupSpec.TopOfTarget(g.TopOfTarget),
        _ => throw DeepEverestException.Invalid("group is required: set group.neurons, group.rectangle or group.top_of_target."),
    };

    private static QueryFilter Filter(Filter? f) => f is null
        ? QueryFilter.None
        : new QueryFilter([.. f.Labels], [.. f.Ids], f.IdRange is null ? null : f.IdRange.Start, f.IdRange is null ? null : End(f.IdRange, "filter.id_range"));

    /// <summary>A range's end; null when open (the engine takes the dimension's end).</summary>
    private static long? End(Contracts.V1.Range r, string field) => !r.OpenEnd ? r.End
        : r.End == 0 ? null
        : throw DeepEverestException.Invalid($"{field}: give end = {r.End} or open_end, not both (open_end runs to the end of the dimension).");

    private static QueryStrategy Strategy(QueryOptions? o) => o?.Strategy switch
    {
        null or Contracts.V1.Strategy.Unspecified or Contracts.V1.Strategy.Bounds => QueryStrategy.Bounds,
        Contracts.V1.Strategy.Nta => QueryStrategy.Nta,
        Contracts.V1.Strategy.ReprocessAll => QueryStrategy.ReprocessAll,
        Contracts.V1.Strategy.Materialized => QueryStrategy.Materialized,
        _ => throw DeepEverestException.Invalid($"options.strategy {(int)o.Strategy} is not supported: use STRATEGY_BOUNDS, STRATEGY_NTA, STRATEGY_REPROCESS_ALL or STRATEGY_MATERIALIZED."),
    };

    public static TopKUpdate ToProto(TopKUpdateInfo u)
    {
        var update = new TopKUpdate
        {
            Threshold = u.Threshold,
            Done = u.Done,
            Message = u.Message,
            Stats = new QueryStats
            {
                InputsTotal = u.Stats.InputsTotal,
                InputsInferred = u.Stats.InputsInferred,
                InputsPruned = u.Stats.InputsPruned,
                CacheHits = u.Stats.CacheHits,
                ElapsedMs = u.Stats.ElapsedMs,
                InputsExactFromIndex = u.Stats.ExactFromIndex,
                Strategy = (Strategy)(int)u.Stats.Strategy,
                GroupSize = u.Stats.GroupSize,
            },
        };
        foreach (HitInfo h in u.Hits)
        {
            update.Hits.Add(new Hit { InputId = h.InputId, Score = h.Score, LowerBound = h.Lower, UpperBound = h.Upper, Final = h.Final, Label = h.Label });
        }

        if (u.Group is not null)
        {
            update.Group.AddRange(u.Group.Select(x => (long)x));
        }

        return update;
    }
}
