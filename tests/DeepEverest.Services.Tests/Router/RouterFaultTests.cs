using DeepEverest.Contracts.V1;
using DeepEverest.Services.Tests.Infrastructure;
using Grpc.Core;
using QueryClient = DeepEverest.Contracts.V1.QueryService.QueryServiceClient;

namespace DeepEverest.Services.Tests.Router;

/// <summary>
/// Faults of a routed query, each on a router of its own whose shards are reached through relays
/// (<see cref="RelayedRouter"/>): a shard killed while its stream is open, the client's
/// cancellation and deadline reaching every shard, a shard replaced by a store of another source or
/// model version while the router runs, and partial answers (QueryOptions.allow_partial).
/// </summary>
[Collection(RouterCollection.Name)]
public sealed class RouterFaultTests(RouterFixture fixture)
{
    [Fact]
    public async Task Query_ShardKilledWhileItsStreamIsOpen_UnavailableNamingItNeverDoneThenWorks()
    {
        await using var router = new RelayedRouter(fixture.Shards);
        ShardNode victim = fixture.Shards[2];
        // Shard 2 holds all but four of the ids: the others cannot make up k = 10 hits without it,
        // so the router cannot stop it early, and the query needs its done update.
        TopKSimilarRequest request = Similar(target: 800, ids: [0, 1, 300, 301, .. Enumerable.Range(750, 450).Select(i => (long)i)]);
        Task held = victim.Probe.HoldAfterFirstUpdate();
        var updates = new List<TopKUpdate>();
        RpcException failure;
        try
        {
            using AsyncServerStreamingCall<TopKUpdate> call = router.Client.TopKSimilar(request, deadline: Deadline());
            Task<RpcException> reading = Assert.ThrowsAsync<RpcException>(() => ReadAllAsync(call, updates));
            await held.DefaultTimeout();
            router.Query[2].Kill();
            failure = await reading.DefaultTimeout();
        }
        finally
        {
            victim.Probe.Release();
            router.Query[2].Restore();
        }

        List<TopKUpdate> after = await RunAsync(router.Client, request);
        List<TopKUpdate> whole = await RunAsync(fixture.WholeClient, request);

        Assert.Equal(StatusCode.Unavailable, failure.StatusCode);
        Assert.Contains($"shard 2 ({router.Query[2].Url})", failure.Status.Detail, StringComparison.Ordinal);
        Assert.DoesNotContain(updates, u => u.Done);
        Assert.True(after[^1].Done);
        Assert.Equal(Answer(whole[^1]), Answer(after[^1]));
    }

    [Fact]
    public async Task Query_ClientCancels_EveryShardCallEndsCancelled()
    {
        await using var router = new RelayedRouter(fixture.Shards);
        int[] before = [.. fixture.Shards.Select(s => s.Probe.Calls.Count)];
        Task[] held = [.. fixture.Shards.Select(s => s.Probe.HoldAfterFirstUpdate())];
        try
        {
            using var cancel = new CancellationTokenSource();
            using AsyncServerStreamingCall<TopKUpdate> call = router.Client.TopKSimilar(Similar(target: 42), deadline: Deadline(), cancellationToken: cancel.Token);
            Task<RpcException> reading = Assert.ThrowsAsync<RpcException>(() => ReadAllAsync(call, []));
            await Task.WhenAll(held).DefaultTimeout();
            await cancel.CancelAsync();
            Assert.Equal(StatusCode.Cancelled, (await reading.DefaultTimeout()).StatusCode);

            // The router's own call, and every shard's call of this query, ended by cancellation.
            CallProbe.Ended routed = Assert.Single(await router.Probe.EndedAsync(1));
            Assert.True(routed.Cancelled, $"router call ended by {routed.Error}");
            for (int s = 0; s < fixture.Shards.Length; s++)
            {
                CallProbe.Ended shard = (await fixture.Shards[s].Probe.EndedAsync(before[s] + 1))[before[s]];
                Assert.EndsWith("/TopKShard", shard.Method, StringComparison.Ordinal);
                Assert.True(shard.Cancelled, $"shard {s}'s call ended by {shard.Error}, not cancelled");
            }
        }
        finally
        {
            foreach (ShardNode shard in fixture.Shards)
            {
                shard.Probe.Release();
            }
        }
    }

