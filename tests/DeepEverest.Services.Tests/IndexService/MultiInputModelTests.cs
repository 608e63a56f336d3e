using DeepEverest.Contracts.V1;
using DeepEverest.Core.Onnx.Proto;
using DeepEverest.Services.Tests.Infrastructure;
using Google.Protobuf;
using Grpc.Core;

namespace DeepEverest.Services.Tests.IndexService;

/// <summary>
/// A model with int64 token inputs (a text transformer in miniature, docs/text-models.md): AddModel
/// describes every input and its per-token layers; building an index over it is refused with
/// FAILED_PRECONDITION, and nothing is written.
/// </summary>
[Collection(IndexServiceCollection.Name)]
public sealed class MultiInputModelTests(IndexServiceFixture fixture)
{
    private Contracts.V1.IndexService.IndexServiceClient Client => fixture.Client;

    [Fact]
    public async Task AddModel_TokenModel_DescribesInputsAndPerTokenLayersThenBuildIsFailedPrecondition()
    {
        await File.WriteAllBytesAsync(Path.Combine(fixture.DataRoot, "tokens.onnx"), TokenModel());

        ModelInfo info = await Client.AddModelAsync(new AddModelRequest { Name = "tokens", Path = "tokens.onnx" }).ResponseAsync.DefaultTimeout();
        ListLayersResponse layers = await Client.ListLayersAsync(new ListLayersRequest { Model = "tokens" }).ResponseAsync.DefaultTimeout();

        Assert.Equal(string.Empty, info.InputName);
        Assert.Empty(info.InputShape);
        Assert.Equal(["input_ids", "attention_mask"], info.Inputs.Select(i => i.Name));
        Assert.All(info.Inputs, i =>
        {
            Assert.Equal("int64", i.ElementType);
            Assert.Equal(["batch", "sequence"], i.Shape.Select(d => d.Symbol));
        });

        // The float mask [batch, sequence] has no neurons per token, so it is not a layer.
        Assert.Equal(["embedded", "hidden"], layers.Layers.Select(l => l.Name));
        LayerInfo hidden = layers.Layers[1];
        Assert.Equal([3L], hidden.Shape);
        Assert.Equal(3, hidden.Neurons);
        Assert.Equal(
            [new TensorDim { Symbol = "batch" }, new TensorDim { Symbol = "sequence" }, new TensorDim { Size = 3 }],
            hidden.TensorShape);

        var request = new BuildIndexRequest { Layer = new LayerRef { Model = "tokens", Dataset = IndexServiceFixture.DatasetName, Layer = "hidden" } };
        RpcException error = await Assert.ThrowsAsync<RpcException>(() => Client.BuildAsync(request)).DefaultTimeout();
        Assert.Equal(StatusCode.FailedPrecondition, error.StatusCode);
        Assert.Contains("input_ids (int64 [batch, sequence])", error.Status.Detail, StringComparison.Ordinal);
        Assert.Contains("runs over a text dataset", error.Status.Detail, StringComparison.Ordinal);
        ListIndexesResponse indexes = await Client.ListIndexesAsync(new ListIndexesRequest()).ResponseAsync.DefaultTimeout();
        Assert.DoesNotContain(indexes.Indexes, i => i.Layer.Model == "tokens");
    }

    /// <summary>
    /// <c>embedded = Gather(table[10, 3], input_ids)</c> [batch, sequence, 3], <c>hidden =
    /// Relu(embedded)</c>, and <c>mask = Cast(attention_mask)</c> [batch, sequence] as a second output.
    /// </summary>
    internal static byte[] TokenModel()
    {
        var graph = new GraphProto { Name = "tokens" };
        graph.Input.Add(Int64Tokens("input_ids"));
        graph.Input.Add(Int64Tokens("attention_mask"));
        var table = new TensorProto { Name = "table", DataType = (int)TensorProto.Types.DataType.Float, Dims = { 10, 3 } };
        table.FloatData.Add(Enumerable.Range(0, 30).Select(i => (i % 7) - 3f));
        graph.Initializer.Add(table);
        graph.Node.Add(new NodeProto { OpType = "Gather", Input = { "table", "input_ids" }, Output = { "embedded" } });
        graph.Node.Add(new NodeProto { OpType = "Relu", Input = { "embedded" }, Output = { "hidden" } });
        graph.Node.Add(new NodeProto
        {
            OpType = "Cast",
            Input = { "attention_mask" },
            Output = { "mask" },
            Attribute = { new AttributeProto { Name = "to", Type = AttributeProto.Types.AttributeType.Int, I = (long)TensorProto.Types.DataType.Float } },
        });
        graph.Output.Add(new ValueInfoProto { Name = "hidden" });
        graph.Output.Add(new ValueInfoProto { Name = "mask" });
        var model = new ModelProto { IrVersion = 7, Graph = graph };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 13 });
        return model.ToByteArray();
    }

    private static ValueInfoProto Int64Tokens(string name)
    {
        var shape = new TensorShapeProto();
        shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimParam = "batch" });
        shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimParam = "sequence" });
        var tensor = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Int64, Shape = shape };
        return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = tensor } };
    }
}
