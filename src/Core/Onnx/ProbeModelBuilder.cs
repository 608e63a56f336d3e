using DeepEverest.Core.Onnx.Proto;
using Google.Protobuf;

namespace DeepEverest.Core.Onnx;

/// <summary>
/// Builds probe models: a model cut down to what computes one layer, whose single output is that
/// layer. ONNX Runtime returns only graph outputs, and running just the needed prefix of the network
/// is cheaper than running all of it.
/// </summary>
public static class ProbeModelBuilder
{
    /// <summary>The symbolic name given to the batch axis of the probe's output.</summary>
    public const string BatchDimension = "batch";

    /// <summary>
    /// Builds the probe for <paramref name="layer"/>, giving its output the shape that
    /// <see cref="ModelInspector.ListLayers"/> found: <see cref="LayerDescriptor.TensorShape"/>, with
    /// the batch axis named <see cref="BatchDimension"/> (e.g. <c>[batch, 1536]</c> or
    /// <c>[batch, sequence, 1536]</c>).
    /// </summary>
    /// <returns>The serialised probe model (ModelProto bytes).</returns>
    /// <exception cref="DeepEverestException">As for <see cref="Build(OnnxModelFile, string)"/>.</exception>
    public static byte[] Build(OnnxModelFile model, LayerDescriptor layer)
    {
        ArgumentNullException.ThrowIfNull(layer);
        return BuildProto(model, layer.Name, layer.TensorShape).ToByteArray();
    }

