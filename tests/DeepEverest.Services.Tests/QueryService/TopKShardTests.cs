using DeepEverest.Contracts.V1;
using DeepEverest.Services.Tests.Infrastructure;
using Grpc.Core;

namespace DeepEverest.Services.Tests.QueryService;

/// <summary>
/// QueryService.TopKShard, a router's call to a shard: the request first, then limits; without
/// limits it answers as TopKSimilar does, with a k-th no input can beat it stops at once and says so.
/// </summary>
[Collection(QueryServiceCollection.Name)]
public sealed class TopKShardTests(QueryServiceFixture fixture)
{
    private static TopKSimilarRequest Similar() => new()
    {
        Layer = QueryServiceFixture.Layer(QueryServiceFixture.IndexedLayer),
        Target = new Target { InputId = 7 },
        Group = new NeuronGroup { TopOfTarget = 4 },
        K = 10,
    };

    [Fact]
    public async Task TopKShard_LimitsFirst_InvalidArgument()
    {
        using AsyncDuplexStreamingCall<ShardQueryMessage, TopKUpdate> call = fixture.Client.TopKShard();
        await call.RequestStream.WriteAsync(new ShardQueryMessage { Limits = new ShardLimits { KthScore = 1 } });
        await call.RequestStream.CompleteAsync();
        RpcException e = await Assert.ThrowsAsync<RpcException>(() => ReadAsync(call)).DefaultTimeout();
        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
        Assert.Contains("first message must carry the request", e.Status.Detail);
    }

    [Fact]
    public async Task TopKShard_NoLimits_SameAnswerAsTopKSimilar()
    {
        List<TopKUpdate> plain = await ReadAsync(fixture.Client.TopKSimilar(Similar()));
        List<TopKUpdate> shard = await ShardAsync(null);
        Assert.Equal(plain[^1].Hits, shard[^1].Hits);
        Assert.All(shard, u => Assert.False(u.StoppedByLimits));
    }

    [Fact]
    public async Task TopKShard_KthNothingBeats_StopsByLimitsWithOnlyExactHits()
    {
        // Distance 0 with id -1: no input orders before it.
        List<TopKUpdate> shard = await ShardAsync(new ShardLimits { KthScore = 0, KthInputId = -1, AnswerBound = double.NaN });
        TopKUpdate last = shard[^1];
        Assert.True(last.Done);
        Assert.True(last.StoppedByLimits);
        Assert.All(last.Hits, h => Assert.False(double.IsNaN(h.Score)));
        Assert.Equal(0, last.Stats.InputsInferred);
    }

    private async Task<List<TopKUpdate>> ShardAsync(ShardLimits? limits)
    {
        using AsyncDuplexStreamingCall<ShardQueryMessage, TopKUpdate> call = fixture.Client.TopKShard();
        await call.RequestStream.WriteAsync(new ShardQueryMessage { Similar = Similar() });
        if (limits is not null)
        {
            await call.RequestStream.WriteAsync(new ShardQueryMessage { Limits = limits });
        }

        await call.RequestStream.CompleteAsync();
        return await ReadAsync(call).DefaultTimeout();
    }

    private static async Task<List<TopKUpdate>> ReadAsync(AsyncServerStreamingCall<TopKUpdate> call)
    {
        using (call)
        {
            return await ReadAllAsync(call.ResponseStream);
        }
    }

    private static async Task<List<TopKUpdate>> ReadAsync(AsyncDuplexStreamingCall<ShardQueryMessage, TopKUpdate> call) => await ReadAllAsync(call.ResponseStream);

    private static async Task<List<TopKUpdate>> ReadAllAsync(IAsyncStreamReader<TopKUpdate> stream)
    {
        var updates = new List<TopKUpdate>();
        await foreach (TopKUpdate u in stream.ReadAllAsync())
        {
            updates.Add(u);
        }

        return updates;
    }
}
