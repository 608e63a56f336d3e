using DeepEverest.Contracts.V1;
using DeepEverest.Services.Tests.Infrastructure;
using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Net.Client;
using QueryClient = DeepEverest.Contracts.V1.QueryService.QueryServiceClient;

namespace DeepEverest.Services.Tests.Router;

/// <summary>
/// The router over three input-range shards against a single store of the same inputs: identical
/// answers (ids, order, scores bit for bit) on a seeded random request set, every merged stream
/// within the stream contract, faults named, and shard ranges that do not tile refused.
/// </summary>
[Collection(RouterCollection.Name)]
public sealed class RouterTests(RouterFixture fixture)
{
    [Fact]
    public async Task Queries_SeededRandomRequests_IdenticalToSingleNodeAndWithinTheContract()
    {
        var inputs = new Dictionary<long, Tensor>();
        Tensor Stored(long id) => inputs.TryGetValue(id, out Tensor? t) ? t
            : inputs[id] = fixture.WholeClient.GetInput(new GetInputRequest { Dataset = RouterFixture.Dataset, InputId = id }).Tensor;
        foreach (RouterRequests.Request request in RouterRequests.Generate(seed: 20, count: 40, Stored).ToList())
        {
            List<TopKUpdate> whole = await RunAsync(fixture.WholeClient, request);
            List<TopKUpdate> routed = await RunAsync(fixture.RouterClient, request);

            TopKUpdate expected = whole[^1];
            TopKUpdate last = routed[^1];
            Assert.True(last.Done, $"{request}: not done");
            Assert.Equal(Answer(expected), Answer(last));
            Assert.Equal(expected.Stats.InputsTotal, last.Stats.InputsTotal);
            Assert.Equal(expected.Stats.GroupSize, last.Stats.GroupSize);
            Assert.Equal(whole[0].Group, routed[0].Group);
            Assert.Equal((3, 3), (last.Stats.ShardsTotal, last.Stats.ShardsDone));
            Assert.Null(ContractViolation(routed, expected, request.Similar is not null));
        }
    }

    [Fact]
    public async Task Query_FilterOnOneShard_OthersLeftOutAndCountedDone()
    {
        var request = new TopKHighestRequest
        {
            Layer = RouterFixture.LayerRef(),
            K = 7,
            Group = new NeuronGroup { Neurons = new NeuronList { Neurons = { new Neuron { Flat = 5 }, new Neuron { Flat = 900 } } } },
            Filter = new Filter { IdRange = new Contracts.V1.Range { Start = 310, End = 700 } },
        };

        List<TopKUpdate> routed = await RunAsync(fixture.RouterClient, new RouterRequests.Request(null, request));

        Assert.Equal(3, routed[0].Stats.ShardsTotal);
        Assert.True(routed[0].Stats.ShardsDone >= 2);
        Assert.Equal(390, routed[^1].Stats.InputsTotal);
        Assert.All(routed[^1].Hits, h => Assert.InRange(h.InputId, 310, 699));
    }

    [Fact]
    public async Task GetInputAndActivations_AnyId_FromTheShardThatHoldsIt()
    {
        foreach (long id in new long[] { 0, 299, 300, 1199 })
        {
            var input = new GetInputRequest { Dataset = RouterFixture.Dataset, InputId = id };
            var activations = new GetActivationsRequest { Layer = RouterFixture.LayerRef(), Target = new Target { InputId = id }, TopM = 4 };

            Assert.Equal(await fixture.WholeClient.GetInputAsync(input), await fixture.RouterClient.GetInputAsync(input));
            Assert.Equal(await fixture.WholeClient.GetActivationsAsync(activations), await fixture.RouterClient.GetActivationsAsync(activations));
        }
    }

