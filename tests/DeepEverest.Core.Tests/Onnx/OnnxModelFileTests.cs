using System.Security.Cryptography;
using DeepEverest.Core.Onnx;
using DeepEverest.Core.Onnx.Proto;
using Google.Protobuf;
using static DeepEverest.Core.Tests.Onnx.OnnxTestModels;

namespace DeepEverest.Core.Tests.Onnx;

public sealed class OnnxModelFileTests
{
    private const int Float = (int)TensorProto.Types.DataType.Float;

    [Fact]
    public void LoadFile_DemoModel_ExposesInputShapeAndHash()
    {
        byte[] bytes = File.ReadAllBytes(TestPaths.DemoModel);

        var model = OnnxModelFile.LoadFile(TestPaths.DemoModel);

        Assert.Equal("input", model.InputName);
        Assert.Equal([1L, 28, 28], model.InputShape);
        Assert.Equal(784, model.InputElements);
        Assert.True(model.TakesOneFloatTensor);
        var input = Assert.Single(model.Inputs);
        Assert.Equal(("input", "float"), (input.Name, input.ElementType));
        Assert.Equal([TensorDim.Fixed(1), TensorDim.Fixed(28), TensorDim.Fixed(28)], input.Shape[1..]);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(bytes)), model.Sha256);
        Assert.Equal(bytes, model.Bytes.ToArray());
    }

    [Fact]
    public void Load_RandomBytes_ThrowsInvalidArgument()
    {
        var bytes = new byte[4096];
        new Random(42).NextBytes(bytes);

        AssertRefused(() => OnnxModelFile.Load(bytes));
    }

    [Fact]
    public void Load_FirstHalfOfDemoModel_ThrowsInvalidArgument()
    {
        byte[] bytes = File.ReadAllBytes(TestPaths.DemoModel);

        AssertRefused(() => OnnxModelFile.Load(bytes[..(bytes.Length / 2)]));
    }

    [Fact]
    public void Load_EmptyFile_ThrowsInvalidArgument()
    {
        string path = Path.GetTempFileName();
        try
        {
            var ex = AssertRefused(() => OnnxModelFile.LoadFile(path));
            Assert.Contains("empty", ex.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void LoadFile_MissingFile_ThrowsNotFound()
    {
        var ex = Assert.Throws<DeepEverestException>(() => OnnxModelFile.LoadFile("/nonexistent/model.onnx"));

        Assert.Equal(ErrorKind.NotFound, ex.Kind);
    }

    [Fact]
    public void Load_ModelWithoutGraph_ThrowsInvalidArgument()
    {
        byte[] bytes = Tiny(m => m.Graph = null);

        var ex = AssertRefused(() => OnnxModelFile.Load(bytes));
        Assert.Contains("no graph", ex.Message);
    }

    [Fact]
    public void Load_TwoRealInputs_DescribesBothAndIsNotFedByDatasets()
    {
        byte[] bytes = Tiny(m => m.Graph.Input.Add(TensorInfo("z", Float, "batch", "width")));

        var model = OnnxModelFile.Load(bytes);

        Assert.False(model.TakesOneFloatTensor);
        Assert.Equal(string.Empty, model.InputName);
        Assert.Empty(model.InputShape);
        Assert.Equal(["x (float [batch, 4])", "z (float [batch, width])"], model.Inputs.Select(i => i.ToString()));
        Assert.Equal([TensorDim.Named("batch"), TensorDim.Named("width")], model.Inputs[1].Shape);
    }

    [Fact]
    public void Load_SecondInputWithoutShape_ThrowsInvalidArgumentNamingIt()
    {
        byte[] bytes = Tiny(m => m.Graph.Input.Add(TensorInfo("z", Float)));

        var ex = AssertRefused(() => OnnxModelFile.Load(bytes));
        Assert.Contains("'z'", ex.Message);
        Assert.Contains("[batch, ...]", ex.Message);
    }

    [Fact]
    public void Load_SecondInputWithFixedBatchOfTwo_ThrowsInvalidArgument()
    {
        byte[] bytes = Tiny(m => m.Graph.Input.Add(TensorInfo("z", Float, 2L, 4L)));

        var ex = AssertRefused(() => OnnxModelFile.Load(bytes));
        Assert.Contains("batch axis", ex.Message);
    }

    [Fact]
    public void Load_InitializerListedAsInput_IsNotCountedAsInput()
    {
        // IR < 4 exporters list every initializer among the graph inputs.
        byte[] bytes = Tiny(m => m.Graph.Input.Add(TensorInfo("w", Float, 4L, 3L)));

        var model = OnnxModelFile.Load(bytes);

        Assert.Equal("x", model.InputName);
        Assert.Equal([4L], model.InputShape);
    }

    [Fact]
    public void Load_IntegerInput_DescribesItAndIsNotFedByDatasets()
    {
        byte[] bytes = Tiny(m => m.Graph.Input[0].Type.TensorType.ElemType = (int)TensorProto.Types.DataType.Int64);

        var model = OnnxModelFile.Load(bytes);

        Assert.False(model.TakesOneFloatTensor);
        var input = Assert.Single(model.Inputs);
        Assert.Equal(new ModelInput("x", "int64", [TensorDim.Named("batch"), TensorDim.Fixed(4)]).ToString(), input.ToString());
        Assert.Equal("int64", input.ElementType);
    }

    [Fact]
    public void Load_FirstAxisFixedAtTwo_ThrowsInvalidArgument()
    {
        byte[] bytes = Tiny(m => m.Graph.Input[0].Type.TensorType.Shape.Dim[0].DimValue = 2);

        var ex = AssertRefused(() => OnnxModelFile.Load(bytes));
        Assert.Contains("batch axis", ex.Message);
    }

    [Fact]
    public void Load_FirstAxisFixedAtOne_IsAccepted()
    {
        byte[] bytes = Tiny(m => m.Graph.Input[0].Type.TensorType.Shape.Dim[0].DimValue = 1);

        var model = OnnxModelFile.Load(bytes);

        Assert.True(model.FixedBatchOfOne);
        Assert.Equal([4L], model.InputShape);
    }

    [Fact]
    public void Load_SymbolicFeatureAxis_ThrowsInvalidArgument()
    {
        byte[] bytes = Tiny(m => m.Graph.Input[0].Type.TensorType.Shape.Dim[1].DimParam = "features");

        var ex = AssertRefused(() => OnnxModelFile.Load(bytes));
        Assert.Contains("'features'", ex.Message);
    }

    [Fact]
    public void Load_WeightsInExternalFile_ThrowsInvalidArgument()
    {
        byte[] bytes = Tiny(m => m.Graph.Initializer[0].DataLocation = TensorProto.Types.DataLocation.External);

        var ex = AssertRefused(() => OnnxModelFile.Load(bytes));
        Assert.Contains("external data", ex.Message);
    }

    [Fact]
    public void Serialize_DemoModel_ReproducesFileBytes()
    {
        byte[] bytes = File.ReadAllBytes(TestPaths.DemoModel);

        var model = OnnxModelFile.Load(bytes);

        Assert.Equal(bytes, model.Proto.ToByteArray());
    }

    [Fact]
    public void Serialize_ModelWithFieldsOutsideOurSchema_KeepsThem()
    {
        // training_info (20) is real ONNX that our subset omits; 999 is unknown to every schema. Known
        // fields are written in field order, unknown ones last, so appending keeps the bytes stable.
        byte[] demo = File.ReadAllBytes(TestPaths.DemoModel);
        byte[] extra = UnknownFields((20, TrainingInfo()), (999, [0x2a]));
        byte[] bytes = [.. demo, .. extra];

        var model = OnnxModelFile.Load(bytes);
        byte[] probe = ProbeModelBuilder.Build(model, "/block1/block1.2/Relu_output_0");

        Assert.Equal(bytes, model.Proto.ToByteArray());
        Assert.Equal(extra, probe[^extra.Length..]);
    }

    [Fact]
    public void Serialize_GraphWithFieldOutsideOurSchema_KeepsIt()
    {
        // quantization_annotation (14) lives inside GraphProto, which our subset omits.
        var proto = OnnxModelFile.LoadFile(TestPaths.DemoModel).Proto.Clone();
        byte[] extra = UnknownFields((14, [0x0a, 0x01, (byte)'t']));
        proto.Graph = GraphProto.Parser.ParseFrom([.. proto.Graph.ToByteArray(), .. extra]);

        var reparsed = ModelProto.Parser.ParseFrom(proto.ToByteArray());

        Assert.Equal(extra, reparsed.Graph.ToByteArray()[^extra.Length..]);
    }

    private static DeepEverestException AssertRefused(Func<OnnxModelFile> load)
    {
        var ex = Assert.Throws<DeepEverestException>(load);
        Assert.Equal(ErrorKind.InvalidArgument, ex.Kind);
        Assert.StartsWith("not a valid ONNX model: ", ex.Message);
        return ex;
    }

    /// <summary>Length-delimited fields with the given numbers and payloads.</summary>
    private static byte[] UnknownFields(params (int Field, byte[] Payload)[] fields)
    {
        using var stream = new MemoryStream();
        using (var output = new CodedOutputStream(stream, leaveOpen: true))
        {
            foreach (var (field, payload) in fields)
            {
                output.WriteTag(field, WireFormat.WireType.LengthDelimited);
                output.WriteBytes(ByteString.CopyFrom(payload));
            }
        }

        return stream.ToArray();
    }

    /// <summary>A TrainingInfoProto holding one update_binding (4) entry {key: "w", value: "w2"}.</summary>
    private static byte[] TrainingInfo() =>
        UnknownFields((4, new StringStringEntryProto { Key = "w", Value = "w2" }.ToByteArray()));
}
