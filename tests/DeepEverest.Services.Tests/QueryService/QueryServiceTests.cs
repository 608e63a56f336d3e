using DeepEverest.Contracts.V1;
using DeepEverest.QueryService;
using DeepEverest.Services.Tests.Infrastructure;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;

namespace DeepEverest.Services.Tests.QueryService;

/// <summary>The QueryService over gRPC: streaming contract, strategies, errors, cancellation.</summary>
[Collection(QueryServiceCollection.Name)]
public sealed class QueryServiceTests(QueryServiceFixture fixture)
{
    private static TopKSimilarRequest Similar(string layer, long target, string group = "top:3", int k = 20, Strategy strategy = Strategy.Bounds)
    {
        var request = new TopKSimilarRequest
        {
            Layer = QueryServiceFixture.Layer(layer),
            Target = new Target { InputId = target },
            Group = new NeuronGroup { TopOfTarget = int.Parse(group[4..]) },
            K = k,
            Options = new QueryOptions { Strategy = strategy },
        };
        return request;
    }

    private async Task<List<TopKUpdate>> ReadAsync(AsyncServerStreamingCall<TopKUpdate> call)
    {
        using (call)
        {
            var updates = new List<TopKUpdate>();
            await foreach (TopKUpdate u in call.ResponseStream.ReadAllAsync().WithCancellation(CancellationToken.None))
            {
                updates.Add(u);
            }

            return updates;
        }
    }

    [Fact]
    public async Task TopKSimilar_IndexedLayer_StreamsFromBoundsToExactAnswer()
    {
        List<TopKUpdate> bounds = await ReadAsync(fixture.Client.TopKSimilar(Similar(QueryServiceFixture.IndexedLayer, 7))).DefaultTimeout();
        List<TopKUpdate> brute = await ReadAsync(fixture.Client.TopKSimilar(Similar(QueryServiceFixture.IndexedLayer, 7, strategy: Strategy.ReprocessAll))).DefaultTimeout();

        Assert.Equal(0, bounds[0].Stats.InputsInferred);
        Assert.Equal(3, bounds[0].Group.Count);
        Assert.True(bounds[^1].Done);
        Assert.Equal(Strategy.Bounds, bounds[^1].Stats.Strategy);
        Assert.All(bounds[^1].Hits, h => Assert.True(h.Final));
        Assert.Equal(brute[^1].Hits.Select(h => (h.InputId, h.Score)), bounds[^1].Hits.Select(h => (h.InputId, h.Score)));
        Assert.True(bounds[^1].Stats.InputsInferred < QueryServiceFixture.Inputs, "the bounds strategy should not infer every input");
        Assert.Equal(QueryServiceFixture.Inputs - 1, brute[^1].Stats.InputsInferred);
    }

    [Fact]
    public async Task TopKHighest_Nta_EqualsBounds()
    {
        var request = new TopKHighestRequest
        {
            Layer = QueryServiceFixture.Layer(QueryServiceFixture.IndexedLayer),
            Target = new Target { InputId = 3 },
            Group = new NeuronGroup { TopOfTarget = 1 },
            K = 10,
            Aggregate = Aggregate.Sum,
        };
        List<TopKUpdate> bounds = await ReadAsync(fixture.Client.TopKHighest(request)).DefaultTimeout();
        request.Options = new QueryOptions { Strategy = Strategy.Nta };
        List<TopKUpdate> nta = await ReadAsync(fixture.Client.TopKHighest(request)).DefaultTimeout();
        Assert.Equal(bounds[^1].Hits.Select(h => h.InputId), nta[^1].Hits.Select(h => h.InputId));
        Assert.Equal(Strategy.Nta, nta[^1].Stats.Strategy);
    }

    [Fact]
    public async Task TopKSimilar_LayerWithoutIndex_AnsweredByReprocessAllWithNote()
    {
        List<TopKUpdate> updates = await ReadAsync(fixture.Client.TopKSimilar(Similar(QueryServiceFixture.UnindexedLayer, 1, k: 5))).DefaultTimeout();
        Assert.Contains("no index", updates[0].Message);
        Assert.Equal(Strategy.ReprocessAll, updates[^1].Stats.Strategy);
        Assert.Equal(5, updates[^1].Hits.Count);
    }

