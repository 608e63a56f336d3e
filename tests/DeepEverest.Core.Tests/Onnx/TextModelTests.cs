using DeepEverest.Core.Indexing;
using DeepEverest.Core.Models;
using DeepEverest.Core.Onnx;
using DeepEverest.Core.Onnx.Proto;
using DeepEverest.Core.Tests.Support;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;

namespace DeepEverest.Core.Tests.Onnx;

/// <summary>
/// Text transformers (docs/text-models.md): registration describes their int64 token
/// inputs and their per-token layers, a graph cut at a layer computes it bit for bit, and what
/// cannot run them yet refuses them.
/// </summary>
public sealed class TextModelTests
{
    private const string Mlp2 = "/encoder/layer.2/intermediate/intermediate_act_fn/Mul_1_output_0";
    private const string Block4 = "/encoder/layer.4/output/LayerNorm/Add_1_output_0";

    private static readonly Lazy<OnnxModelFile> _arctic = new(() => TextModels.Load(TextModels.ArcticXs));

    [Fact]
    public void Load_ArcticXs_DescribesThreeInt64TokenInputs()
    {
        OnnxModelFile model = _arctic.Value;

        Assert.False(model.TakesOneFloatTensor);
        Assert.Equal(string.Empty, model.InputName);
        Assert.Equal(
            ["input_ids", "attention_mask", "token_type_ids"],
            model.Inputs.Select(i => i.Name));
        Assert.All(model.Inputs, i =>
        {
            Assert.Equal("int64", i.ElementType);
            Assert.Equal([TensorDim.Named("batch_size"), TensorDim.Named("sequence_length")], i.Shape);
        });
    }

    [Fact]
    public void ListLayers_ArcticXs_ListsMlpAndBlockOutputsAsWidthNeuronsPerToken()
    {
        var layers = ModelInspector.ListLayers(_arctic.Value).ToDictionary(l => l.Name);

        TensorDim[] Tokens(long width) => [TensorDim.Named("batch_size"), TensorDim.Named("sequence_length"), TensorDim.Fixed(width)];
        for (int n = 0; n < 6; n++)
        {
            var mlp = layers[$"/encoder/layer.{n}/intermediate/intermediate_act_fn/Mul_1_output_0"];
            Assert.Equal([1536L], mlp.Shape);
            Assert.Equal(1536, mlp.Neurons);
            Assert.Equal(Tokens(1536), mlp.TensorShape);
            Assert.True(mlp.HasItemAxis);

            // Layer 5's block output is the graph output, renamed by the exporter.
            var block = layers[n < 5 ? $"/encoder/layer.{n}/output/LayerNorm/Add_1_output_0" : "last_hidden_state"];
            Assert.Equal([384L], block.Shape);
            Assert.Equal(384, block.Neurons);
            Assert.Equal(Tokens(384), block.TensorShape);
        }

        Assert.True(layers[Mlp2].Order < layers[Block4].Order);
    }

    [Fact]
    public void ListLayers_ArcticXs_LeavesOutTensorsWithoutFixedNeuronsPerToken()
    {
        OnnxModelFile model = _arctic.Value;
        var layers = ModelInspector.ListLayers(model).Select(l => l.Name).ToHashSet();

        // Attention probabilities [batch, heads, sequence, sequence]: computed from the inputs, but
        // their width grows with the sequence, so no fixed neurons per token.
        var softmax = model.Proto.Graph.Node.Where(n => n.OpType == "Softmax").Select(n => n.Output[0]).ToList();
        Assert.Equal(6, softmax.Count);
        Assert.DoesNotContain(softmax, layers.Contains);
        Assert.All(ModelInspector.ListLayers(model), l => Assert.DoesNotContain(l.TensorShape.Skip(2), d => d.IsSymbolic));
    }

    [Fact]
    public void ListLayers_MiniLm_ListsNumericallyNamedMlpLayersPerToken()
    {
        OnnxModelFile model = TextModels.Load(TextModels.MiniLm);

        var layers = ModelInspector.ListLayers(model).ToDictionary(l => l.Name);

        Assert.Equal(["input_ids", "attention_mask", "token_type_ids"], model.Inputs.Select(i => i.Name));
        foreach (string name in new[] { "260", "389", "518", "647", "776", "905" })
        {
            Assert.Equal("Mul", layers[name].OpType);
            Assert.Equal([1536L], layers[name].Shape);
            Assert.Equal([TensorDim.Named("batch"), TensorDim.Named("sequence"), TensorDim.Fixed(1536)], layers[name].TensorShape);
        }
    }

    [Theory]
    [InlineData(Mlp2, 1536)]
    [InlineData(Block4, 384)]
    public void Probe_ArcticXsLayer_EqualsFullModelBitForBit(string layer, int width)
    {
        OnnxModelFile model = _arctic.Value;
        var vocabulary = TextModels.Vocabulary(TextModels.ArcticXs);
        long[][] sequences =
        [
            TextModels.Encode(vocabulary, "call", "me", "captain", "."),
            TextModels.Encode(vocabulary, "the", "whale", "is", "white", "and", "the", "sea", "is", "deep", "!"),
            TextModels.Encode(vocabulary, "$", "100", "+", "<", "=", "~"),
        ];
        var descriptor = ModelInspector.ListLayers(model).Single(l => l.Name == layer);
        byte[] probe = ProbeModelBuilder.Build(model, descriptor);

        float[] full = RunPadded(FullModelWith(model, layer), sequences, layer, width);
        float[] cut = RunPadded(probe, sequences, layer, width);

        // The probe keeps only what the layer reads: three inputs, fewer nodes than the model.
        var probeProto = ModelProto.Parser.ParseFrom(probe);
        Assert.True(probeProto.Graph.Node.Count < model.Proto.Graph.Node.Count);
        Assert.Equal(width * sequences.Max(s => s.Length) * sequences.Length, full.Length);
        Assert.Equal(full.Select(BitConverter.SingleToInt32Bits), cut.Select(BitConverter.SingleToInt32Bits));
        Assert.Contains(full, v => v != 0);
    }

