using DeepEverest.Core.Onnx.Proto;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace DeepEverest.Core.Onnx;

/// <summary>
/// Composes a preprocessing model in front of a model, so that datasets can be stored as they come
/// (e.g. uint8 RGB pixels) and every path that feeds the model (builds, queries, activations,
/// benchmarks) runs the same preprocessing, inside the model.
/// </summary>
/// <remarks>
/// The composed graph is the preprocessing graph, every one of its names (tensors, nodes,
/// initializers, also inside subgraphs) prefixed with <see cref="Prefix"/> (or <c>preprocess_2/</c>
/// ... when the model already uses that prefix), its single output renamed to the model's input,
/// followed by the model's graph unchanged. The composed input is the preprocessing model's input
/// (keeping its name unless the model uses it). Both must import the same version of every
/// operator set they share (an operator's meaning can change between versions); the IR version is
/// the higher of the two. The preprocessing output must be a float tensor of exactly the model's
/// input shape (checked by running the preprocessing model once). The prefix is recorded in the
/// composed model's metadata (<see cref="PrefixMetadataKey"/>), and <see cref="ModelInspector"/>
/// lists no layer of the preprocessing part.
/// </remarks>
public static class PreprocessingComposer
{
    /// <summary>The prefix given to the preprocessing graph's names when it is free.</summary>
    public const string Prefix = "preprocess/";

    /// <summary>Metadata key of the composed model that records the prefix actually used.</summary>
    public const string PrefixMetadataKey = "deepeverest.preprocessing.prefix";

    /// <summary>Metadata key recording the SHA-256 of the preprocessing model.</summary>
    public const string Sha256MetadataKey = "deepeverest.preprocessing.sha256";

    /// <summary>Metadata key recording the SHA-256 of the model as given.</summary>
    public const string SourceSha256MetadataKey = "deepeverest.source.sha256";

