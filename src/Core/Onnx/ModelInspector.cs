using System.Collections.Concurrent;
using DeepEverest.Core.Onnx.Proto;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace DeepEverest.Core.Onnx;

/// <summary>Lists the layers of a model whose activations DeepEverest can index.</summary>
public static class ModelInspector
{
    // Listing creates a session and runs the model once (10-100 ms for the demo model, more for large
    // ones); models are immutable and keyed by content hash, so an answer never goes stale, and a
    // process sees a handful of models, so the cache stays small.
    private static readonly ConcurrentDictionary<string, LayerDescriptor[]> _cache = new(StringComparer.Ordinal);

    /// <summary>
    /// Every float tensor a node computes from the model inputs and whose leading axis is the batch
    /// axis, and whose other axes are either all fixed (one item per input, as in image models) or a
    /// symbolic second axis followed by fixed ones (one item per position, as a transformer's
    /// <c>[batch, sequence, width]</c>: <c>width</c> neurons per token). Ordered by
    /// <see cref="LayerDescriptor.Order"/> (then by output position). The graph inputs themselves,
    /// initializers, and input-independent constants are not layers.
    /// </summary>
    /// <remarks>
    /// PyTorch exports leave <c>value_info</c> empty, so shapes come from running ONNX Runtime on a
    /// batch of one all-zero input with every candidate tensor exposed as a graph output. When an input
    /// has symbolic axes besides the batch axis (a sequence), it runs twice with different sizes of
    /// each: an output axis that follows the sizes of a symbol is that symbolic axis, one that stays
    /// put is fixed. A tensor whose first axis is not 1 (a reshape that folded the batch into another
    /// axis, a scalar statistic), or with any other symbolic axis (attention scores
    /// <c>[batch, heads, sequence, sequence]</c>, masks), has no fixed neurons per item and is left
    /// out. Results are cached per <see cref="OnnxModelFile.Sha256"/>.
    /// </remarks>
    /// <exception cref="DeepEverestException">
    /// <see cref="ErrorKind.InvalidArgument"/> when ONNX Runtime cannot load or run the model.
    /// </exception>
    public static IReadOnlyList<LayerDescriptor> ListLayers(OnnxModelFile model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var layers = _cache.GetOrAdd(model.Sha256, _ => Discover(model));

        // Copies, so a caller that writes into a Shape array cannot corrupt the cache.
        return Array.ConvertAll(layers, l => l with { Shape = (long[])l.Shape.Clone() });
    }

    /// <summary>The layer called <paramref name="name"/>, or null when it is not one.</summary>
    internal static LayerDescriptor? FindLayer(OnnxModelFile model, string name) =>
        ListLayers(model).FirstOrDefault(l => l.Name == name);

    private static LayerDescriptor[] Discover(OnnxModelFile model)
    {
        GraphProto graph = model.Proto.Graph;
        var producers = OnnxGraph.ProducerIndex(graph);
        var inputNames = model.Inputs.Select(i => i.Name).ToHashSet(StringComparer.Ordinal);
        var dependent = OnnxGraph.InputDependentTensors(graph, inputNames);
        // The preprocessing part of a composed model is not a layer anyone asked about.
        string? preprocessing = PreprocessingComposer.PrefixOf(model.Proto);
        var candidates = producers.Keys
            .Where(n => dependent.Contains(n) && !inputNames.Contains(n))
            .Where(n => preprocessing is null || !graph.Node[producers[n]].Name.StartsWith(preprocessing, StringComparison.Ordinal))
            .ToList();

        ModelProto exposed = model.Proto.Clone();
        var declared = new Dictionary<string, ValueInfoProto>(StringComparer.Ordinal);
        foreach (var output in exposed.Graph.Output)
        {
            declared.TryAdd(output.Name, output);
        }

        exposed.Graph.Output.Clear();
        foreach (string name in candidates)
        {
            // A bare name is enough: ONNX Runtime infers the type and shape of a graph output.
            exposed.Graph.Output.Add(declared.TryGetValue(name, out var info) ? info : new ValueInfoProto { Name = name });
        }

        var probe = new ShapeProbe(model.Inputs);
        var (first, second) = RunTwice(exposed.ToByteArray(), model, probe);
        var layers = new List<LayerDescriptor>();
        foreach (string name in candidates)
        {
            if (!first.TryGetValue(name, out long[]? a) || !second.TryGetValue(name, out long[]? b)
                || probe.Describe(a, b) is not { } tensorShape)
            {
                continue;
            }

            // One item is one input, or one position along a symbolic second axis (a token); any
            // other symbolic axis (attention scores, masks) leaves no fixed set of neurons per item.
            int itemAxes = tensorShape.Length > 1 && tensorShape[1].IsSymbolic ? 2 : 1;
            if (tensorShape.Skip(itemAxes).Any(d => d.IsSymbolic) || (itemAxes == 2 && tensorShape.Length == 2))
            {
                continue;
            }

            long[] shape = a[itemAxes..];
            long neurons = 1;
            foreach (long dim in shape)
            {
                neurons = checked(neurons * dim);
            }

            if (neurons == 0)
            {
                continue;
            }

            int order = producers[name];
            layers.Add(new LayerDescriptor(name, graph.Node[order].OpType, shape, neurons, order, tensorShape));
        }

        // OrderBy is stable, so outputs of one node keep their declared order.
        return layers.OrderBy(l => l.Order).ToArray();
    }

