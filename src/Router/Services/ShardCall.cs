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

    /// <summary>The first message of the shard's TopKShard call: its request.</summary>
    public ShardQueryMessage First => Similar is not null ? new ShardQueryMessage { Similar = Similar } : new ShardQueryMessage { Highest = Highest };

    /// <summary>
    /// Starts the shard's TopKShard call (the caller sends <see cref="First"/>, then limits):
    /// the request's updates, narrowed by the limits the router sends (docs/scale-out.md).
    /// </summary>
    public AsyncDuplexStreamingCall<ShardQueryMessage, TopKUpdate> Start(CallOptions options) => Slice.Shard.Query.TopKShard(options);
}
