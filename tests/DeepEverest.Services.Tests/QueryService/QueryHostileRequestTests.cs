using DeepEverest.Contracts.V1;
using DeepEverest.Services.Tests.Infrastructure;
using Grpc.Core;
using QueryClient = DeepEverest.Contracts.V1.QueryService.QueryServiceClient;

namespace DeepEverest.Services.Tests.QueryService;

/// <summary>
/// The QueryService's part of the hostile corpus (issue 13): requests against missing objects and
/// malformed groups, filters, weights and options. Each gets the expected status with a message
/// naming what is wrong (a field or the missing object; wording is the query layer's), the store is
/// unchanged, nothing is logged as an error, and the service keeps answering.
/// </summary>
[Collection(QueryServiceCollection.Name)]
public sealed class QueryHostileRequestTests(QueryServiceFixture fixture)
{
    private const StatusCode Invalid = StatusCode.InvalidArgument;

    private static readonly Dictionary<string, (StatusCode Code, string Fragment, Func<QueryClient, Task> Act)> _cases = new()
    {
        ["similar-unknown-dataset"] = (StatusCode.NotFound, "nope", c => Similar(c, r => r.Layer.Dataset = "nope")),
        ["similar-missing-layer-ref"] = (Invalid, "layer", c => Similar(c, r => r.Layer = null)),
        ["similar-k-negative"] = (Invalid, "k", c => Similar(c, r => r.K = -5)),
        ["similar-k-max"] = (Invalid, "k", c => Similar(c, r => r.K = int.MaxValue)),
        ["similar-target-negative"] = (Invalid, "-1", c => Similar(c, r => r.Target = new Target { InputId = -1 })),
        ["similar-target-huge"] = (Invalid, "9223372036854775807", c => Similar(c, r => r.Target = new Target { InputId = long.MaxValue })),
        ["similar-tensor-shape-transposed"] = (Invalid, "target.tensor.shape", c => Similar(c, r => r.Target = new Target { Tensor = Image(28, 28, 1) })),
        ["similar-tensor-too-few-values"] = (Invalid, "target.tensor.values", c => Similar(c, r => r.Target = new Target { Tensor = new Tensor { Shape = { 1, 28, 28 }, Values = { 1, 2, 3 } } })),
        ["similar-tensor-include-target"] = (Invalid, "include_target", c => Similar(c, r => { r.Target = new Target { Tensor = Image(1, 28, 28) }; r.IncludeTarget = true; })),
        ["similar-weights-count"] = (Invalid, "weight", c => Similar(c, r => r.Weights.AddRange([1, 2]))),
        ["similar-weights-negative"] = (Invalid, "weight", c => Similar(c, r => r.Weights.AddRange([1, -1, 1]))),
        ["similar-weights-nan"] = (Invalid, "weight", c => Similar(c, r => r.Weights.AddRange([1, float.NaN, 1]))),
        ["group-duplicate-neurons"] = (Invalid, "neuron 5", c => Similar(c, r => r.Group = Neurons(5, 5))),
        ["group-negative-neuron"] = (Invalid, "-3", c => Similar(c, r => r.Group = Neurons(-3))),
        ["group-coordinates-wrong-rank"] = (Invalid, "coordinate", c => Similar(c, r => r.Group = new NeuronGroup { Neurons = new NeuronList { Neurons = { new Neuron { Coordinates = new Coordinates { Values = { 1, 2 } } } } } })),
        ["group-rectangle-reversed"] = (Invalid, "range", c => Similar(c, r => r.Group = Rectangle((5, 3), (0, 4), (0, 4)))),
        ["group-rectangle-wrong-rank"] = (Invalid, "range", c => Similar(c, r => r.Group = Rectangle((0, 1)))),
        ["group-rectangle-huge"] = (Invalid, "range", c => Similar(c, r => r.Group = Rectangle((0, long.MaxValue), (0, long.MaxValue), (0, long.MaxValue)))),
        ["group-top-negative"] = (Invalid, "top", c => Similar(c, r => r.Group = new NeuronGroup { TopOfTarget = -1 })),
        ["group-missing"] = (Invalid, "group", c => Similar(c, r => r.Group = null)),
        ["filter-negative-label"] = (Invalid, "label", c => Similar(c, r => r.Filter = new Filter { Labels = { -1 } })),
        ["options-strategy-unknown"] = (Invalid, "strateg", c => Similar(c, r => r.Options = new QueryOptions { Strategy = (Strategy)99 })),
        ["options-batch-negative"] = (Invalid, "batch", c => Similar(c, r => r.Options = new QueryOptions { BatchSize = -1 })),
        ["options-interval-negative"] = (Invalid, "min_update_interval_ms", c => Similar(c, r => r.Options = new QueryOptions { MinUpdateIntervalMs = -1 })),
        ["highest-aggregate-unknown"] = (Invalid, "ggregate", c => Drain(c.TopKHighest(new TopKHighestRequest { Layer = QueryServiceFixture.Layer(QueryServiceFixture.IndexedLayer), Group = Neurons(1, 2), K = 3, Aggregate = (Aggregate)42 }))),
        ["highest-unknown-model"] = (StatusCode.NotFound, "nope", c => Drain(c.TopKHighest(new TopKHighestRequest { Layer = new LayerRef { Model = "nope", Dataset = QueryServiceFixture.Dataset, Layer = QueryServiceFixture.IndexedLayer }, Group = Neurons(1), K = 3 }))),
        ["activations-unknown-layer"] = (StatusCode.NotFound, "nope", c => c.GetActivationsAsync(new GetActivationsRequest { Layer = QueryServiceFixture.Layer("nope"), Target = new Target { InputId = 0 } }).ResponseAsync),
        ["activations-no-target"] = (Invalid, "target", c => c.GetActivationsAsync(new GetActivationsRequest { Layer = QueryServiceFixture.Layer(QueryServiceFixture.IndexedLayer) }).ResponseAsync),
        ["input-unknown-dataset"] = (StatusCode.NotFound, "nope", c => c.GetInputAsync(new GetInputRequest { Dataset = "nope" }).ResponseAsync),
        ["input-id-negative"] = (StatusCode.NotFound, "-7", c => c.GetInputAsync(new GetInputRequest { Dataset = QueryServiceFixture.Dataset, InputId = -7 }).ResponseAsync),
        ["input-id-huge"] = (StatusCode.NotFound, "out of range", c => c.GetInputAsync(new GetInputRequest { Dataset = QueryServiceFixture.Dataset, InputId = long.MaxValue }).ResponseAsync),
    };