    [Fact]
    public async Task TopKSimilar_IndexPublishedWhileServing_UsedWithoutRestart()
    {
        await ReadAsync(fixture.Client.TopKSimilar(Similar(QueryServiceFixture.LateLayer, 2, k: 5))).DefaultTimeout();
        fixture.BuildIndex(QueryServiceFixture.LateLayer);
        List<TopKUpdate> updates = await ReadAsync(fixture.Client.TopKSimilar(Similar(QueryServiceFixture.LateLayer, 2, k: 5))).DefaultTimeout();
        Assert.Equal(Strategy.Bounds, updates[^1].Stats.Strategy);
    }

    [Fact]
    public async Task TopKSimilar_RawTargetTensor_ExcludesNothingAndMatchesBruteForce()
    {
        GetInputResponse input = await fixture.Client.GetInputAsync(new GetInputRequest { Dataset = QueryServiceFixture.Dataset, InputId = 11 });
        var tensor = new Tensor();
        tensor.Shape.AddRange(input.Tensor.Shape);
        // The dataset feeds stored * scale (scale = 1/255 as a float), so the raw tensor does the same.
        tensor.Values.AddRange(input.Tensor.Values.Select(v => v * (1f / 255)));
        TopKSimilarRequest request = Similar(QueryServiceFixture.IndexedLayer, 0);
        request.Target = new Target { Tensor = tensor };
        List<TopKUpdate> bounds = await ReadAsync(fixture.Client.TopKSimilar(request)).DefaultTimeout();
        request.Options = new QueryOptions { Strategy = Strategy.ReprocessAll };
        List<TopKUpdate> brute = await ReadAsync(fixture.Client.TopKSimilar(request)).DefaultTimeout();
        Assert.Equal(brute[^1].Hits.Select(h => (h.InputId, h.Score)), bounds[^1].Hits.Select(h => (h.InputId, h.Score)));
        // The same image as a raw tensor: input 11 itself is at distance 0.
        Assert.Equal(11, bounds[^1].Hits[0].InputId);
        Assert.Equal(0, bounds[^1].Hits[0].Score);
    }

    public static TheoryData<string> BadRequests => new()
    {
        "unknown-layer", "unknown-model", "neuron-out-of-range", "empty-group", "k-zero", "k-too-large",
        "tensor-wrong-shape", "tensor-nan", "tensor-overflows", "unknown-label", "unsupported-distance", "no-target", "target-out-of-range",
    };

    [Theory]
    [MemberData(nameof(BadRequests))]
    public async Task TopKSimilar_BadInput_ClearStatusAndServiceKeepsServing(string what)
    {
        TopKSimilarRequest request = Similar(QueryServiceFixture.IndexedLayer, 0);
        StatusCode expected = StatusCode.InvalidArgument;
        switch (what)
        {
            case "unknown-layer":
                request.Layer.Layer = "nope";
                expected = StatusCode.NotFound;
                break;
            case "unknown-model":
                request.Layer.Model = "nope";
                expected = StatusCode.NotFound;
                break;
            case "neuron-out-of-range":
                request.Group = new NeuronGroup { Neurons = new NeuronList { Neurons = { new Neuron { Flat = 1 << 20 } } } };
                break;
            case "empty-group":
                request.Group = new NeuronGroup { Neurons = new NeuronList() };
                break;
            case "k-zero":
                request.K = 0;
                break;
            case "k-too-large":
                request.K = 10_001;
                break;
            case "tensor-wrong-shape":
                request.Target = new Target { Tensor = new Tensor { Shape = { 3 }, Values = { 1, 2, 3 } } };
                break;
            case "tensor-nan":
                var t = new Tensor { Shape = { 1, 28, 28 } };
                t.Values.AddRange(Enumerable.Repeat(float.NaN, 784));
                request.Target = new Target { Tensor = t };
                break;
            case "tensor-overflows":
                // Finite pixels so large that the layer's activations overflow to infinity.
                var huge = new Tensor { Shape = { 1, 28, 28 } };
                huge.Values.AddRange(Enumerable.Repeat(3e38f, 784));
                request.Target = new Target { Tensor = huge };
                break;
            case "unknown-label":
                request.Filter = new Filter { Labels = { 42 } };
                break;
            case "unsupported-distance":
                request.Distance = (Distance)99;
                break;
            case "no-target":
                request.Target = null;
                break;
            case "target-out-of-range":
                request.Target = new Target { InputId = QueryServiceFixture.Inputs };
                break;
        }

        var e = await Assert.ThrowsAsync<RpcException>(() => ReadAsync(fixture.Client.TopKSimilar(request))).DefaultTimeout();
        Assert.Equal(expected, e.StatusCode);
        Assert.False(string.IsNullOrWhiteSpace(e.Status.Detail));
        Assert.DoesNotContain("Exception", e.Status.Detail);

        List<TopKUpdate> ok = await ReadAsync(fixture.Client.TopKSimilar(Similar(QueryServiceFixture.IndexedLayer, 0, k: 3))).DefaultTimeout();
        Assert.True(ok[^1].Done);
    }

