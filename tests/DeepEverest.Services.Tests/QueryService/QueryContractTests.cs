using DeepEverest.Contracts.V1;
using DeepEverest.Services.Tests.Infrastructure;
using Grpc.Core;

namespace DeepEverest.Services.Tests.QueryService;

/// <summary>
/// The QueryService contract as a client in another language meets it (issue 11's list): errors
/// that speak the API, consistent validation, defaults, coalesced updates, fallback notes.
/// </summary>
[Collection(QueryServiceCollection.Name)]
public sealed class QueryContractTests(QueryServiceFixture fixture)
{
    private static TopKSimilarRequest Similar(long target, int top = 3, int k = 10) => new()
    {
        Layer = QueryServiceFixture.Layer(QueryServiceFixture.IndexedLayer),
        Target = new Target { InputId = target },
        Group = new NeuronGroup { TopOfTarget = top },
        K = k,
    };

    private static async Task<List<TopKUpdate>> ReadAsync(AsyncServerStreamingCall<TopKUpdate> call)
    {
        using (call)
        {
            var updates = new List<TopKUpdate>();
            await foreach (TopKUpdate u in call.ResponseStream.ReadAllAsync())
            {
                updates.Add(u);
            }

            return updates;
        }
    }

    private async Task<RpcException> RefusedAsync(TopKSimilarRequest request) =>
        await Assert.ThrowsAsync<RpcException>(() => ReadAsync(fixture.Client.TopKSimilar(request))).DefaultTimeout();

    private async Task<Tensor> RawImageAsync(long id)
    {
        GetInputResponse input = await fixture.Client.GetInputAsync(new GetInputRequest { Dataset = QueryServiceFixture.Dataset, InputId = id }).ResponseAsync.DefaultTimeout();
        var tensor = new Tensor();
        tensor.Shape.AddRange(input.Tensor.Shape);
        tensor.Values.AddRange(input.Tensor.Values.Select(v => v * (1f / 255)));
        return tensor;
    }

    public static TheoryData<string, string> BadRequests => new()
    {
        { "k-zero", "k must be in 1..10000" },
        { "distance", "DISTANCE_L2, DISTANCE_L1 or DISTANCE_LINF" },
        { "top-zero", "group.top_of_target must be in 1..2048" },
        { "duplicate-neuron", "group.neurons[1]" },
        { "rectangle", "group.rectangle.ranges[0]" },
        { "weights-count", "weights has 2 values for a group of 3 neurons" },
        { "weights-negative", "weights[1] = -1" },
        { "weights-zero", "weights are all zero" },
        { "filter-id", "filter.ids: id 1500 is out of range" },
        { "id-range-past-end", "filter.id_range [1400, 1600) must be non-empty and within" },
        { "label", "filter.labels: label 42" },
        { "tensor-shape", "target.tensor.shape is [28, 28, 1]" },
        { "include-target-tensor", "include_target applies to a dataset target" },
        { "strategy", "options.strategy 9" },
        { "interval", "options.min_update_interval_ms must be >= 0" },
        { "batch", "options.batch_size must be in 0..4096" },
        { "no-layer", "layer.layer is required" },
        { "materialized", "IndexService.MaterializeLayer" },
    };

