using DeepEverest.Core.Onnx;
using DeepEverest.Core.Onnx.Proto;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;

namespace DeepEverest.Core.Tests.Onnx;

/// <summary>The models the ONNX tests use, hand-built small models, and a reference way to read a tensor.</summary>
internal static class OnnxTestModels
{
    public const string Demo = "demo";
    public const string Mlp = "mlp.onnx";
    public const string TinyResidual = "tiny_residual.onnx";

    private const int Float = (int)TensorProto.Types.DataType.Float;

    /// <summary>Loads <see cref="Demo"/> (models/demo/fashion_vgg.onnx) or a fixture by file name.</summary>
    public static OnnxModelFile Load(string name) =>
        OnnxModelFile.LoadFile(name == Demo ? TestPaths.DemoModel : TestPaths.FixtureModel(name));

    /// <summary>
    /// Reads <paramref name="tensor"/> the straightforward way: the whole model, with the tensor added
    /// as an extra graph output, run by ONNX Runtime with its default (full) optimisation.
    /// </summary>
    public static float[] FullModelTensor(OnnxModelFile model, string tensor, float[] inputs, int batch)
    {
        var proto = model.Proto.Clone();
        if (proto.Graph.Output.All(o => o.Name != tensor))
        {
            proto.Graph.Output.Add(new ValueInfoProto { Name = tensor });
        }

        using var session = new InferenceSession(proto.ToByteArray());
        using var input = OrtValue.CreateTensorValueFromMemory(inputs, [batch, .. model.InputShape]);
        using var runOptions = new RunOptions();
        using var outputs = session.Run(runOptions, [model.InputName], [input], [tensor]);
        return outputs[0].GetTensorDataAsSpan<float>().ToArray();
    }

    /// <summary>
    /// A two-layer model: <c>y = Relu(x · w)</c> with <c>x</c> of shape [batch, 4] and <c>w</c> [4, 3],
    /// plus an initializer nobody reads. <paramref name="edit"/> changes it before it is serialised.
    /// </summary>
    public static byte[] Tiny(Action<ModelProto>? edit = null)
    {
        var graph = new GraphProto { Name = "tiny" };
        graph.Input.Add(TensorInfo("x", Float, "batch", 4L));
        graph.Output.Add(TensorInfo("y", Float, "batch", 3L));
        graph.Initializer.Add(FloatTensor("w", [4, 3], Enumerable.Range(0, 12).Select(i => (i % 5) - 2f).ToArray()));
        graph.Initializer.Add(FloatTensor("unused", [2], [1f, 2f]));
        graph.Node.Add(Node("MatMul", ["x", "w"], ["h"]));
        graph.Node.Add(Node("Relu", ["h"], ["y"]));

        var model = new ModelProto { IrVersion = 7, ProducerName = "tests", Graph = graph };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = string.Empty, Version = 13 });
        edit?.Invoke(model);
        return model.ToByteArray();
    }

    /// <summary>A graph value of tensor type; each dim is a <c>long</c> value or a <c>string</c> symbol.</summary>
    public static ValueInfoProto TensorInfo(string name, int elemType, params object[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (object dim in dims)
        {
            shape.Dim.Add(dim is string symbol
                ? new TensorShapeProto.Types.Dimension { DimParam = symbol }
                : new TensorShapeProto.Types.Dimension { DimValue = (long)dim });
        }

        var tensor = new TypeProto.Types.Tensor { ElemType = elemType, Shape = shape };
        return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = tensor } };
    }

    public static TensorProto FloatTensor(string name, long[] dims, float[] values)
    {
        var tensor = new TensorProto { Name = name, DataType = Float };
        tensor.Dims.AddRange(dims);
        tensor.FloatData.AddRange(values);
        return tensor;
    }

    public static NodeProto Node(string opType, string[] inputs, string[] outputs)
    {
        var node = new NodeProto { OpType = opType, Name = outputs[0] + "_node" };
        node.Input.AddRange(inputs);
        node.Output.AddRange(outputs);
        return node;
    }
}
