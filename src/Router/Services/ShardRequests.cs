using DeepEverest.Contracts.V1;
using DeepEverest.Core;
using DeepEverest.Router.Shards;
using Grpc.Core;

namespace DeepEverest.Router.Services;

/// <summary>
/// Turns one client request into the shards' requests, so that every shard answers the same
/// question over its own inputs (docs/scale-out.md, "The router"):
/// <list type="bullet">
/// <item>a <c>top_of_target</c> group is resolved once, from the target's activations on the shard
/// that holds a dataset target (or on the first shard for a raw target), and sent to every shard as
/// explicit flat neurons in the same order (weights keep their meaning);</item>
/// <item>a dataset target goes as its id to the shard that holds it (which applies include_target)
/// and as its stored tensor (GetInput from that shard: the same activations bit for bit) to the
/// others, which do not hold the input and so have nothing to exclude;</item>
/// <item>a filter's ids, id range and labels leave out the shards they keep nothing of; its
/// documents (text datasets) go to every shard unchanged, each keeping the items of its own;</item>
/// <item>a <c>text</c> target goes unchanged to every shard, which tokenizes it as its dataset
/// does; a dataset target of a text dataset is sent only when the shard holding it is the only
/// one the query touches (FAILED_PRECONDITION otherwise: a token item has no stored tensor).</item>
/// </list>
/// A request the router cannot route (a target id outside the source, a missing target, a filter
/// out of range) goes unchanged to every shard: each refuses it as a single store would.
/// </summary>
internal static class ShardRequests
{
    /// <summary>The shards' TopKSimilar requests.</summary>
    public static async Task<ShardCall[]> SimilarAsync(TopKSimilarRequest request, DatasetShards dataset, CallOptions call)
    {
        request = request.Clone();
        request.Layer ??= new LayerRef();
        request.Layer.Dataset = dataset.Name;
        request.Options = ForShards(request.Options);
        if (request.Target?.SourceCase == Target.SourceOneofCase.InputId)
        {
            if (dataset.Owner(request.Target.InputId) is not { } owner)
            {
                return Unchanged(dataset, request, null);
            }

            request.Group = await GroupAsync(request.Layer, request.Target, request.Group, owner, call);
            if (!dataset.Slices.Any(slice => slice != owner && Touches(dataset, request.Filter, slice)))
            {
                // Only the owner answers: the target needs no copy (nor, over text, a window's text).
                return Route(dataset, request.Filter, _ => (request, null));
            }

            if (owner.Info.Text is not null)
            {
                // A token item has no stored tensor, and its window's text alone may tokenize
                // otherwise (a window cut inside a word): no exact copy can go to the other shards.
                throw DeepEverestException.Precondition(
                    $"Dataset '{dataset.Name}' is text and spread over several shards: an item target (target.input_id {request.Target.InputId}) cannot be sent to the shards that do not hold it. Give the target as target.text (a text and a token position), or filter the query to the shard that holds it.");
            }

            GetInputResponse input = await CallAsync(owner, "reading the target input", () =>
                owner.Shard.Query.GetInputAsync(new GetInputRequest { Dataset = dataset.Name, InputId = request.Target.InputId }, call).ResponseAsync);
            TopKSimilarRequest others = request.Clone();
            others.Target = new Target { StoredTensor = input.Tensor };
            others.IncludeTarget = false;
            return Route(dataset, request.Filter, slice => slice == owner ? (request, null) : (others, null));
        }

        if (request.Target is not null && request.Target.SourceCase != Target.SourceOneofCase.None)
        {
            request.Group = await GroupAsync(request.Layer, request.Target, request.Group, dataset.Slices[0], call);
        }

        return Route(dataset, request.Filter, _ => (request, null));
    }

    /// <summary>The shards' TopKHighest requests.</summary>
    public static async Task<ShardCall[]> HighestAsync(TopKHighestRequest request, DatasetShards dataset, CallOptions call)
    {
        request = request.Clone();
        request.Layer ??= new LayerRef();
        request.Layer.Dataset = dataset.Name;
        request.Options = ForShards(request.Options);
        if (request.Target?.SourceCase == Target.SourceOneofCase.InputId)
        {
            if (dataset.Owner(request.Target.InputId) is not { } owner)
            {
                return Unchanged(dataset, null, request);
            }

            // Once the group is resolved the target has no other use: only its shard checks it.
            request.Group = await GroupAsync(request.Layer, request.Target, request.Group, owner, call);
            TopKHighestRequest others = request.Clone();
            others.Target = null;
            return Route(dataset, request.Filter, slice => (null, slice == owner ? request : others));
        }

        if (request.Target is not null && request.Target.SourceCase != Target.SourceOneofCase.None)
        {
            request.Group = await GroupAsync(request.Layer, request.Target, request.Group, dataset.Slices[0], call);
        }

        return Route(dataset, request.Filter, _ => (null, request));
    }