    [Fact]
    public async Task Query_ClientDeadline_ReachesEveryShardAndEndsTheirCalls()
    {
        await using var router = new RelayedRouter(fixture.Shards);
        int[] before = [.. fixture.Shards.Select(s => s.Probe.Calls.Count)];
        Task[] held = [.. fixture.Shards.Select(s => s.Probe.HoldAfterFirstUpdate())];
        try
        {
            // Long enough for every shard to send its first update on a loaded machine.
            DateTime deadline = DateTime.UtcNow.AddSeconds(8);
            using AsyncServerStreamingCall<TopKUpdate> call = router.Client.TopKSimilar(Similar(target: 42), deadline: deadline);
            Task<RpcException> reading = Assert.ThrowsAsync<RpcException>(() => ReadAllAsync(call, []));
            await Task.WhenAll(held).DefaultTimeout();

            RpcException failure = await reading.DefaultTimeout();
            Assert.True(failure.StatusCode == StatusCode.DeadlineExceeded, failure.Status.ToString());
            Assert.True((await router.Probe.EndedAsync(1))[0].Cancelled);
            for (int s = 0; s < fixture.Shards.Length; s++)
            {
                CallProbe.Ended shard = (await fixture.Shards[s].Probe.EndedAsync(before[s] + 1))[before[s]];
                Assert.True(shard.Cancelled, $"shard {s}'s call ended by {shard.Error}, not cancelled");
                // The shard's call carried the client's deadline (gRPC sends it as a timeout: allow for transit).
                Assert.InRange(shard.Deadline, deadline.AddSeconds(-2), deadline.AddSeconds(1));
            }
        }
        finally
        {
            foreach (ShardNode shard in fixture.Shards)
            {
                shard.Probe.Release();
            }
        }
    }

    [Fact]
    public async Task Query_ShardReplacedByAnotherSourceWhileRunning_FailedPreconditionNamingIt()
    {
        // The same ids [750, 1200) cut from a 1,300-input source: a shard re-imported from other files.
        await using ShardNode other = await ShardNode.StartAsync(RouterFixture.Dataset, 1300, new InputRange { Start = 750, End = 1200 }, null);
        await using var router = new RelayedRouter(fixture.Shards);
        TopKSimilarRequest request = Similar(target: 42);
        Assert.True((await RunAsync(router.Client, request))[^1].Done);

        router.Query[2].Retarget(other.QueryUrl);
        router.Index[2].Retarget(other.IndexUrl);
        RpcException failure = await Assert.ThrowsAsync<RpcException>(() => RunAsync(router.Client, request));
        router.Query[2].Retarget(fixture.Shards[2].QueryUrl);
        router.Index[2].Retarget(fixture.Shards[2].IndexUrl);

        Assert.Equal(StatusCode.FailedPrecondition, failure.StatusCode);
        Assert.Contains($"shard 2 ({router.Query[2].Url}) serves another source", failure.Status.Detail, StringComparison.Ordinal);
        Assert.Contains("total_count 1300 vs 1200", failure.Status.Detail, StringComparison.Ordinal);
        Assert.True((await RunAsync(router.Client, request))[^1].Done);
    }