    /// <summary>Composes <paramref name="preprocessing"/> in front of <paramref name="model"/>.</summary>
    /// <returns>The serialized composed model (validate it with <see cref="OnnxModelFile.Load"/>).</returns>
    /// <exception cref="DeepEverestException">
    /// InvalidArgument (messages start with <c>preprocessing:</c>) when the two disagree on an
    /// operator set version, the preprocessing model has more than one output, its output is not a
    /// float tensor, or its shape is not the model's input shape, or either does not take one float
    /// tensor (<see cref="OnnxModelFile.TakesOneFloatTensor"/>).
    /// </exception>
    public static byte[] Compose(OnnxModelFile preprocessing, OnnxModelFile model)
    {
        ArgumentNullException.ThrowIfNull(preprocessing);
        ArgumentNullException.ThrowIfNull(model);

        // Composition feeds one float tensor into another; a model with other inputs (a text
        // transformer) has nothing to compose with.
        if (!preprocessing.TakesOneFloatTensor || !model.TakesOneFloatTensor)
        {
            OnnxModelFile other = preprocessing.TakesOneFloatTensor ? model : preprocessing;
            throw DeepEverestException.Invalid(
                $"preprocessing: the {(other == model ? "model" : "preprocessing model")} takes {string.Join(", ", other.Inputs)}; "
                + "a preprocessing model composes only with models that take one float tensor.");
        }

        ModelProto pre = preprocessing.Proto.Clone();
        ModelProto composed = model.Proto.Clone();
        MergeOpsets(pre, composed);

        GraphProto p = pre.Graph;
        if (p.Output.Count != 1)
        {
            throw DeepEverestException.Invalid(
                $"preprocessing: the preprocessing model must have exactly one output (the model's input), it has {p.Output.Count}.");
        }

        string output = p.Output[0].Name;
        if (!OnnxGraph.ProducerIndex(p).ContainsKey(output) || !OnnxGraph.InputDependentTensors(p, preprocessing.InputName).Contains(output))
        {
            throw DeepEverestException.Invalid($"preprocessing: the output '{output}' of the preprocessing model is not computed from its input.");
        }

        CheckOutput(preprocessing, output, model);

        GraphProto m = composed.Graph;
        HashSet<string> modelNames = Names(m, nodeNames: true);
        string prefix = Prefix;
        for (int n = 2; modelNames.Any(name => name.StartsWith(prefix, StringComparison.Ordinal)); n++)
        {
            prefix = $"preprocess_{n}/";
        }

        // Rename everything, then wire the output to the model's input and restore the input's name.
        var renames = Names(p, nodeNames: false).ToDictionary(name => name, name => prefix + name, StringComparer.Ordinal);
        renames[output] = model.InputName;
        string original = preprocessing.InputName;
        bool taken = modelNames.Contains(original) || renames.Any(r => r.Key != original && r.Value == original);
        string input = taken ? prefix + original : original;
        renames[original] = input;
        Visit(p, name => name.Length > 0 && renames.TryGetValue(name, out string? renamed) ? renamed : name);

        // Node names mark what ModelInspector leaves out of the layer list: all carry the prefix.
        for (int i = 0; i < p.Node.Count; i++)
        {
            p.Node[i].Name = prefix + (p.Node[i].Name.Length > 0 ? p.Node[i].Name : $"node{i}");
        }

        ValueInfoProto modelInput = m.Input.First(v => v.Name == model.InputName);
        ValueInfoProto composedInput = p.Input.First(v => v.Name == input).Clone();
        if (preprocessing.FixedBatchOfOne || model.FixedBatchOfOne)
        {
            // A model that runs one input at a time makes the whole composition do so.
            composedInput.Type.TensorType.Shape.Dim[0] = new TensorShapeProto.Types.Dimension { DimValue = 1 };
        }

        var modelInputs = m.Input.Where(v => v.Name != model.InputName).ToList();
        var modelNodes = m.Node.ToList();
        var modelInitializers = m.Initializer.ToList();
        var modelSparse = m.SparseInitializer.ToList();
        var modelValueInfo = m.ValueInfo.ToList();
        m.Input.Clear();
        m.Input.Add(composedInput);
        m.Input.AddRange(p.Input.Where(v => v.Name != input));
        m.Input.AddRange(modelInputs);
        m.Node.Clear();
        m.Node.AddRange(p.Node);
        m.Node.AddRange(modelNodes);
        m.Initializer.Clear();
        m.Initializer.AddRange(p.Initializer);
        m.Initializer.AddRange(modelInitializers);
        m.SparseInitializer.Clear();
        m.SparseInitializer.AddRange(p.SparseInitializer);
        m.SparseInitializer.AddRange(modelSparse);
        m.ValueInfo.Clear();
        m.ValueInfo.AddRange(p.ValueInfo.Where(v => v.Name != model.InputName));
        m.ValueInfo.Add(modelInput);
        m.ValueInfo.AddRange(modelValueInfo);
        composed.IrVersion = Math.Max(pre.IrVersion, composed.IrVersion);
        composed.MetadataProps.Add(new StringStringEntryProto { Key = PrefixMetadataKey, Value = prefix });
        composed.MetadataProps.Add(new StringStringEntryProto { Key = Sha256MetadataKey, Value = preprocessing.Sha256 });
        composed.MetadataProps.Add(new StringStringEntryProto { Key = SourceSha256MetadataKey, Value = model.Sha256 });
        return composed.ToByteArray();
    }

    /// <summary>The prefix of the preprocessing part of a composed model, or null for a plain model.</summary>
    internal static string? PrefixOf(ModelProto model) =>
        model.MetadataProps.FirstOrDefault(p => p.Key == PrefixMetadataKey)?.Value;

    private static void MergeOpsets(ModelProto pre, ModelProto model)
    {
        foreach (OperatorSetIdProto opset in pre.OpsetImport)
        {
            OperatorSetIdProto? mine = model.OpsetImport.FirstOrDefault(o => o.Domain == opset.Domain);
            if (mine is null)
            {
                model.OpsetImport.Add(opset.Clone());
            }
            else if (mine.Version != opset.Version)
            {
                string domain = opset.Domain.Length == 0 ? "ai.onnx (the default domain)" : opset.Domain;
                throw DeepEverestException.Invalid(
                    $"preprocessing: the preprocessing model imports opset {opset.Version} of {domain} but the model imports opset {mine.Version}; "
                    + "export the preprocessing model with the model's opset (operators can change meaning between versions).");
            }
        }
    }

