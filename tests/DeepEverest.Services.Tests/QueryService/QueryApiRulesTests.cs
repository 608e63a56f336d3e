using DeepEverest.Contracts;
using DeepEverest.Contracts.V1;
using DeepEverest.Services.Tests.Infrastructure;
using Grpc.Core;

namespace DeepEverest.Services.Tests.QueryService;

/// <summary>
/// The rules clients used to re-implement, now the service's (issue 22, item 5): a raw target in
/// the dataset's stored units is preprocessed by the service, and an open-ended range is resolved
/// against the layer's shape or the dataset's size.
/// </summary>
[Collection(QueryServiceCollection.Name)]
public sealed class QueryApiRulesTests(QueryServiceFixture fixture)
{
    private static TopKSimilarRequest Similar(NeuronGroup group, int k = 10) => new()
    {
        Layer = QueryServiceFixture.Layer(QueryServiceFixture.IndexedLayer),
        Target = new Target { InputId = 7 },
        Group = group,
        K = k,
    };

    private static async Task<TopKUpdate> FinalAsync(AsyncServerStreamingCall<TopKUpdate> call) =>
        (await AllAsync(call))[^1];

    private static async Task<List<TopKUpdate>> AllAsync(AsyncServerStreamingCall<TopKUpdate> call)
    {
        using (call)
        {
            var updates = new List<TopKUpdate>();
            await foreach (TopKUpdate u in call.ResponseStream.ReadAllAsync())
            {
                updates.Add(u);
            }

            Assert.True(updates[^1].Done);
            return updates;
        }
    }

    private async Task<Tensor> StoredImageAsync(long id)
    {
        GetInputResponse input = await fixture.Client.GetInputAsync(new GetInputRequest { Dataset = QueryServiceFixture.Dataset, InputId = id }).ResponseAsync.DefaultTimeout();
        return input.Tensor;
    }

    private async Task<RpcException> RefusedAsync(TopKSimilarRequest request) =>
        await Assert.ThrowsAsync<RpcException>(() => FinalAsync(fixture.Client.TopKSimilar(request))).DefaultTimeout();

    [Fact]
    public async Task GetActivations_StoredTensorOfAnInput_BitIdenticalToTheInputId()
    {
        var layer = QueryServiceFixture.Layer(QueryServiceFixture.IndexedLayer);
        Tensor stored = await StoredImageAsync(11);

        GetActivationsResponse byId = await fixture.Client.GetActivationsAsync(new GetActivationsRequest { Layer = layer, Target = new Target { InputId = 11 } }).ResponseAsync.DefaultTimeout();
        GetActivationsResponse byPixels = await fixture.Client.GetActivationsAsync(new GetActivationsRequest { Layer = layer, Target = new Target { StoredTensor = stored } }).ResponseAsync.DefaultTimeout();

        Assert.True(stored.Values.Any(v => v > 1), "GetInput returns stored units (uint8 pixels), not the model's input");
        Assert.Equal(byId.Values.Select(BitConverter.SingleToInt32Bits), byPixels.Values.Select(BitConverter.SingleToInt32Bits));
    }

    [Fact]
    public async Task TopKSimilar_StoredTensorOfAnInput_FindsThatInputFirst()
    {
        TopKSimilarRequest request = Similar(new NeuronGroup { TopOfTarget = 5 });
        request.Target = new Target { StoredTensor = await StoredImageAsync(9) };

        TopKUpdate final = await FinalAsync(fixture.Client.TopKSimilar(request)).DefaultTimeout();

        Assert.Equal(9, final.Hits[0].InputId);
        Assert.Equal(0, final.Hits[0].Score);
    }

    [Fact]
    public async Task TopKSimilar_StoredTensorNotAPixel_InvalidArgumentNamingTheValue()
    {
        Tensor stored = await StoredImageAsync(9);
        stored.Values[3] = 0.5f;
        TopKSimilarRequest request = Similar(new NeuronGroup { TopOfTarget = 5 });
        request.Target = new Target { StoredTensor = stored };

        RpcException e = await RefusedAsync(request);

        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
        Assert.Contains("target.stored_tensor.values[3] = 0.5", e.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TopKSimilar_StoredTensorWrongShape_InvalidArgumentNamingTheField()
    {
        Tensor stored = await StoredImageAsync(9);
        stored.Shape.Clear();
        stored.Shape.AddRange([28, 28, 1]);
        TopKSimilarRequest request = Similar(new NeuronGroup { TopOfTarget = 5 });
        request.Target = new Target { StoredTensor = stored };

        RpcException e = await RefusedAsync(request);

        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
        Assert.Contains("target.stored_tensor.shape is [28, 28, 1]", e.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TopKSimilar_OpenRectangle_SameAnswerAsTheClosedOne()
    {
        // The closed form needs the layer's shape (from GetActivations); the open one does not.
        GetActivationsResponse activations = await fixture.Client.GetActivationsAsync(new GetActivationsRequest
        {
            Layer = QueryServiceFixture.Layer(QueryServiceFixture.IndexedLayer),
            Target = new Target { InputId = 7 },
        }).ResponseAsync.DefaultTimeout();
        long[] shape = [.. activations.Shape];
        string closed = "rect:5," + string.Join(",", shape.Skip(1).Select(s => $"0:{s}"));
        string open = "rect:5" + string.Concat(shape.Skip(1).Select(_ => ",*"));

        List<TopKUpdate> a = await AllAsync(fixture.Client.TopKSimilar(Similar(GroupSyntax.Parse(closed)))).DefaultTimeout();
        List<TopKUpdate> b = await AllAsync(fixture.Client.TopKSimilar(Similar(GroupSyntax.Parse(open)))).DefaultTimeout();

        // The first update reports the group: channel 5's neurons, in row-major order.
        Assert.Equal(shape.Skip(1).Aggregate(1L, (x, y) => x * y), b[0].Group.Count);
        Assert.Equal(a[0].Group, b[0].Group);
        Assert.Equal(a[^1].Hits, b[^1].Hits);
    }

    [Fact]
    public async Task TopKSimilar_OpenIdRange_RunsToTheLastInput()
    {
        TopKSimilarRequest closed = Similar(new NeuronGroup { TopOfTarget = 3 }, k: 5);
        closed.Filter = new Filter { IdRange = new Contracts.V1.Range { Start = 1400, End = QueryServiceFixture.Inputs } };
        TopKSimilarRequest open = closed.Clone();
        open.Filter.IdRange = new Contracts.V1.Range { Start = 1400, OpenEnd = true };

        TopKUpdate a = await FinalAsync(fixture.Client.TopKSimilar(closed)).DefaultTimeout();
        TopKUpdate b = await FinalAsync(fixture.Client.TopKSimilar(open)).DefaultTimeout();

        Assert.Equal(QueryServiceFixture.Inputs - 1400, b.Stats.InputsTotal);
        Assert.Equal(a.Hits, b.Hits);
    }

    [Fact]
    public async Task TopKSimilar_OpenEndWithEnd_InvalidArgument()
    {
        var rectangle = new HyperRectangle { Ranges = { new Contracts.V1.Range { Start = 5, End = 6 }, new Contracts.V1.Range { End = 2, OpenEnd = true } } };

        RpcException e = await RefusedAsync(Similar(new NeuronGroup { Rectangle = rectangle }));

        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
        Assert.Contains("group.rectangle.ranges[1]: give end = 2 or open_end, not both", e.Status.Detail, StringComparison.Ordinal);
    }
}