    [Fact]
    public async Task Query_ShardWithAnotherModelVersionWhileRunning_FailedPreconditionNamingIt()
    {
        await using ShardNode other = await ShardNode.StartAsync(RouterFixture.Dataset, RouterFixture.Inputs, new InputRange { Start = 300, End = 750 }, null, otherModelVersion: true);
        await using var router = new RelayedRouter(fixture.Shards);
        TopKSimilarRequest request = Similar(target: 42);
        Assert.True((await RunAsync(router.Client, request))[^1].Done);

        router.Query[1].Retarget(other.QueryUrl);
        router.Index[1].Retarget(other.IndexUrl);
        RpcException failure = await Assert.ThrowsAsync<RpcException>(() => RunAsync(router.Client, request));

        Assert.Equal(StatusCode.FailedPrecondition, failure.StatusCode);
        Assert.Contains($"Model '{RouterFixture.Model}': shard 1 ({router.Query[1].Url}) holds another version", failure.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Query_AllowPartialWithAShardDown_AnswerOfTheOthersNeverExactNamingTheMissing()
    {
        await using var router = new RelayedRouter(fixture.Shards);
        TopKSimilarRequest partial = Similar(target: 42);
        partial.Options = new QueryOptions { AllowPartial = true };
        TopKSimilarRequest othersOnly = Similar(target: 42);
        othersOnly.Filter = new Filter { IdRange = new Contracts.V1.Range { Start = 0, End = 750 } };

        router.Query[2].Kill();
        List<TopKUpdate> routed;
        RpcException strict;
        try
        {
            routed = await RunAsync(router.Client, partial);
            strict = await Assert.ThrowsAsync<RpcException>(() => RunAsync(router.Client, Similar(target: 42)));
        }
        finally
        {
            router.Query[2].Restore();
        }

        TopKUpdate expected = (await RunAsync(fixture.WholeClient, othersOnly))[^1];
        TopKUpdate single = (await RunAsync(fixture.WholeClient, partial))[^1];

        // The answer over the shards that work, exact in ids and scores, but never called exact.
        TopKUpdate last = routed[^1];
        Assert.Equal(expected.Hits.Select(h => (h.InputId, h.Score)), last.Hits.Select(h => (h.InputId, h.Score)));
        Assert.All(routed, u => Assert.False(u.Done));
        Assert.All(routed, u => Assert.DoesNotContain(u.Hits, h => h.Final));
        Assert.Contains($"shard 2 ({router.Query[2].Url})", Assert.Single(last.Stats.ShardsMissing), StringComparison.Ordinal);
        Assert.Equal((3, 2), (last.Stats.ShardsTotal, last.Stats.ShardsDone));
        // Without the flag the same fault fails the query; a single store ignores the flag.
        Assert.Equal(StatusCode.Unavailable, strict.StatusCode);
        Assert.True(single.Done);
        Assert.Empty(single.Stats.ShardsMissing);
    }

    [Fact]
    public async Task Query_AllowPartialWithEveryShardDown_Unavailable()
    {
        await using var router = new RelayedRouter(fixture.Shards);
        TopKHighestRequest request = new()
        {
            Layer = RouterFixture.LayerRef(),
            Group = new NeuronGroup { Neurons = new NeuronList { Neurons = { new Neuron { Flat = 7 } } } },
            K = 5,
            Options = new QueryOptions { AllowPartial = true },
        };

        foreach (TcpRelay relay in router.Query)
        {
            relay.Kill();
        }

        RpcException failure = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            using AsyncServerStreamingCall<TopKUpdate> call = router.Client.TopKHighest(request, deadline: Deadline());
            await ReadAllAsync(call, []);
        });

        Assert.Equal(StatusCode.Unavailable, failure.StatusCode);
    }

    private static TopKSimilarRequest Similar(long target, IEnumerable<long>? ids = null)
    {
        var request = new TopKSimilarRequest
        {
            Layer = RouterFixture.LayerRef(),
            Target = new Target { InputId = target },
            Group = new NeuronGroup { TopOfTarget = 3 },
            K = 10,
        };
        if (ids is not null)
        {
            request.Filter = new Filter { Ids = { ids } };
        }

        return request;
    }

    private static DateTime Deadline() => DateTime.UtcNow.Add(TaskTimeoutExtensions.Timeout);

    private static async Task ReadAllAsync(AsyncServerStreamingCall<TopKUpdate> call, List<TopKUpdate> updates)
    {
        await foreach (TopKUpdate update in call.ResponseStream.ReadAllAsync())
        {
            updates.Add(update);
        }
    }

    private static async Task<List<TopKUpdate>> RunAsync(QueryClient client, TopKSimilarRequest request)
    {
        using AsyncServerStreamingCall<TopKUpdate> call = client.TopKSimilar(request, deadline: Deadline());
        var updates = new List<TopKUpdate>();
        await ReadAllAsync(call, updates);
        return updates;
    }

    private static (long Id, long ScoreBits, bool Final)[] Answer(TopKUpdate update) =>
        [.. update.Hits.Select(h => (h.InputId, BitConverter.DoubleToInt64Bits(h.Score), h.Final))];
}
