using DeepEverest.Core.Onnx;
using DeepEverest.Core.Onnx.Proto;
using static DeepEverest.Core.Tests.Onnx.OnnxTestModels;

namespace DeepEverest.Core.Tests.Onnx;

public sealed class ModelInspectorTests
{
    [Fact]
    public void ListLayers_DemoModel_FindsReluLayersWithExpectedNeurons()
    {
        var model = Load(Demo);

        var relus = ModelInspector.ListLayers(model).Where(l => l.OpType == "Relu").ToList();

        // Two ReLUs per convolution block (16, 32, 64, 128 channels at 32, 16, 8, 4 pixels square) and one after FC 256.
        Assert.Equal([16384L, 16384, 8192, 8192, 4096, 4096, 2048, 2048, 256], relus.Select(l => l.Neurons));
        Assert.Equal([16L, 32, 32], relus[0].Shape);
        Assert.Equal("/block1/block1.2/Relu_output_0", relus[0].Name);
    }

    [Fact]
    public void ListLayers_DemoModel_ExcludesInputAndConstantsInNodeOrder()
    {
        var model = Load(Demo);

        var layers = ModelInspector.ListLayers(model);

        Assert.DoesNotContain(layers, l => l.Name == model.InputName);
        Assert.DoesNotContain(layers, l => l.OpType == "Constant");
        Assert.Equal(layers.OrderBy(l => l.Order).Select(l => l.Name), layers.Select(l => l.Name));
        Assert.Equal(("Pad", "Gemm"), (layers[0].OpType, layers[^1].OpType));
        Assert.Equal("logits", layers[^1].Name);
        Assert.All(layers, l => Assert.Equal(l.Shape.Aggregate(1L, (a, d) => a * d), l.Neurons));
    }

    [Fact]
    public void ListLayers_CallerModifiesShape_DoesNotChangeLaterAnswers()
    {
        var model = Load(Mlp);
        ModelInspector.ListLayers(model)[0].Shape[0] = -7;

        var layers = ModelInspector.ListLayers(model);

        Assert.Equal([784L], layers[0].Shape);
    }

    [Fact]
    public void ListLayers_TensorWithoutBatchAxis_LeavesItOut()
    {
        // Reshape to [-1] folds the batch into the only axis: at batch 1 it has 3 rows, not 1.
        var model = OnnxModelFile.Load(Tiny(m =>
        {
            var shape = new TensorProto { Name = "flat", DataType = (int)TensorProto.Types.DataType.Int64 };
            shape.Dims.Add(1);
            shape.Int64Data.Add(-1);
            m.Graph.Initializer.Add(shape);
            m.Graph.Node.Add(Node("Reshape", ["y", "flat"], ["z"]));
        }));

        var layers = ModelInspector.ListLayers(model);

        Assert.Equal(["h", "y"], layers.Select(l => l.Name));
        Assert.Equal([("MatMul", 0), ("Relu", 1)], layers.Select(l => (l.OpType, l.Order)));
    }
}