    [Fact]
    public async Task TopKHighest_UnsupportedAggregate_InvalidArgumentNamingMonotone()
    {
        var request = new TopKHighestRequest
        {
            Layer = QueryServiceFixture.Layer(QueryServiceFixture.IndexedLayer),
            Target = new Target { InputId = 0 },
            Group = new NeuronGroup { TopOfTarget = 2 },
            K = 5,
            Aggregate = (Aggregate)17,
        };
        var e = await Assert.ThrowsAsync<RpcException>(() => ReadAsync(fixture.Client.TopKHighest(request))).DefaultTimeout();
        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
        Assert.Contains("monotone", e.Status.Detail);
    }

    [Fact]
    public async Task TopKSimilar_CancelledMidway_StopsWorker()
    {
        QueryActivity activity = fixture.Factory.Services.GetRequiredService<QueryActivity>();
        using var cts = new CancellationTokenSource();
        // ReprocessAll over an unindexed layer: long enough to cancel in the middle.
        TopKSimilarRequest request = Similar(QueryServiceFixture.UnindexedLayer, 4, k: 50, strategy: Strategy.ReprocessAll);
        request.Group = new NeuronGroup { TopOfTarget = 64 };
        using AsyncServerStreamingCall<TopKUpdate> call = fixture.Client.TopKSimilar(request, cancellationToken: cts.Token);
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None).DefaultTimeout());
        Assert.False(call.ResponseStream.Current.Done);
        cts.Cancel();
        var e = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            while (await call.ResponseStream.MoveNext(CancellationToken.None))
            {
            }
        }).DefaultTimeout();
        Assert.Equal(StatusCode.Cancelled, e.StatusCode);
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (activity.Active > 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }

        Assert.Equal(0, activity.Active);
    }

    [Fact]
    public async Task TopKSimilar_DeadlinePasses_DeadlineExceeded()
    {
        TopKSimilarRequest request = Similar(QueryServiceFixture.UnindexedLayer, 5, k: 50, strategy: Strategy.ReprocessAll);
        var e = await Assert.ThrowsAsync<RpcException>(() => ReadAsync(fixture.Client.TopKSimilar(request, deadline: DateTime.UtcNow.AddMilliseconds(1)))).DefaultTimeout();
        Assert.Equal(StatusCode.DeadlineExceeded, e.StatusCode);
    }

    [Fact]
    public async Task TopKSimilar_GroupOverMemoryBudget_ResourceExhaustedAndServiceKeepsServing()
    {
        await using var small = new QueryServiceFactory(fixture.DataRoot, new Dictionary<string, string> { ["DeepEverest:Query:MaxQueryMemoryMb"] = "1" });
        using var channel = small.CreateChannel();
        var client = new Contracts.V1.QueryService.QueryServiceClient(channel);
        TopKSimilarRequest request = Similar(QueryServiceFixture.IndexedLayer, 0);
        // Every neuron of the [128, 4, 4] layer: 2048 code rows and MAIs, over a 1 MiB budget.
        request.Group = new NeuronGroup { Rectangle = new HyperRectangle { Ranges = { new Contracts.V1.Range { Start = 0, End = 128 }, new Contracts.V1.Range { Start = 0, End = 4 }, new Contracts.V1.Range { Start = 0, End = 4 } } } };
        var e = await Assert.ThrowsAsync<RpcException>(() => ReadAsync(client.TopKSimilar(request))).DefaultTimeout();
        Assert.Equal(StatusCode.ResourceExhausted, e.StatusCode);
        Assert.Contains("MaxQueryMemoryMb", e.Status.Detail);

        List<TopKUpdate> ok = await ReadAsync(client.TopKSimilar(Similar(QueryServiceFixture.IndexedLayer, 0, k: 3))).DefaultTimeout();
        Assert.True(ok[^1].Done);
    }

    [Fact]
    public async Task TopKSimilar_RectangleGroup_EqualsExplicitList()
    {
        TopKSimilarRequest rect = Similar(QueryServiceFixture.IndexedLayer, 9);
        // Channel 5 at every position of the [128, 4, 4] layer.
        rect.Group = new NeuronGroup { Rectangle = new HyperRectangle { Ranges = { new Contracts.V1.Range { Start = 5, End = 6 }, new Contracts.V1.Range { Start = 0, End = 4 }, new Contracts.V1.Range { Start = 0, End = 4 } } } };
        TopKSimilarRequest list = Similar(QueryServiceFixture.IndexedLayer, 9);
        list.Group = new NeuronGroup { Neurons = new NeuronList() };
        list.Group.Neurons.Neurons.AddRange(Enumerable.Range(5 * 16, 16).Select(f => new Neuron { Flat = f }));
        List<TopKUpdate> a = await ReadAsync(fixture.Client.TopKSimilar(rect)).DefaultTimeout();
        List<TopKUpdate> b = await ReadAsync(fixture.Client.TopKSimilar(list)).DefaultTimeout();
        Assert.Equal(Enumerable.Range(80, 16).Select(x => (long)x), a[0].Group);
        Assert.Equal(b[^1].Hits.Select(h => (h.InputId, h.Score)), a[^1].Hits.Select(h => (h.InputId, h.Score)));
    }

    [Fact]
    public async Task TopKSimilar_NoCache_NeitherReadsNorFillsTheCache()
    {
        TopKSimilarRequest request = Similar(QueryServiceFixture.IndexedLayer, 21, group: "top:10", k: 30);
        request.Options.NoCache = true;
        List<TopKUpdate> cold1 = await ReadAsync(fixture.Client.TopKSimilar(request)).DefaultTimeout();
        List<TopKUpdate> cold2 = await ReadAsync(fixture.Client.TopKSimilar(request)).DefaultTimeout();
        Assert.Equal(0, cold2[^1].Stats.CacheHits);
        Assert.True(cold1[^1].Stats.InputsInferred > 0);
        Assert.Equal(cold1[^1].Stats.InputsInferred, cold2[^1].Stats.InputsInferred);

        request.Options.NoCache = false;
        await ReadAsync(fixture.Client.TopKSimilar(request)).DefaultTimeout();
        List<TopKUpdate> warm = await ReadAsync(fixture.Client.TopKSimilar(request)).DefaultTimeout();
        Assert.Equal(0, warm[^1].Stats.InputsInferred);
        Assert.Equal(cold1[^1].Stats.InputsInferred, warm[^1].Stats.CacheHits);
    }

    [Fact]
    public async Task TopKSimilar_MinUpdateInterval_OnlyFirstAndLastWithinIt()
    {
        TopKSimilarRequest request = Similar(QueryServiceFixture.IndexedLayer, 22, group: "top:10", k: 50);
        request.Options.NoCache = true;
        request.Options.MinUpdateIntervalMs = 0;
        List<TopKUpdate> every = await ReadAsync(fixture.Client.TopKSimilar(request)).DefaultTimeout();
        request.Options.MinUpdateIntervalMs = 600_000;
        List<TopKUpdate> throttled = await ReadAsync(fixture.Client.TopKSimilar(request)).DefaultTimeout();
        Assert.True(every.Count > 2, $"expected several updates, got {every.Count}");
        Assert.Equal(2, throttled.Count);
        Assert.True(throttled[^1].Done);
        Assert.Equal(every[^1].Hits, throttled[^1].Hits);
    }

    [Fact]
    public async Task GetActivations_DatasetInput_ShapeAndTopNeurons()
    {
        var response = await fixture.Client.GetActivationsAsync(new GetActivationsRequest
        {
            Layer = QueryServiceFixture.Layer(QueryServiceFixture.IndexedLayer),
            Target = new Target { InputId = 0 },
            TopM = 5,
        }).ResponseAsync.DefaultTimeout();
        Assert.Equal([128L, 4, 4], response.Shape);
        Assert.Equal(2048, response.Values.Count);
        Assert.Equal(5, response.TopNeurons.Count);
        Assert.Equal(response.Values.Max(), response.Values[(int)response.TopNeurons[0]]);
    }

    [Fact]
    public async Task GetInput_KnownAndUnknownIds()
    {
        var input = await fixture.Client.GetInputAsync(new GetInputRequest { Dataset = QueryServiceFixture.Dataset, InputId = 0 }).ResponseAsync.DefaultTimeout();
        Assert.Equal(784, input.Tensor.Values.Count);
        Assert.InRange(input.Label, 0, 9);
        var e = await Assert.ThrowsAsync<RpcException>(() => fixture.Client.GetInputAsync(new GetInputRequest { Dataset = QueryServiceFixture.Dataset, InputId = -1 }).ResponseAsync).DefaultTimeout();
        Assert.Equal(StatusCode.NotFound, e.StatusCode);
    }
}