    [Fact]
    public void Probe_ArcticXsMlpLayer_PaddingInABatchLeavesRealTokensBitForBit()
    {
        OnnxModelFile model = _arctic.Value;
        var vocabulary = TextModels.Vocabulary(TextModels.ArcticXs);
        long[] shortOne = TextModels.Encode(vocabulary, "call", "me", "captain", ".");
        long[] longOne = TextModels.Encode(vocabulary, "the", "whale", "is", "white", "and", "the", "sea", "is", "deep", "!");
        byte[] probe = ProbeModelBuilder.Build(model, ModelInspector.ListLayers(model).Single(l => l.Name == Mlp2));

        float[] alone = RunPadded(probe, [shortOne], Mlp2, 1536);
        float[] padded = RunPadded(probe, [shortOne, longOne], Mlp2, 1536);

        // Row 0 of the batch: its real tokens, then padding positions nobody reads.
        Assert.Equal(
            alone.Select(BitConverter.SingleToInt32Bits),
            padded.Take(alone.Length).Select(BitConverter.SingleToInt32Bits));
    }

    [Fact]
    public void Register_ArcticXs_RecordsEveryInputAndTokenLayersButRunnersRefuseIt()
    {
        using var scratch = new ScratchStore(inputs: 2);

        var record = ModelCatalog.Register(scratch.Store, "arctic", File.ReadAllBytes(TextModels.ModelPath(TextModels.ArcticXs)), replace: false);

        Assert.Equal(string.Empty, record.InputName);
        Assert.Empty(record.InputShape);
        Assert.Equal(["input_ids", "attention_mask", "token_type_ids"], record.Inputs.Select(i => i.Name));
        Assert.All(record.Inputs, i => Assert.Equal(["batch_size", "sequence_length"], i.Shape.Select(d => d.Symbol)));
        var mlp = record.Layers.Single(l => l.Name == Mlp2);
        Assert.Equal([1536L], mlp.Shape);
        Assert.Equal(["batch_size", "sequence_length", ""], mlp.TensorShape.Select(d => d.Symbol));
        Assert.Equal(1536, mlp.TensorShape[2].Size);

        var resolve = Assert.Throws<DeepEverestException>(() => LayerProbe.Resolve(scratch.Store, "arctic", ScratchStore.Dataset, Mlp2));
        Assert.Equal(ErrorKind.FailedPrecondition, resolve.Kind);
        Assert.Contains("input_ids (int64 [batch_size, sequence_length])", resolve.Message);
        Assert.Contains("runs over a text dataset", resolve.Message);

        var runner = Assert.Throws<DeepEverestException>(() => ActivationRunner.Create(_arctic.Value, Mlp2));
        Assert.Equal(ErrorKind.FailedPrecondition, runner.Kind);
    }

    /// <summary>The whole model with <paramref name="layer"/> added as a graph output.</summary>
    private static byte[] FullModelWith(OnnxModelFile model, string layer)
    {
        var proto = model.Proto.Clone();
        proto.Graph.Output.Add(new ValueInfoProto { Name = layer });
        return proto.ToByteArray();
    }

    /// <summary>
    /// Runs <paramref name="modelBytes"/> (ONNX Runtime's default, full optimisation, as
    /// ActivationRunner does) on <paramref name="sequences"/> right-padded with [PAD] (id 0, mask 0)
    /// to the longest, and returns <paramref name="layer"/>: batch x longest x width floats.
    /// </summary>
    private static float[] RunPadded(byte[] modelBytes, long[][] sequences, string layer, int width)
    {
        int length = sequences.Max(s => s.Length);
        var ids = new long[sequences.Length * length];
        var mask = new long[ids.Length];
        for (int row = 0; row < sequences.Length; row++)
        {
            sequences[row].CopyTo(ids, row * length);
            mask.AsSpan(row * length, sequences[row].Length).Fill(1);
        }

        long[] shape = [sequences.Length, length];
        using var session = new InferenceSession(modelBytes);
        using var idValue = OrtValue.CreateTensorValueFromMemory(ids, shape);
        using var maskValue = OrtValue.CreateTensorValueFromMemory(mask, shape);
        using var typeValue = OrtValue.CreateTensorValueFromMemory(new long[ids.Length], shape);
        using var runOptions = new RunOptions();
        using var outputs = session.Run(
            runOptions, ["input_ids", "attention_mask", "token_type_ids"], [idValue, maskValue, typeValue], [layer]);
        Assert.Equal([sequences.Length, length, width], outputs[0].GetTensorTypeAndShape().Shape);
        return outputs[0].GetTensorDataAsSpan<float>().ToArray();
    }
}