    [Fact]
    public async Task Health_RunningRouter_ServingForTheServerAndQueryService()
    {
        // A gRPC probe (Kubernetes grpc:, grpc_health_probe) asks for "" or the service's name;
        // without a registered check both stayed UNKNOWN.
        using GrpcChannel channel = fixture.Router.CreateChannel();
        var health = new Health.HealthClient(channel);

        foreach (string service in new[] { "", "deepeverest.v1.QueryService" })
        {
            HealthCheckResponse response = await health.CheckAsync(new HealthCheckRequest { Service = service }).ResponseAsync.DefaultTimeout();
            Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, response.Status);
        }
    }

    [Fact]
    public async Task Query_KilledShard_UnavailableNamingItThenWorksAfterRestart()
    {
        var request = new RouterRequests.Request(new TopKSimilarRequest
        {
            Layer = RouterFixture.LayerRef(),
            Target = new Target { InputId = 42 },
            Group = new NeuronGroup { TopOfTarget = 3 },
            K = 10,
        }, null);
        ShardNode killed = fixture.Shards[2];

        await killed.StopQueryAsync();
        RpcException failure;
        try
        {
            failure = await Assert.ThrowsAsync<RpcException>(() => RunAsync(fixture.RouterClient, request));
        }
        finally
        {
            killed.StartQuery();
        }

        List<TopKUpdate> after = await RunAsync(fixture.RouterClient, request);

        Assert.Equal(StatusCode.Unavailable, failure.StatusCode);
        Assert.Contains(killed.QueryUrl, failure.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(Answer((await RunAsync(fixture.WholeClient, request))[^1]), Answer(after[^1]));
    }

    [Fact]
    public async Task Start_OverlappingRanges_RefusedNamingShardsAndRanges()
    {
        (string, string)[] shards = [fixture.Addresses[0], fixture.Addresses[1], fixture.Addresses[1], fixture.Addresses[2]];

        string message = await StartFailureAsync(shards);

        Assert.Contains("overlap", message, StringComparison.Ordinal);
        Assert.Contains($"shard 1 ({fixture.Shards[1].QueryUrl}) [300, 750)", message, StringComparison.Ordinal);
        Assert.Contains($"shard 2 ({fixture.Shards[1].QueryUrl}) [300, 750)", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_MissingRange_RefusedNamingTheIds()
    {
        string message = await StartFailureAsync([fixture.Addresses[0], fixture.Addresses[2]]);

        Assert.Contains("ids [300, 750) are on no shard", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_LastRangeMissing_RefusedNamingTheIds()
    {
        string message = await StartFailureAsync([fixture.Addresses[0], fixture.Addresses[1]]);

        Assert.Contains("ids [750, 1200) are on no shard", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_ShardWithAnotherModelVersion_RefusedNamingIt()
    {
        await using ShardNode other = await ShardNode.StartAsync(RouterFixture.Dataset, RouterFixture.Inputs, new InputRange { Start = 750, End = 1200 }, null, otherModelVersion: true);

        string message = await StartFailureAsync([fixture.Addresses[0], fixture.Addresses[1], (other.QueryUrl, other.IndexUrl)]);

        Assert.Contains($"Model '{RouterFixture.Model}': shard 2 ({other.QueryUrl}) holds another version than shard 0", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_ShardOfAnotherSource_RefusedNamingIt()
    {
        // The same ids [750, 1200) cut from a 1,300-input source: another import than its siblings'.
        await using ShardNode other = await ShardNode.StartAsync(RouterFixture.Dataset, 1300, new InputRange { Start = 750, End = 1200 }, null);

        string message = await StartFailureAsync([fixture.Addresses[0], fixture.Addresses[1], (other.QueryUrl, other.IndexUrl)]);

        Assert.Contains($"shard 2 ({other.QueryUrl}) serves another source", message, StringComparison.Ordinal);
        Assert.Contains("total_count 1300 vs 1200", message, StringComparison.Ordinal);
    }

    /// <summary>Starts a router over <paramref name="shards"/>; returns the message it refused to start with.</summary>
    private static async Task<string> StartFailureAsync(IReadOnlyList<(string, string)> shards)
    {
        var router = new RouterFactory(shards);
        Exception e = Assert.ThrowsAny<Exception>(() => router.Server);
        try
        {
            await router.DisposeAsync();
        }
        catch (Exception)
        {
            // A host that never started has little to dispose; what it throws here is not the test's.
        }

        return e.ToString();
    }

    private static async Task<List<TopKUpdate>> RunAsync(QueryClient client, RouterRequests.Request request)
    {
        DateTime deadline = DateTime.UtcNow.Add(TaskTimeoutExtensions.Timeout);
        using AsyncServerStreamingCall<TopKUpdate> call = request.Similar is not null
            ? client.TopKSimilar(request.Similar, deadline: deadline)
            : client.TopKHighest(request.Highest!, deadline: deadline);
        var updates = new List<TopKUpdate>();
        await foreach (TopKUpdate update in call.ResponseStream.ReadAllAsync())
        {
            updates.Add(update);
        }

        return updates;
    }

    /// <summary>The answer as ids, score bits, labels and final flags: "identical" means bit for bit.</summary>
    private static (long Id, long ScoreBits, int Label, bool Final)[] Answer(TopKUpdate update) =>
        [.. update.Hits.Select(h => (h.InputId, BitConverter.DoubleToInt64Bits(h.Score), h.Label, h.Final))];

    /// <summary>
    /// The stream contract of the merged stream, with the single store's exact answer: a final hit
    /// is that answer's hit at its rank and never changes; final hits form a prefix; the threshold
    /// never gets worse; only the last update is done, and its hits are all final.
    /// </summary>
    private static string? ContractViolation(IReadOnlyList<TopKUpdate> updates, TopKUpdate exact, bool similar)
    {
        double threshold = double.NaN;
        for (int u = 0; u < updates.Count; u++)
        {
            TopKUpdate update = updates[u];
            if (update.Done != (u == updates.Count - 1))
            {
                return $"update {u}: done {update.Done}";
            }

            if (!double.IsNaN(update.Threshold))
            {
                if (!double.IsNaN(threshold) && (similar ? update.Threshold < threshold : update.Threshold > threshold))
                {
                    return $"update {u}: threshold went from {threshold:R} to {update.Threshold:R}";
                }

                threshold = update.Threshold;
            }

            bool provisional = false;
            for (int rank = 0; rank < update.Hits.Count; rank++)
            {
                Hit hit = update.Hits[rank];
                if (!hit.Final)
                {
                    provisional = true;
                    continue;
                }

                if (provisional)
                {
                    return $"update {u}, rank {rank}: a final hit after a provisional one";
                }

                if (rank >= exact.Hits.Count || exact.Hits[rank].InputId != hit.InputId || BitConverter.DoubleToInt64Bits(exact.Hits[rank].Score) != BitConverter.DoubleToInt64Bits(hit.Score))
                {
                    return $"update {u}, rank {rank}: final hit {hit.InputId} ({hit.Score:R}) is not the exact answer's";
                }
            }

            if (update.Done && provisional)
            {
                return $"update {u}: done with a provisional hit";
            }
        }

        return null;
    }
}
