using DeepEverest.Core.Onnx;
using DeepEverest.Core.Onnx.Proto;
using Google.Protobuf;

namespace DeepEverest.Core.Tests.Onnx;

/// <summary>
/// A preprocessing model composed in front of a model: raw pixels through the composition give the
/// same activations as pixels preprocessed by hand through the model alone, the preprocessing part
/// lists no layers, and every mismatch is refused with InvalidArgument.
/// </summary>
public sealed class PreprocessingComposerTests
{
    private const int Float = (int)TensorProto.Types.DataType.Float;
    private const string Layer = "/block3/block3.2/Relu_output_0";

    [Fact]
    public void Compose_DemoModel_RawPixelsThroughCompositionEqualHandPreprocessingThroughModelBitForBit()
    {
        OnnxModelFile model = OnnxTestModels.Load(OnnxTestModels.Demo);
        float[] meanImage = [.. Enumerable.Range(0, 784).Select(i => (i % 29) / 100f)];
        OnnxModelFile pre = OnnxModelFile.Load(Preprocessing(meanImage));

        OnnxModelFile composed = OnnxModelFile.Load(PreprocessingComposer.Compose(pre, model));

        // Stored pixels go in as floats 0..255; by hand: pixel * (1/255) - mean, as the graph computes.
        float[] pixels = [.. FashionMnistImages.ReadTestImages(4).Select(v => MathF.Round(v * 255))];
        float[] byHand = [.. pixels.Select((p, i) => (p * (1f / 255)) - meanImage[i % 784])];
        float[] viaComposition = Activations(composed, pixels, 4);
        float[] viaModel = Activations(model, byHand, 4);
        Assert.Equal(viaModel.Select(BitConverter.SingleToInt32Bits), viaComposition.Select(BitConverter.SingleToInt32Bits));
        Assert.Equal("input", model.InputName);
        Assert.Equal("preprocess/input", composed.InputName);
    }

    [Fact]
    public void Compose_DemoModel_ListsTheModelsLayersOnly()
    {
        OnnxModelFile model = OnnxTestModels.Load(OnnxTestModels.Demo);
        OnnxModelFile composed = OnnxModelFile.Load(PreprocessingComposer.Compose(OnnxModelFile.Load(Preprocessing(new float[784])), model));

        var expected = ModelInspector.ListLayers(model).Select(l => (l.Name, string.Join(",", l.Shape)));
        var actual = ModelInspector.ListLayers(composed).Select(l => (l.Name, string.Join(",", l.Shape)));

        Assert.Equal(expected, actual);
    }

    [Fact]
    public void Compose_SameInputs_SameBytes()
    {
        OnnxModelFile model = OnnxTestModels.Load(OnnxTestModels.Demo);
        OnnxModelFile pre = OnnxModelFile.Load(Preprocessing(new float[784]));

        Assert.Equal(PreprocessingComposer.Compose(pre, model), PreprocessingComposer.Compose(pre, model));
    }

    [Fact]
    public void Compose_OpsetMismatch_InvalidArgument()
    {
        OnnxModelFile model = OnnxTestModels.Load(OnnxTestModels.Demo);
        OnnxModelFile pre = OnnxModelFile.Load(Preprocessing(new float[784], opset: 11));

        Assert.Contains("opset 11", Refused(pre, model), StringComparison.Ordinal);
    }

    [Fact]
    public void Compose_OutputShapeNotTheModelsInput_InvalidArgument()
    {
        OnnxModelFile model = OnnxTestModels.Load(OnnxTestModels.Demo);
        OnnxModelFile pre = OnnxModelFile.Load(Preprocessing(new float[784], inputShape: [1, 14, 56]));

        Assert.Contains("outputs [1, 1, 14, 56]", Refused(pre, model), StringComparison.Ordinal);
    }

    [Fact]
    public void Compose_TwoOutputs_InvalidArgument()
    {
        OnnxModelFile model = OnnxTestModels.Load(OnnxTestModels.Demo);
        OnnxModelFile pre = OnnxModelFile.Load(Preprocessing(new float[784], edit: m => m.Graph.Output.Add(new ValueInfoProto { Name = "scaled" })));

        Assert.Contains("exactly one output", Refused(pre, model), StringComparison.Ordinal);
    }

    [Fact]
    public void Compose_IntegerOutput_InvalidArgument()
    {
        OnnxModelFile model = OnnxTestModels.Load(OnnxTestModels.Demo);
        OnnxModelFile pre = OnnxModelFile.Load(Preprocessing(new float[784], edit: m =>
        {
            var cast = OnnxTestModels.Node("Cast", ["centered"], ["as_int"]);
            cast.Attribute.Add(new AttributeProto { Name = "to", I = (long)TensorProto.Types.DataType.Int32, Type = AttributeProto.Types.AttributeType.Int });
            m.Graph.Node.Add(cast);
            m.Graph.Output.Clear();
            m.Graph.Output.Add(new ValueInfoProto { Name = "as_int" });
        }));

        Assert.Contains("takes float32", Refused(pre, model), StringComparison.Ordinal);
    }

