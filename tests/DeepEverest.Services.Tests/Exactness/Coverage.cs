using System.Text;
using DeepEverest.Contracts.V1;
using Xunit.Abstractions;

namespace DeepEverest.Services.Tests.Exactness;

/// <summary>
/// Which parts of the request space a run reached: every value of every field the generator draws,
/// and the combinations that matter (e.g. include_target with whole channels of a layer with
/// summaries and l1 / linf: issue 23). A default run must reach all of them.
/// </summary>
internal sealed class Coverage
{
    private readonly SortedDictionary<string, int> _seen = new(StringComparer.Ordinal);

    private int _refused;

    /// <summary>Requests refused with their expected status.</summary>
    public int Refused => _refused;

    /// <summary>Counts a request refused with its expected status.</summary>
    public void CountRefused() => Interlocked.Increment(ref _refused);

    public void Count(DifferentialCase request, RequestSpace space)
    {
        bool similar = request.Similar is not null;
        LayerRef layerRef = similar ? request.Similar!.Layer : request.Highest!.Layer;
        SpaceLayer layer = space.Layers.Single(l => l.Name == layerRef.Layer);
        Target? target = similar ? request.Similar!.Target : request.Highest!.Target;
        NeuronGroup group = similar ? request.Similar!.Group : request.Highest!.Group;
        Filter filter = similar ? request.Similar!.Filter : request.Highest!.Filter;
        QueryOptions options = similar ? request.Similar!.Options : request.Highest!.Options;
        if (request.ExpectedError is { } error)
        {
            Add($"invalid:{error}");
            return;
        }

        Add(similar ? "method:similar" : "method:highest");
        Add($"layer:{layer.Name}");
        Add(layerRef.Model.Length == 0 ? "layerref:defaults" : "layerref:named");
        Add(target is null ? "target:none" : $"target:{target.SourceCase}");
        string groupKind = GroupKind(group, layer);
        Add($"group:{groupKind}");
        Add($"strategy:{options.Strategy}");
        Add(options.BatchSize == 0 ? "batch:default" : options.BatchSize == 1 ? "batch:1" : "batch:other");
        Add($"fixed_batches:{options.FixedBatches}");
        Add($"no_cache:{options.NoCache}");
        Add(options.HasMinUpdateIntervalMs ? $"interval:{options.MinUpdateIntervalMs}" : "interval:unset");
        int filters = (filter.Labels.Count > 0 ? 1 : 0) + (filter.Ids.Count > 0 ? 1 : 0) + (filter.IdRange is not null ? 1 : 0);
        if (filter.Labels.Count > 0)
        {
            Add("filter:labels");
        }

        if (filter.Ids.Count > 0)
        {
            Add("filter:ids");
        }

        if (filter.IdRange is not null)
        {
            Add("filter:range");
        }

        Add(filters switch { 0 => "filters:none", 1 => "filters:one", _ => "filters:combined" });
        if (similar)
        {
            TopKSimilarRequest s = request.Similar!;
            Add($"distance:{s.Distance}");
            Add($"include_target:{s.IncludeTarget}");
            Add(s.Weights.Count == 0 ? "weights:none" : s.Weights.Distinct().Count() == 1 ? "weights:uniform" : s.Weights.Contains(0f) ? "weights:zeros" : "weights:mixed");
            if (s.IncludeTarget && layer.Summaries && groupKind == "whole-channels" && s.Distance is Distance.L1 or Distance.Linf && s.Weights.Distinct().Count() <= 1)
            {
                Add("combo:include-target-whole-channel-l1-linf");
            }
        }
        else
        {
            Add($"aggregate:{request.Highest!.Aggregate}");
        }
    }

    public void Answered(ExpectedAnswer expected, IReadOnlyList<TopKUpdate> updates)
    {
        Add(expected.Considered.Length == 0 ? "answer:empty" : expected.Answer.Length < expected.Considered.Length ? "answer:top-k" : "answer:every-considered-input");
        Add(updates.Count > 2 ? "stream:several-updates" : "stream:one-or-two-updates");
    }

    public void AssertCovers(ITestOutputHelper output)
    {
        string[] required =
        [
            "method:similar", "method:highest", "layerref:defaults", "layerref:named",
            "target:InputId", "target:Tensor", "target:none",
            "group:flat", "group:coordinates", "group:partial-rectangle", "group:whole-channels", "group:band", "group:channel-in-list", "group:top-of-target",
            "strategy:Unspecified", "strategy:Bounds", "strategy:Nta", "strategy:ReprocessAll", "strategy:Materialized",
            "batch:default", "batch:1", "batch:other", "fixed_batches:True", "fixed_batches:False", "no_cache:True", "no_cache:False",
            "interval:unset", "interval:0", "interval:1",
            "filter:labels", "filter:ids", "filter:range", "filters:none", "filters:combined",
            "distance:Unspecified", "distance:L2", "distance:L1", "distance:Linf",
            "aggregate:Unspecified", "aggregate:Sum", "aggregate:Mean", "aggregate:L2Norm",
            "include_target:True", "include_target:False", "weights:none", "weights:uniform", "weights:zeros",
            "combo:include-target-whole-channel-l1-linf", "answer:top-k", "answer:every-considered-input", "stream:several-updates",
            "invalid:InvalidArgument", "invalid:FailedPrecondition",
        ];
        string[] missing = required.Where(r => !_seen.ContainsKey(r)).ToArray();
        Assert.True(missing.Length == 0, $"the draw missed: {string.Join(", ", missing)}");
        Assert.True(Refused > 0);
        output.WriteLine($"every one of {required.Length} required parts of the request space reached");
    }

    public override string ToString()
    {
        var text = new StringBuilder("coverage:");
        foreach ((string key, int count) in _seen.ToArray())
        {
            text.Append(' ').Append(key).Append('=').Append(count);
        }

        return text.ToString();
    }

    private void Add(string key)
    {
        lock (_seen)
        {
            _seen[key] = _seen.GetValueOrDefault(key) + 1;
        }
    }

    private static string GroupKind(NeuronGroup group, SpaceLayer layer)
    {
        switch (group.SelectionCase)
        {
            case NeuronGroup.SelectionOneofCase.TopOfTarget:
                return "top-of-target";
            case NeuronGroup.SelectionOneofCase.Rectangle:
                {
                    var ranges = group.Rectangle.Ranges;
                    bool wholeRest = Enumerable.Range(1, layer.Shape.Length - 1).All(d => ranges[d].Start == 0 && ranges[d].End == layer.Shape[d]);
                    bool wholeColumns = Enumerable.Range(2, Math.Max(0, layer.Shape.Length - 2)).All(d => ranges[d].Start == 0 && ranges[d].End == layer.Shape[d]);
                    return layer.Shape.Length > 1 && wholeRest ? "whole-channels" : layer.Shape.Length > 2 && wholeColumns ? "band" : "partial-rectangle";
                }

            default:
                {
                    var neurons = group.Neurons.Neurons;
                    if (neurons.Count > 40)
                    {
                        return "channel-in-list";
                    }

                    return neurons[0].LocationCase == Neuron.LocationOneofCase.Flat ? "flat" : "coordinates";
                }
        }
    }
}