    /// <summary>Calls a shard for the router's own needs, naming it when it fails.</summary>
    public static async Task<T> CallAsync<T>(ShardSlice slice, string doing, Func<Task<T>> call)
    {
        try
        {
            return await call();
        }
        catch (RpcException e) when (e.StatusCode != StatusCode.Cancelled)
        {
            throw ShardFailure.Of(slice.Shard, e, doing);
        }
    }

    /// <summary>Shards stream every update: the request's coalescing applies to the merged stream only.</summary>
    private static QueryOptions ForShards(QueryOptions? options)
    {
        QueryOptions copy = options?.Clone() ?? new QueryOptions();
        copy.MinUpdateIntervalMs = 0;
        return copy;
    }

    /// <summary>A top_of_target group as the explicit neurons it selects for the target; any other group as is.</summary>
    private static async Task<NeuronGroup?> GroupAsync(LayerRef layer, Target target, NeuronGroup? group, ShardSlice from, CallOptions call)
    {
        if (group?.SelectionCase != NeuronGroup.SelectionOneofCase.TopOfTarget)
        {
            return group;
        }

        int m = group.TopOfTarget;
        GetActivationsResponse activations = await CallAsync(from, "computing the target's activations", () =>
            from.Shard.Query.GetActivationsAsync(new GetActivationsRequest { Layer = layer, Target = target, TopM = Math.Max(m, 1) }, call).ResponseAsync);
        if (m < 1 || m > activations.Values.Count)
        {
            // The planner's rule and message (NeuronGroups), as a single store would refuse it.
            throw DeepEverestException.Invalid($"group.top_of_target must be in 1..{activations.Values.Count}, the layer's neuron count (got {m}).");
        }

        var list = new NeuronList();
        list.Neurons.AddRange(activations.TopNeurons.Select(j => new Neuron { Flat = j }));
        return new NeuronGroup { Neurons = list };
    }

    private static ShardCall[] Unchanged(DatasetShards dataset, TopKSimilarRequest? similar, TopKHighestRequest? highest) =>
        [.. dataset.Slices.Select(slice => new ShardCall(slice, similar, highest))];

    /// <summary>Each shard's request, or none for the shards the filter keeps nothing of.</summary>
    private static ShardCall[] Route(DatasetShards dataset, Filter? filter, Func<ShardSlice, (TopKSimilarRequest?, TopKHighestRequest?)> request)
    {
        CheckLabels(dataset, filter);
        return [.. dataset.Slices.Select(slice => Touches(dataset, filter, slice)
            ? new ShardCall(slice, request(slice).Item1, request(slice).Item2)
            : new ShardCall(slice, null, null))];
    }

    /// <summary>
    /// Whether the filter may keep inputs of <paramref name="slice"/>. A filter with ids or a range
    /// outside the source touches every shard, so that each refuses it as a single store does.
    /// </summary>
    private static bool Touches(DatasetShards dataset, Filter? filter, ShardSlice slice)
    {
        if (filter is null)
        {
            return true;
        }

        if (filter.Ids.Any(id => id < 0 || id >= dataset.Total))
        {
            return true;
        }

        if (filter.Ids.Count > 0 && !filter.Ids.Any(slice.Holds))
        {
            return false;
        }

        if (filter.IdRange is { } range)
        {
            long end = range.OpenEnd ? (range.End == 0 ? dataset.Total : -1) : range.End;
            bool valid = range.Start >= 0 && end <= dataset.Total && range.Start < end;
            if (valid && !slice.Overlaps(range.Start, end))
            {
                return false;
            }
        }

        return filter.Labels.Count == 0 || !slice.Info.HasLabels || filter.Labels.Any(slice.Info.Labels.Contains);
    }

    /// <summary>
    /// A label that occurs on no shard is refused as a whole dataset refuses it (a shard alone keeps
    /// nothing for a label it lacks, as it cannot know whether another shard has it).
    /// </summary>
    private static void CheckLabels(DatasetShards dataset, Filter? filter)
    {
        if (filter is null || filter.Labels.Count == 0)
        {
            return;
        }

        if (!dataset.Slices.Any(s => s.Info.HasLabels))
        {
            throw DeepEverestException.Invalid($"filter.labels: dataset '{dataset.Name}' has no labels to filter on.");
        }

        var known = dataset.Slices.SelectMany(s => s.Info.Labels).ToHashSet();
        foreach (int label in filter.Labels)
        {
            if (!known.Contains(label))
            {
                throw DeepEverestException.Invalid($"filter.labels: label {label} does not occur in dataset '{dataset.Name}' (labels: {string.Join(", ", known.Order())}).");
            }
        }
    }
}