    [Fact]
    public void Compose_ResNet18WithItsPreprocessing_Uint8ImagesEqualBgrMinusMeanThroughTheRawModel()
    {
        string directory = ResNet18Directory();
        OnnxModelFile resnet = OnnxModelFile.LoadFile(Path.Combine(directory, "ResNet18Onnx", "ResNet18.onnx"));
        OnnxModelFile pre = OnnxModelFile.LoadFile(Path.Combine(directory, "ResNetPrepOnnx", "ResNetPreprocess.onnx"));

        OnnxModelFile composed = OnnxModelFile.Load(PreprocessingComposer.Compose(pre, resnet));

        Assert.Equal(resnet.InputShape, composed.InputShape);
        Assert.Equal("OriginalInput", composed.InputName);
        Assert.Equal(ModelInspector.ListLayers(resnet).Count, ModelInspector.ListLayers(composed).Count);

        // What ResNetPreprocess computes, by hand: RGB -> BGR, minus the package's mean image.
        TensorProto mean = pre.Proto.Graph.Initializer.Single(t => t.Name == "MeanImage");
        float[] meanImage = mean.FloatData.Count > 0 ? [.. mean.FloatData] : [.. System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(mean.RawData.Span)];
        const int plane = 224 * 224;
        var rng = new Random(3);
        float[] rgb = [.. Enumerable.Range(0, 3 * plane).Select(_ => (float)rng.Next(256))];
        float[] bgrMinusMean = [.. Enumerable.Range(0, 3 * plane).Select(i => rgb[((2 - (i / plane)) * plane) + (i % plane)] - meanImage[i])];
        string layer = ModelInspector.ListLayers(resnet).First(l => l.OpType == "Relu" && l.Neurons == 64 * 56 * 56).Name;

        float[] viaComposition = Activations(composed, rgb, 1, layer);
        float[] viaModel = Activations(resnet, bgrMinusMean, 1, layer);

        Assert.Equal(viaModel.Select(BitConverter.SingleToInt32Bits), viaComposition.Select(BitConverter.SingleToInt32Bits));
    }

    /// <summary>
    /// pixels [batch, 1, 28, 28] -> scaled = pixels * (1/255) -> centered = scaled - mean image; its
    /// tensor names collide with the model's on purpose ("input", a layer name).
    /// </summary>
    internal static byte[] Preprocessing(float[] meanImage, int opset = 13, long[]? inputShape = null, Action<ModelProto>? edit = null)
    {
        inputShape ??= [1, 28, 28];
        var graph = new GraphProto { Name = "pre" };
        graph.Input.Add(OnnxTestModels.TensorInfo("input", Float, ["batch", .. inputShape.Cast<object>()]));
        graph.Output.Add(new ValueInfoProto { Name = "centered" });
        graph.Initializer.Add(OnnxTestModels.FloatTensor("scale", [], [1f / 255]));
        graph.Initializer.Add(OnnxTestModels.FloatTensor("mean", [1, .. inputShape], meanImage));
        graph.Node.Add(OnnxTestModels.Node("Mul", ["input", "scale"], [Layer]));
        graph.Node.Add(OnnxTestModels.Node("Sub", [Layer, "mean"], ["centered"]));
        var proto = new ModelProto { IrVersion = 7, ProducerName = "tests", Graph = graph };
        proto.OpsetImport.Add(new OperatorSetIdProto { Domain = string.Empty, Version = opset });
        edit?.Invoke(proto);
        return proto.ToByteArray();
    }

    private static float[] Activations(OnnxModelFile model, float[] inputs, int batch, string layer = Layer)
    {
        using ActivationRunner runner = ActivationRunner.Create(model, layer, new ActivationRunnerOptions { MaxBatch = batch });
        var activations = new float[batch * runner.Neurons];
        runner.Run(inputs, batch, activations);
        return activations;
    }

    private static string Refused(OnnxModelFile pre, OnnxModelFile model)
    {
        var e = Assert.Throws<DeepEverestException>(() => PreprocessingComposer.Compose(pre, model));
        Assert.Equal(ErrorKind.InvalidArgument, e.Kind);
        Assert.StartsWith("preprocessing:", e.Message, StringComparison.Ordinal);
        return e.Message;
    }

    private static string ResNet18Directory()
    {
        string? root = typeof(PreprocessingComposerTests).Assembly
            .GetCustomAttributes(typeof(System.Reflection.AssemblyMetadataAttribute), false)
            .Cast<System.Reflection.AssemblyMetadataAttribute>()
            .FirstOrDefault(a => a.Key == "ResNet18Package")?.Value;
        Assert.False(string.IsNullOrEmpty(root), "the test project restores Microsoft.ML.DnnImageFeaturizer.ResNet18");
        return Path.Combine(root!, "tools", "DnnImageModels");
    }
}