    /// <summary>Runs the preprocessing model once on zeros and checks its output against the model's input.</summary>
    private static void CheckOutput(OnnxModelFile preprocessing, string output, OnnxModelFile model)
    {
        using var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_DISABLE_ALL };
        using InferenceSession session = OrtSessions.Create(preprocessing.Bytes.ToArray(), options);
        NodeMetadata meta = session.OutputMetadata[output];
        if (!meta.IsTensor || meta.ElementDataType != TensorElementType.Float)
        {
            throw DeepEverestException.Invalid(
                $"preprocessing: the preprocessing output '{output}' is {(meta.IsTensor ? meta.ElementDataType.ToString() : "not a tensor")}; the model's input '{model.InputName}' takes float32.");
        }

        long[] shape = [1, .. preprocessing.InputShape];
        using OrtValue zeros = OrtValue.CreateTensorValueFromMemory(new float[preprocessing.InputElements], shape);
        using var runOptions = new RunOptions();
        using IDisposableReadOnlyCollection<OrtValue> outputs = OrtSessions.Run(() => session.Run(runOptions, [preprocessing.InputName], [zeros], [output]));
        long[] produced = outputs[0].GetTensorTypeAndShape().Shape;
        long[] expected = [1, .. model.InputShape];
        if (!produced.SequenceEqual(expected))
        {
            throw DeepEverestException.Invalid(
                $"preprocessing: for one input of shape [{string.Join(", ", preprocessing.InputShape)}] the preprocessing model outputs [{string.Join(", ", produced)}], "
                + $"but the model's input '{model.InputName}' is [{string.Join(", ", expected)}].");
        }
    }

    /// <summary>
    /// Every name a graph uses: tensors, initializers, inputs, outputs, value_info, subgraphs
    /// included, and node names when <paramref name="nodeNames"/>.
    /// </summary>
    private static HashSet<string> Names(GraphProto graph, bool nodeNames)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        Visit(graph, name =>
        {
            if (name.Length > 0)
            {
                names.Add(name);
            }

            return name;
        });
        if (nodeNames)
        {
            names.UnionWith(graph.Node.Select(n => n.Name).Where(n => n.Length > 0));
        }

        return names;
    }

    /// <summary>Replaces every tensor name in <paramref name="graph"/> (not node names) by <paramref name="map"/>'s result.</summary>
    private static void Visit(GraphProto graph, Func<string, string> map)
    {
        foreach (NodeProto node in graph.Node)
        {
            for (int i = 0; i < node.Input.Count; i++)
            {
                node.Input[i] = map(node.Input[i]);
            }

            for (int i = 0; i < node.Output.Count; i++)
            {
                node.Output[i] = map(node.Output[i]);
            }

            foreach (AttributeProto attribute in node.Attribute)
            {
                if (attribute.G is not null)
                {
                    Visit(attribute.G, map);
                }

                foreach (GraphProto sub in attribute.Graphs)
                {
                    Visit(sub, map);
                }
            }
        }

        foreach (TensorProto tensor in graph.Initializer)
        {
            tensor.Name = map(tensor.Name);
        }

        foreach (SparseTensorProto sparse in graph.SparseInitializer)
        {
            if (sparse.Values is not null)
            {
                sparse.Values.Name = map(sparse.Values.Name);
            }

            if (sparse.Indices is not null && sparse.Indices.HasName)
            {
                sparse.Indices.Name = map(sparse.Indices.Name);
            }
        }

        foreach (ValueInfoProto info in graph.Input.Concat(graph.Output).Concat(graph.ValueInfo))
        {
            info.Name = map(info.Name);
        }
    }
}