    /// <summary>
    /// Runs the model on a batch of one all-zero input per graph input and returns the shape of every
    /// float tensor output; twice, at two sizes of each symbolic input axis, when there are any (else
    /// both results are the one run's).
    /// </summary>
    private static (Dictionary<string, long[]> First, Dictionary<string, long[]> Second) RunTwice(
        byte[] modelBytes, OnnxModelFile model, ShapeProbe probe)
    {
        // No graph optimisation: every output is requested anyway, and this keeps node semantics exact.
        using var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_DISABLE_ALL };
        using var session = OrtSessions.Create(modelBytes, options);

        var floatOutputs = session.OutputMetadata
            .Where(m => m.Value.IsTensor && m.Value.ElementDataType == TensorElementType.Float)
            .Select(m => m.Key)
            .ToArray();
        if (floatOutputs.Length == 0)
        {
            return ([], []);
        }

        var first = RunOnce(session, model, probe, 0, floatOutputs);
        return (first, probe.HasSymbols ? RunOnce(session, model, probe, 1, floatOutputs) : first);
    }

    private static Dictionary<string, long[]> RunOnce(
        InferenceSession session, OnnxModelFile model, ShapeProbe probe, int run, string[] floatOutputs)
    {
        var inputs = new List<OrtValue>();
        try
        {
            foreach (ModelInput input in model.Inputs)
            {
                inputs.Add(ZeroTensor(input, probe.Sizes(input, run)));
            }

            using var runOptions = new RunOptions();
            using var outputs = OrtSessions.Run(
                () => session.Run(runOptions, model.Inputs.Select(i => i.Name).ToArray(), inputs, floatOutputs));
            var result = new Dictionary<string, long[]>(StringComparer.Ordinal);
            for (int i = 0; i < floatOutputs.Length; i++)
            {
                result[floatOutputs[i]] = outputs[i].GetTensorTypeAndShape().Shape;
            }

            return result;
        }
        finally
        {
            foreach (var value in inputs)
            {
                value.Dispose();
            }
        }
    }

    /// <summary>
    /// An all-zero tensor for <paramref name="input"/>: token id 0, mask 0 and type 0 for a
    /// transformer, which only the shapes of the run depend on.
    /// </summary>
    private static OrtValue ZeroTensor(ModelInput input, long[] shape)
    {
        int count = checked((int)shape.Aggregate(1L, (a, d) => a * d));
        return input.ElementType switch
        {
            "float" => OrtValue.CreateTensorValueFromMemory(new float[count], shape),
            "double" => OrtValue.CreateTensorValueFromMemory(new double[count], shape),
            "int64" => OrtValue.CreateTensorValueFromMemory(new long[count], shape),
            "int32" => OrtValue.CreateTensorValueFromMemory(new int[count], shape),
            "int16" => OrtValue.CreateTensorValueFromMemory(new short[count], shape),
            "int8" => OrtValue.CreateTensorValueFromMemory(new sbyte[count], shape),
            "uint8" => OrtValue.CreateTensorValueFromMemory(new byte[count], shape),
            "bool" => OrtValue.CreateTensorValueFromMemory(new bool[count], shape),
            _ => throw DeepEverestException.Invalid(
                $"input '{input.Name}' has element type {input.ElementType}, which DeepEverest cannot feed; "
                + "export the model with float, double, bool or integer inputs"),
        };
    }
}