    /// <summary>
    /// Builds the probe for the tensor named <paramref name="layer"/>. The probe keeps the model's inputs
    /// that the layer depends on (a float model's single input always), only the nodes and initializers that the layer depends on (a control-flow node is kept with
    /// everything its subgraphs read), and ir_version, opset_import, producer, domain and metadata.
    /// Its one output is the layer as a float tensor; the output's shape is <c>[batch, ...]</c> when the
    /// model declares the layer's shape (graph output or value_info), and left for ONNX Runtime to infer
    /// otherwise (use the <see cref="LayerDescriptor"/> overload to always declare it).
    /// </summary>
    /// <returns>The serialised probe model (ModelProto bytes).</returns>
    /// <exception cref="DeepEverestException">
    /// <see cref="ErrorKind.NotFound"/> when no node outputs <paramref name="layer"/>;
    /// <see cref="ErrorKind.InvalidArgument"/> when <paramref name="layer"/> is the model input (it is
    /// not a layer: its values are the inputs themselves) or is declared with a non-float type.
    /// </exception>
    public static byte[] Build(OnnxModelFile model, string layer)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(layer);
        long[]? declared = DeclaredShape(model, layer);
        TensorDim[]? shape = declared is null ? null : [TensorDim.Named(BatchDimension), .. declared.Select(TensorDim.Fixed)];
        return BuildProto(model, layer, shape).ToByteArray();
    }

    /// <summary>Builds the probe as a message, so tests can inspect what it kept.</summary>
    /// <param name="model">The model to cut.</param>
    /// <param name="layer">The tensor to make the probe's one output.</param>
    /// <param name="tensorShape">The output's declared shape, batch axis first (renamed to
    /// <see cref="BatchDimension"/>); null to let ONNX Runtime infer it.</param>
    internal static ModelProto BuildProto(OnnxModelFile model, string layer, TensorDim[]? tensorShape)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(layer);
        GraphProto graph = model.Proto.Graph;
        var producers = OnnxGraph.ProducerIndex(graph);
        ThrowIfNotNodeOutput(model, layer, producers);

        var (nodes, names) = NeededNodes(graph, producers, layer);

        // Filter a deep copy, so the probe shares no mutable message with the cached model.
        var probe = model.Proto.Clone();
        var kept = probe.Graph;
        var allNodes = kept.Node.ToList();
        var initializers = kept.Initializer.ToList();
        var sparse = kept.SparseInitializer.ToList();
        var inputs = kept.Input.ToList();
        var valueInfo = kept.ValueInfo.ToList();
        kept.Node.Clear();
        kept.Initializer.Clear();
        kept.SparseInitializer.Clear();
        kept.Input.Clear();
        kept.Output.Clear();
        kept.ValueInfo.Clear();

        kept.Node.AddRange(nodes.Select(i => allNodes[i]));
        kept.Initializer.AddRange(initializers.Where(t => names.Contains(t.Name)));
        kept.SparseInitializer.AddRange(sparse.Where(s => s.Values is not null && names.Contains(s.Values.Name)));

        // Models below IR 4 must list every initializer as an input too, so keep those entries.
        kept.Input.AddRange(inputs.Where(i => i.Name == model.InputName || names.Contains(i.Name)));
        kept.ValueInfo.AddRange(valueInfo.Where(v => names.Contains(v.Name)));
        kept.Output.Add(OutputInfo(layer, tensorShape));
        return probe;
    }

    /// <summary>Refuses a layer name no node outputs, with the message users see.</summary>
    /// <exception cref="DeepEverestException">As for <see cref="Build(OnnxModelFile, string)"/>.</exception>
    internal static void ThrowIfNotNodeOutput(OnnxModelFile model, string layer) =>
        ThrowIfNotNodeOutput(model, layer, OnnxGraph.ProducerIndex(model.Proto.Graph));

    private static void ThrowIfNotNodeOutput(OnnxModelFile model, string layer, Dictionary<string, int> producers)
    {
        if (producers.ContainsKey(layer))
        {
            return;
        }

        if (model.Inputs.Any(i => i.Name == layer))
        {
            throw DeepEverestException.Invalid(
                $"'{layer}' is the model input, not a layer; IndexService.ListLayers lists the layers");
        }

        throw DeepEverestException.NotFound(
            $"layer '{layer}' is not an output of any node in model; IndexService.ListLayers lists the layers");
    }

    /// <summary>
    /// Indices (ascending, hence still topologically sorted) of the nodes <paramref name="layer"/>
    /// depends on, and every tensor name those nodes read or write.
    /// </summary>
    private static (List<int> Nodes, HashSet<string> Names) NeededNodes(
        GraphProto graph, Dictionary<string, int> producers, string layer)
    {
        var names = new HashSet<string>(StringComparer.Ordinal) { layer };
        var visited = new HashSet<int>();
        var pending = new Stack<string>();
        pending.Push(layer);
        while (pending.TryPop(out string? name))
        {
            // Names without a producer are graph inputs, initializers or outer-scope values: leaves.
            if (!producers.TryGetValue(name, out int index) || !visited.Add(index))
            {
                continue;
            }

            foreach (string read in OnnxGraph.ReadNames(graph.Node[index]))
            {
                if (names.Add(read))
                {
                    pending.Push(read);
                }
            }
        }

        var nodes = visited.Order().ToList();
        foreach (int index in nodes)
        {
            names.UnionWith(graph.Node[index].Output.Where(o => o.Length > 0));
        }

        return (nodes, names);
    }

    private static ValueInfoProto OutputInfo(string layer, TensorDim[]? tensorShape)
    {
        var tensor = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float };
        if (tensorShape is not null)
        {
            // The batch axis stays symbolic so one probe serves every batch size; so does a sequence.
            tensor.Shape = new TensorShapeProto();
            tensor.Shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimParam = BatchDimension });
            foreach (TensorDim dim in tensorShape.Skip(1))
            {
                tensor.Shape.Dim.Add(dim.Symbol is { } symbol
                    ? new TensorShapeProto.Types.Dimension { DimParam = symbol }
                    : new TensorShapeProto.Types.Dimension { DimValue = dim.Size });
            }
        }

        return new ValueInfoProto { Name = layer, Type = new TypeProto { TensorType = tensor } };
    }

    /// <summary>
    /// The layer's shape without the batch axis when the model declares it fully (all dims after the
    /// first fixed); null when it is not declared. Refuses a layer declared with a non-float type.
    /// </summary>
    private static long[]? DeclaredShape(OnnxModelFile model, string layer)
    {
        GraphProto graph = model.Proto.Graph;
        var info = graph.Output.Concat(graph.ValueInfo).FirstOrDefault(v => v.Name == layer);
        if (info?.Type?.TensorType is not { } tensor)
        {
            return null;
        }

        if (tensor.HasElemType && tensor.ElemType != (int)TensorProto.Types.DataType.Float)
        {
            throw DeepEverestException.Invalid(
                $"layer '{layer}' is not a float tensor (element type {tensor.ElemType}); DeepEverest indexes "
                + "float activations, IndexService.ListLayers lists the layers");
        }

        var dims = tensor.Shape?.Dim;
        if (dims is null || dims.Count == 0
            || dims.Skip(1).Any(d => d.ValueCase != TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue))
        {
            return null;
        }

        return dims.Skip(1).Select(d => d.DimValue).ToArray();
    }
}
