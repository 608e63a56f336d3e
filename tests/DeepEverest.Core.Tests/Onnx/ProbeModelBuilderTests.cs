using DeepEverest.Core.Onnx;
using DeepEverest.Core.Onnx.Proto;
using Xunit.Abstractions;
using static DeepEverest.Core.Tests.Onnx.OnnxTestModels;

namespace DeepEverest.Core.Tests.Onnx;

public sealed class ProbeModelBuilderTests(ITestOutputHelper output)
{
    private const int Images = 4;

    [Theory]
    [InlineData(Demo)]
    [InlineData(Mlp)]
    [InlineData(TinyResidual)]
    public void Build_EveryListedLayer_ProbeEqualsTensorOfFullModelBitwise(string name)
    {
        var model = Load(name);
        float[] inputs = FashionMnistImages.ReadTestImages(Images);
        var layers = ModelInspector.ListLayers(model);
        var mismatches = new List<string>();

        foreach (var layer in layers)
        {
            using var runner = ActivationRunner.Create(model, layer.Name);
            var probe = new float[Images * layer.Neurons];
            runner.Run(inputs, Images, probe);

            float[] expected = FullModelTensor(model, layer.Name, inputs, Images);

            Assert.Equal(expected.Length, probe.Length);
            Assert.Contains(expected, v => v != 0);
            int differing = Enumerable.Range(0, probe.Length)
                .Count(i => BitConverter.SingleToInt32Bits(probe[i]) != BitConverter.SingleToInt32Bits(expected[i]));
            if (differing > 0)
            {
                double worst = Enumerable.Range(0, probe.Length)
                    .Max(i => Math.Abs(probe[i] - expected[i]) / Math.Max(1e-30, Math.Abs(expected[i])));
                mismatches.Add($"{layer.Name}: {differing} of {probe.Length} differ, max relative {worst:g3}");
            }
        }

        output.WriteLine($"{name}: compared {layers.Count} layers on {Images} images");
        Assert.True(mismatches.Count == 0, string.Join(Environment.NewLine, mismatches));
    }

    [Fact]
    public void Build_UnknownLayer_ThrowsNotFound()
    {
        var model = Load(Demo);

        var ex = Assert.Throws<DeepEverestException>(() => ProbeModelBuilder.Build(model, "/no/such/Relu"));

        Assert.Equal(ErrorKind.NotFound, ex.Kind);
        Assert.Contains("'/no/such/Relu'", ex.Message);
        Assert.Contains("IndexService.ListLayers", ex.Message);
    }

    [Fact]
    public void Build_InitializerName_ThrowsNotFound()
    {
        var model = Load(Demo);

        var ex = Assert.Throws<DeepEverestException>(() => ProbeModelBuilder.Build(model, "classifier.1.weight"));

        Assert.Equal(ErrorKind.NotFound, ex.Kind);
    }

    [Fact]
    public void Build_ModelInput_ThrowsInvalidArgument()
    {
        var model = Load(Demo);

        var ex = Assert.Throws<DeepEverestException>(() => ProbeModelBuilder.Build(model, "input"));

        Assert.Equal(ErrorKind.InvalidArgument, ex.Kind);
        Assert.Contains("model input", ex.Message);
    }

    [Fact]
    public void Build_EarlyLayer_KeepsOnlyNeededNodesAndInitializers()
    {
        var model = Load(Demo);
        var layer = ModelInspector.ListLayers(model).First(l => l.OpType == "Relu");

        var probe = ModelProto.Parser.ParseFrom(ProbeModelBuilder.Build(model, layer));

        Assert.Equal(["Constant", "Pad", "Conv", "Relu"], probe.Graph.Node.Select(n => n.OpType));
        Assert.True(probe.Graph.Node.Count < model.Proto.Graph.Node.Count);
        var read = probe.Graph.Node.SelectMany(n => n.Input).ToHashSet();
        Assert.Equal(2, probe.Graph.Initializer.Count);
        Assert.All(probe.Graph.Initializer, t => Assert.Contains(t.Name, read));
        Assert.Equal(["input"], probe.Graph.Input.Select(i => i.Name));
    }