    [Theory]
    [MemberData(nameof(BadRequests))]
    public async Task TopKSimilar_BadRequest_MessageNamesTheFieldInApiTerms(string what, string expected)
    {
        TopKSimilarRequest request = Similar(1);
        switch (what)
        {
            case "k-zero": request.K = 0; break;
            case "distance": request.Distance = (Distance)7; break;
            case "top-zero": request.Group.TopOfTarget = 0; break;
            case "duplicate-neuron": request.Group = new NeuronGroup { Neurons = new NeuronList { Neurons = { new Neuron { Flat = 4 }, new Neuron { Flat = 4 } } } }; break;
            case "rectangle": request.Group = new NeuronGroup { Rectangle = new HyperRectangle { Ranges = { new Contracts.V1.Range { Start = 0, End = 200 }, new Contracts.V1.Range { Start = 0, End = 4 }, new Contracts.V1.Range { Start = 0, End = 4 } } } }; break;
            case "weights-count": request.Weights.AddRange([1, 2]); break;
            case "weights-negative": request.Weights.AddRange([1, -1, 1]); break;
            case "weights-zero": request.Weights.AddRange([0, 0, 0]); break;
            case "filter-id": request.Filter = new Filter { Ids = { 3, QueryServiceFixture.Inputs } }; break;
            case "id-range-past-end": request.Filter = new Filter { IdRange = new Contracts.V1.Range { Start = 1400, End = 1600 } }; break;
            case "label": request.Filter = new Filter { Labels = { 42 } }; break;
            case "tensor-shape":
                {
                    // The right number of values (784) in the wrong shape.
                    Tensor tensor = await RawImageAsync(5);
                    tensor.Shape.Clear();
                    tensor.Shape.AddRange([28, 28, 1]);
                    request.Target = new Target { Tensor = tensor };
                    break;
                }

            case "include-target-tensor":
                request.Target = new Target { Tensor = await RawImageAsync(5) };
                request.IncludeTarget = true;
                break;
            case "strategy": request.Options = new QueryOptions { Strategy = (Strategy)9 }; break;
            case "interval": request.Options = new QueryOptions { MinUpdateIntervalMs = -1 }; break;
            case "batch": request.Options = new QueryOptions { BatchSize = 5000 }; break;
            case "no-layer": request.Layer.Layer = ""; break;
            case "materialized": request.Options = new QueryOptions { Strategy = Strategy.Materialized }; break;
        }

        RpcException e = await RefusedAsync(request);
        Assert.Equal(what == "materialized" ? StatusCode.FailedPrecondition : StatusCode.InvalidArgument, e.StatusCode);
        Assert.Contains(expected, e.Status.Detail, StringComparison.Ordinal);
        Assert.DoesNotContain("(Parameter", e.Status.Detail, StringComparison.Ordinal);
        Assert.DoesNotContain("deepeverest ", e.Status.Detail, StringComparison.Ordinal);
        Assert.DoesNotContain("top:", e.Status.Detail, StringComparison.Ordinal);
        Assert.DoesNotContain(fixture.DataRoot, e.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TopKSimilar_RawTensorWithDatasetShape_Accepted()
    {
        TopKSimilarRequest request = Similar(0);
        request.Target = new Target { Tensor = await RawImageAsync(5) };
        List<TopKUpdate> updates = await ReadAsync(fixture.Client.TopKSimilar(request)).DefaultTimeout();
        Assert.True(updates[^1].Done);
        Assert.Equal(5, updates[^1].Hits[0].InputId);
    }

    [Fact]
    public async Task TopKSimilar_DuplicateFilterIds_ActAsASet()
    {
        TopKSimilarRequest once = Similar(2, k: 5);
        once.Filter = new Filter { Ids = { 10, 20, 30, 40, 50, 60, 70 } };
        TopKSimilarRequest twice = Similar(2, k: 5);
        twice.Filter = new Filter { Ids = { 70, 10, 20, 20, 30, 40, 50, 60, 70, 10 } };
        List<TopKUpdate> a = await ReadAsync(fixture.Client.TopKSimilar(once)).DefaultTimeout();
        List<TopKUpdate> b = await ReadAsync(fixture.Client.TopKSimilar(twice)).DefaultTimeout();
        Assert.Equal(a[^1].Hits, b[^1].Hits);
        Assert.Equal(7, b[^1].Stats.InputsTotal);
    }

    [Fact]
    public async Task TopKSimilar_ModelAndDatasetLeftEmpty_TheOnlyRegisteredOnesAnswer()
    {
        TopKSimilarRequest named = Similar(3);
        TopKSimilarRequest defaulted = Similar(3);
        defaulted.Layer = new LayerRef { Layer = QueryServiceFixture.IndexedLayer };
        List<TopKUpdate> a = await ReadAsync(fixture.Client.TopKSimilar(named)).DefaultTimeout();
        List<TopKUpdate> b = await ReadAsync(fixture.Client.TopKSimilar(defaulted)).DefaultTimeout();
        Assert.Equal(a[^1].Hits, b[^1].Hits);
        Assert.Equal(Strategy.Bounds, b[^1].Stats.Strategy);

        GetInputResponse input = await fixture.Client.GetInputAsync(new GetInputRequest { InputId = 3 }).ResponseAsync.DefaultTimeout();
        Assert.Equal(784, input.Tensor.Values.Count);
        GetActivationsResponse activations = await fixture.Client.GetActivationsAsync(new GetActivationsRequest { Layer = defaulted.Layer, Target = new Target { InputId = 3 } }).ResponseAsync.DefaultTimeout();
        Assert.Equal(2048, activations.Values.Count);
    }

    [Fact]
    public async Task TopKSimilar_LayerWithoutIndex_DoneUpdateCarriesTheFallbackNote()
    {
        TopKSimilarRequest request = Similar(1, k: 5);
        request.Layer.Layer = QueryServiceFixture.UnindexedLayer;
        List<TopKUpdate> updates = await ReadAsync(fixture.Client.TopKSimilar(request)).DefaultTimeout();
        Assert.True(updates[^1].Done);
        Assert.Equal(Strategy.ReprocessAll, updates[^1].Stats.Strategy);
        Assert.Contains("has no index: answered by ReprocessAll", updates[^1].Message, StringComparison.Ordinal);
        Assert.Equal(updates[0].Message, updates[^1].Message);
    }

    [Fact]
    public async Task TopKSimilar_IntervalUnset_CoalescedToTheDefaultRate()
    {
        // Batch size 1 and no cache: one engine update per verified input.
        TopKSimilarRequest every = Similar(23, top: 10, k: 50);
        every.Options = new QueryOptions { BatchSize = 1, NoCache = true, MinUpdateIntervalMs = 0 };
        TopKSimilarRequest coalesced = every.Clone();
        coalesced.Options.ClearMinUpdateIntervalMs();
        List<TopKUpdate> all = await ReadAsync(fixture.Client.TopKSimilar(every)).DefaultTimeout();
        List<TopKUpdate> some = await ReadAsync(fixture.Client.TopKSimilar(coalesced)).DefaultTimeout();

        Assert.True(all.Count > 10, $"expected many updates at batch size 1, got {all.Count}");
        Assert.Equal(all[^1].Hits, some[^1].Hits);
        Assert.True(some[^1].Done);
        Assert.Equal(10, some[0].Group.Count);

        // Between the first and the last, updates are at least the default 50 ms apart.
        for (int i = 1; i < some.Count - 1; i++)
        {
            Assert.True(some[i].Stats.ElapsedMs - some[i - 1].Stats.ElapsedMs >= 50, $"updates {i - 1} and {i} are {some[i].Stats.ElapsedMs - some[i - 1].Stats.ElapsedMs} ms apart");
        }
    }
}
