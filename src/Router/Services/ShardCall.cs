using DeepEverest.Contracts.V1;
using DeepEverest.Router.Shards;
using Grpc.Core;

namespace DeepEverest.Router.Services;

/// <summary>
/// One shard's part of a routed query: the request it gets (its own target and the resolved group),
/// or none when the filter keeps none of its inputs (it counts as done without being called).
/// </summary>
/// <param name="Slice">The shard and its range.</param>
/// <param name="Similar">Its TopKSimilar request, when the query is one.</param>
/// <param name="Highest">Its TopKHighest request, when the query is one.</param>
internal sealed record ShardCall(ShardSlice Slice, TopKSimilarRequest? Similar, TopKHighestRequest? Highest)
{
    /// <summary>Whether the shard is left out of the query.</summary>
    public bool LeftOut => Similar is null && Highest is null;

    /// <summary>Starts the shard's stream.</summary>
    public AsyncServerStreamingCall<TopKUpdate> Start(CallOptions options) =>
        Similar is not null ? Slice.Shard.Query.TopKSimilar(Similar, options) : Slice.Shard.Query.TopKHighest(Highest!, options);
}