    public static TheoryData<string> CaseNames => [.. _cases.Keys];

    [Theory]
    [MemberData(nameof(CaseNames))]
    public async Task QueryService_HostileRequest_RefusedCleanlyAndKeepsServing(string name)
    {
        (StatusCode code, string fragment, Func<QueryClient, Task> act) = _cases[name];
        string before = Snapshot();

        RpcException error = await Assert.ThrowsAsync<RpcException>(() => act(fixture.Client)).DefaultTimeout();

        Assert.Equal(code, error.StatusCode);
        Assert.Contains(fragment, error.Status.Detail, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(fixture.DataRoot, error.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(before, Snapshot());
        Assert.Empty(fixture.Factory.Logs.Errors);
        GetInputResponse input = await fixture.Client.GetInputAsync(new GetInputRequest { Dataset = QueryServiceFixture.Dataset, InputId = 1 }).ResponseAsync.DefaultTimeout();
        Assert.Equal(784, input.Tensor.Values.Count);
    }

    private string Snapshot() =>
        string.Join("\n", fixture.Primary.ListModels().Select(m => m.Name + m.Sha256))
        + string.Join("\n", fixture.Primary.ListDatasets().Select(d => d.Name + d.Count))
        + string.Join("\n", fixture.Primary.ListIndexes().Select(i => i.Layer + i.Generation))
        + $"\npending {fixture.Primary.ListPending().Count}, input rows {fixture.Primary.CountInputRows()}";

    private static Task Similar(QueryClient client, Action<TopKSimilarRequest> edit)
    {
        var request = new TopKSimilarRequest
        {
            Layer = QueryServiceFixture.Layer(QueryServiceFixture.IndexedLayer),
            Target = new Target { InputId = 0 },
            Group = Neurons(1, 2, 3),
            K = 5,
        };
        edit(request);
        return Drain(client.TopKSimilar(request));
    }

    private static async Task Drain(AsyncServerStreamingCall<TopKUpdate> call)
    {
        using (call)
        {
            await foreach (TopKUpdate _ in call.ResponseStream.ReadAllAsync().WithCancellation(CancellationToken.None))
            {
            }
        }
    }

    /// <summary>A raw tensor of zeros with the given shape.</summary>
    private static Tensor Image(params long[] shape)
    {
        var tensor = new Tensor { Shape = { shape } };
        tensor.Values.AddRange(new float[shape.Aggregate(1L, (a, b) => a * b)]);
        return tensor;
    }

    private static NeuronGroup Neurons(params long[] flat)
    {
        var list = new NeuronList();
        list.Neurons.AddRange(flat.Select(f => new Neuron { Flat = f }));
        return new NeuronGroup { Neurons = list };
    }

    private static NeuronGroup Rectangle(params (long Start, long End)[] ranges)
    {
        var rectangle = new HyperRectangle();
        rectangle.Ranges.AddRange(ranges.Select(r => new Contracts.V1.Range { Start = r.Start, End = r.End }));
        return new NeuronGroup { Rectangle = rectangle };
    }
}
