using DeepEverest.Contracts.V1;
using DeepEverest.Core;
using DeepEverest.Core.Query;
using DeepEverest.Kernels;

namespace DeepEverest.QueryService;

/// <summary>
/// Maps between the public protos and the engine's types, field by field. It checks nothing: every
/// rule (required fields, ranges, defaults) lives in the engine's <c>QueryPlanner</c>, so a missing
/// message maps to null or empty and a wire enum value this build does not know maps to a value the
/// planner refuses.
/// </summary>
internal static class QueryMapper
{
    /// <summary>Not a <see cref="ScoreKind"/>: a wire distance or aggregate this build does not know.</summary>
    private const ScoreKind UnknownScore = (ScoreKind)(-1);

    public static TopKQuery FromSimilar(TopKSimilarRequest r) => new(
        r.Layer?.Model ?? "",
        r.Layer?.Dataset ?? "",
        r.Layer?.Layer ?? "",
        QueryType.Similar,
        Target(r.Target),
        Group(r.Group),
        r.K,
        r.Distance switch
        {
            Distance.Unspecified or Distance.L2 => ScoreKind.L2,
            Distance.L1 => ScoreKind.L1,
            Distance.Linf => ScoreKind.LInf,
            _ => UnknownScore,
        },
        [.. r.Weights],
        r.IncludeTarget,
        Filter(r.Filter),
        Strategy(r.Options),
        r.Options?.BatchSize ?? 0,
        !(r.Options?.NoCache ?? false),
        r.Options?.FixedBatches ?? false);

    public static TopKQuery FromHighest(TopKHighestRequest r) => new(
        r.Layer?.Model ?? "",
        r.Layer?.Dataset ?? "",
        r.Layer?.Layer ?? "",
        QueryType.Highest,
        Target(r.Target),
        Group(r.Group),
        r.K,
        r.Aggregate switch
        {
            Aggregate.Unspecified or Aggregate.Sum => ScoreKind.Sum,
            Aggregate.Mean => ScoreKind.Mean,
            Aggregate.L2Norm => ScoreKind.L2Norm,
            _ => UnknownScore,
        },
        [],
        IncludeTarget: true,
        Filter(r.Filter),
        Strategy(r.Options),
        r.Options?.BatchSize ?? 0,
        !(r.Options?.NoCache ?? false),
        r.Options?.FixedBatches ?? false);

    /// <summary>
    /// Takes a router's limits (<see cref="ShardLimits"/>, in the request's score scale) into the
    /// engine's cost scale: a distance as is, an aggregate negated (lower cost is better).
    /// </summary>
    public static void Improve(ExternalLimits limits, ShardLimits l, QueryType type)
    {
        double sign = type == QueryType.Highest ? -1 : 1;
        limits.Improve(sign * l.KthScore, l.KthInputId, sign * l.AnswerBound);
    }

    /// <summary>
    /// The strategy a request asks for: QueryStrategy shares deepeverest.v1.Strategy's numbering,
    /// so it is a cast both ways; STRATEGY_UNSPECIFIED is the engine's default.
    /// </summary>
    public static QueryStrategy Strategy(QueryOptions? o) =>
        o is null || o.Strategy == Contracts.V1.Strategy.Unspecified ? QueryLimits.DefaultStrategy : (QueryStrategy)(int)o.Strategy;

    public static QueryTarget? Target(Target? t) => t?.SourceCase switch
    {
        null or Contracts.V1.Target.SourceOneofCase.None => null,
        Contracts.V1.Target.SourceOneofCase.InputId => new QueryTarget(t.InputId, null),
        Contracts.V1.Target.SourceOneofCase.StoredTensor => new QueryTarget(null, [.. t.StoredTensor.Values], [.. t.StoredTensor.Shape], StoredUnits: true),
        Contracts.V1.Target.SourceOneofCase.Text => new QueryTarget(null, null, Text: t.Text.Text, Token: t.Text.Token),
        _ => new QueryTarget(null, [.. t.Tensor.Values], [.. t.Tensor.Shape]),
    };

    private static GroupSpec? Group(NeuronGroup? g) => g?.SelectionCase switch
    {
        NeuronGroup.SelectionOneofCase.Neurons => new GroupSpec.Explicit(g.Neurons.Neurons
            .Select(n => n.LocationCase == Neuron.LocationOneofCase.Coordinates ? n.Coordinates.Values.ToArray() : [n.Flat])
            .ToList()),
        NeuronGroup.SelectionOneofCase.Rectangle => new GroupSpec.Rectangle(g.Rectangle.Ranges.Select((r, d) => (r.Start, End(r, $"group.rectangle.ranges[{d}]"))).ToList()),
        NeuronGroup.SelectionOneofCase.TopOfTarget => new GroupSpec.TopOfTarget(g.TopOfTarget),
        _ => null,
    };

    private static QueryFilter Filter(Filter? f) => f is null
        ? QueryFilter.None
        : new QueryFilter([.. f.Labels], [.. f.Ids], f.IdRange is null ? null : f.IdRange.Start, f.IdRange is null ? null : End(f.IdRange, "filter.id_range"))
        {
            Documents = [.. f.Documents.Select(d => new DocumentMatch(d.Key, [.. d.Values]))],
        };

    /// <summary>A range's end; null when open (the engine takes the dimension's end).</summary>
    private static long? End(Contracts.V1.Range r, string field) => !r.OpenEnd ? r.End
        : r.End == 0 ? null
        : throw DeepEverestException.Invalid($"{field}: give end = {r.End} or open_end, not both (open_end runs to the end of the dimension).");

    public static GetActivationsResponse ToProto(LayerActivations a)
    {
        var response = new GetActivationsResponse();
        response.Shape.AddRange(a.Shape);
        response.Values.AddRange(a.Values);
        response.TopNeurons.AddRange(a.TopNeurons.Select(x => (long)x));
        return response;
    }

    public static GetInputResponse ToProto(StoredInput input)
    {
        if (input.Text is not null)
        {
            return new GetInputResponse { Label = input.Label, Text = ToProto(input.Text) };
        }

        var tensor = new Tensor();
        tensor.Shape.AddRange(input.Shape);
        tensor.Values.AddRange(input.Values);
        return new GetInputResponse { Tensor = tensor, Label = input.Label };
    }

    public static TextContext ToProto(TextItemInfo t) => new()
    {
        Document = t.Document,
        DocumentName = t.DocumentName,
        Window = t.Window,
        Position = t.Position,
        Token = t.Token,
        Text = t.WindowText,
        TokenStart = t.TokenStart,
        TokenEnd = t.TokenEnd,
        TextStart = t.WindowTextStart,
        CutBefore = t.CutBefore,
        CutAfter = t.CutAfter,
    };

    public static TopKUpdate ToProto(TopKUpdateInfo u)
    {
        var update = new TopKUpdate
        {
            Threshold = u.Threshold,
            Done = u.Done,
            Message = u.Message,
            StoppedByLimits = u.StoppedByLimits,
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
                WindowsInferred = u.Stats.WindowsInferred,
                TokensInferred = u.Stats.TokensInferred,
            },
        };
        foreach (HitInfo h in u.Hits)
        {
            update.Hits.Add(new Hit { InputId = h.InputId, Score = h.Score, LowerBound = h.Lower, UpperBound = h.Upper, Final = h.Final, Label = h.Label, Text = h.Text is null ? null : ToProto(h.Text) });
        }

        if (u.Group is not null)
        {
            update.Group.AddRange(u.Group.Select(x => (long)x));
        }

        return update;
    }
}
