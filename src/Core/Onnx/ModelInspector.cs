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
    /// Every float tensor a node computes from the model input and whose leading axis is the batch
    /// axis, ordered by <see cref="LayerDescriptor.Order"/> (then by output position). The graph input
    /// itself, initializers, and input-independent constants are not layers.
    /// </summary>
    /// <remarks>
    /// PyTorch exports leave <c>value_info</c> empty, so shapes come from running ONNX Runtime once on a
    /// batch of one all-zero input with every candidate tensor exposed as a graph output. A tensor whose
    /// first axis is not 1 in that run (a reshape that folded the batch into another axis, a scalar
    /// statistic) has no per-input slice and is left out. Results are cached per <see cref="OnnxModelFile.Sha256"/>.
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
        var dependent = OnnxGraph.InputDependentTensors(graph, model.InputName);
        // The preprocessing part of a composed model is not a layer anyone asked about.
        string? preprocessing = PreprocessingComposer.PrefixOf(model.Proto);
        var candidates = producers.Keys
            .Where(n => dependent.Contains(n) && n != model.InputName)
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

        var shapes = RunOnce(exposed.ToByteArray(), model);
        var layers = new List<LayerDescriptor>();
        foreach (string name in candidates)
        {
            if (!shapes.TryGetValue(name, out long[]? full) || full.Length == 0 || full[0] != 1)
            {
                continue;
            }

            long[] shape = full[1..];
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
            layers.Add(new LayerDescriptor(name, graph.Node[order].OpType, shape, neurons, order));
        }

        // OrderBy is stable, so outputs of one node keep their declared order.
        return layers.OrderBy(l => l.Order).ToArray();
    }

    /// <summary>Runs the model on one zero input and returns the shape of every float tensor output.</summary>
    private static Dictionary<string, long[]> RunOnce(byte[] modelBytes, OnnxModelFile model)
    {
        // No graph optimisation: every output is requested anyway, and this keeps node semantics exact.
        using var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_DISABLE_ALL };
        using var session = OrtSessions.Create(modelBytes, options);

        var floatOutputs = session.OutputMetadata
            .Where(m => m.Value.IsTensor && m.Value.ElementDataType == TensorElementType.Float)
            .Select(m => m.Key)
            .ToArray();

        long[] inputShape = [1, .. model.InputShape];
        using var input = OrtValue.CreateTensorValueFromMemory(new float[model.InputElements], inputShape);
        var result = new Dictionary<string, long[]>(StringComparer.Ordinal);
        if (floatOutputs.Length == 0)
        {
            return result;
        }

        using var runOptions = new RunOptions();
        using var outputs = OrtSessions.Run(
            () => session.Run(runOptions, [model.InputName], [input], floatOutputs));
        for (int i = 0; i < floatOutputs.Length; i++)
        {
            result[floatOutputs[i]] = outputs[i].GetTensorTypeAndShape().Shape;
        }

        return result;
    }
}