    [Fact]
    public void Build_EarlyLayer_KeepsModelHeaderAndDeclaresOutputShape()
    {
        var model = Load(Demo);
        var layer = ModelInspector.ListLayers(model).First(l => l.OpType == "Relu");

        var probe = ModelProto.Parser.ParseFrom(ProbeModelBuilder.Build(model, layer));

        Assert.Equal(model.Proto.IrVersion, probe.IrVersion);
        Assert.Equal(model.Proto.OpsetImport, probe.OpsetImport);
        Assert.Equal(model.Proto.ProducerName, probe.ProducerName);
        Assert.Equal(model.Proto.ProducerVersion, probe.ProducerVersion);
        Assert.Equal(model.Proto.MetadataProps, probe.MetadataProps);
        var output = Assert.Single(probe.Graph.Output);
        Assert.Equal(layer.Name, output.Name);
        Assert.Equal((int)TensorProto.Types.DataType.Float, output.Type.TensorType.ElemType);
        var dims = output.Type.TensorType.Shape.Dim;
        Assert.Equal(ProbeModelBuilder.BatchDimension, dims[0].DimParam);
        Assert.Equal([16L, 32, 32], dims.Skip(1).Select(d => d.DimValue));
    }

    [Fact]
    public void Build_ResidualAdd_KeepsBothBranchesButNotTheHead()
    {
        var model = Load(TinyResidual);

        var probe = ModelProto.Parser.ParseFrom(ProbeModelBuilder.Build(model, "/Add_output_0"));

        Assert.Equal(["Conv", "Relu", "Conv", "Sigmoid", "Conv", "Add"], probe.Graph.Node.Select(n => n.OpType));
        Assert.DoesNotContain(probe.Graph.Initializer, t => t.Name.StartsWith("head.", StringComparison.Ordinal));
    }

    [Fact]
    public void Build_ByName_DoesNotModifyTheLoadedModel()
    {
        var model = Load(Mlp);
        var before = model.Proto.Clone();

        ProbeModelBuilder.Build(model, "/net/net.2/Relu_output_0");

        Assert.Equal(before, model.Proto);
    }

    [Fact]
    public void Build_IfNodeReadingOuterTensors_KeepsTheirProducers()
    {
        // z = If(cond) then Identity(cap) else Identity(y), where cap and y come from the outer graph
        // and are read only inside the branches; n is not needed.
        var model = OnnxModelFile.Load(Tiny(m =>
        {
            var boolean = new TensorProto { Name = "cond", DataType = (int)TensorProto.Types.DataType.Bool };
            boolean.Int32Data.Add(1);
            m.Graph.Initializer.Add(boolean);
            m.Graph.Node.Add(Node("Identity", ["h"], ["cap"]));
            m.Graph.Node.Add(Node("Neg", ["h"], ["n"]));
            var ifNode = Node("If", ["cond"], ["z"]);
            ifNode.Attribute.Add(Branch("then_branch", "cap"));
            ifNode.Attribute.Add(Branch("else_branch", "y"));
            m.Graph.Node.Add(ifNode);
        }));

        var probe = ProbeModelBuilder.BuildProto(model, "z", tensorShape: null);

        Assert.Equal(["MatMul", "Relu", "Identity", "If"], probe.Graph.Node.Select(n => n.OpType));
        Assert.Equal(["w", "cond"], probe.Graph.Initializer.Select(t => t.Name));
    }

    private static AttributeProto Branch(string name, string captured)
    {
        var graph = new GraphProto { Name = name };
        graph.Node.Add(Node("Identity", [captured], [name + "_out"]));
        graph.Output.Add(new ValueInfoProto { Name = name + "_out" });
        return new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Graph, G = graph };
    }
}
