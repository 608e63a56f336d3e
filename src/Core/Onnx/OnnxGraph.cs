using DeepEverest.Core.Onnx.Proto;

namespace DeepEverest.Core.Onnx;

/// <summary>Graph queries over a <see cref="GraphProto"/> shared by the inspector and the probe builder.</summary>
internal static class OnnxGraph
{
    /// <summary>Names of the dense and sparse initializers of <paramref name="graph"/>.</summary>
    public static HashSet<string> InitializerNames(GraphProto graph)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var tensor in graph.Initializer)
        {
            names.Add(tensor.Name);
        }

        foreach (var sparse in graph.SparseInitializer)
        {
            if (sparse.Values is not null)
            {
                names.Add(sparse.Values.Name);
            }
        }

        return names;
    }

    /// <summary>
    /// Maps every tensor a node produces to the index of that node in <c>graph.node</c>. ONNX requires
    /// the node list to be topologically sorted, so the index is also the node's topological position.
    /// </summary>
    public static Dictionary<string, int> ProducerIndex(GraphProto graph)
    {
        var producers = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < graph.Node.Count; i++)
        {
            foreach (string output in graph.Node[i].Output)
            {
                // An empty name marks an omitted optional output.
                if (output.Length > 0)
                {
                    producers.TryAdd(output, i);
                }
            }
        }

        return producers;
    }

    /// <summary>
    /// Every tensor name <paramref name="node"/> may read: its explicit inputs plus, for control-flow
    /// nodes (If, Loop, Scan), every name any node inside its subgraphs reads. Names a subgraph defines
    /// itself are included too; that only over-approximates, which is safe for the reachability
    /// questions asked here (it can keep an unneeded node, never drop a needed one).
    /// </summary>
    public static IEnumerable<string> ReadNames(NodeProto node)
    {
        foreach (string input in node.Input)
        {
            if (input.Length > 0)
            {
                yield return input;
            }
        }

        foreach (var attribute in node.Attribute)
        {
            foreach (var subgraph in Subgraphs(attribute))
            {
                foreach (var inner in subgraph.Node)
                {
                    foreach (string name in ReadNames(inner))
                    {
                        yield return name;
                    }
                }
            }
        }
    }

    /// <summary>
    /// The names of the tensors computed from <paramref name="input"/>, directly or through other nodes:
    /// activations, as opposed to constants and weights that do not change with the input.
    /// </summary>
    public static HashSet<string> InputDependentTensors(GraphProto graph, string input) =>
        InputDependentTensors(graph, [input]);

    /// <summary>The names of the tensors computed from any of <paramref name="inputs"/> (and those inputs).</summary>
    public static HashSet<string> InputDependentTensors(GraphProto graph, IEnumerable<string> inputs)
    {
        var dependent = new HashSet<string>(inputs, StringComparer.Ordinal);
        foreach (var node in graph.Node)
        {
            if (ReadNames(node).Any(dependent.Contains))
            {
                foreach (string output in node.Output)
                {
                    if (output.Length > 0)
                    {
                        dependent.Add(output);
                    }
                }
            }
        }

        return dependent;
    }

    private static IEnumerable<GraphProto> Subgraphs(AttributeProto attribute)
    {
        if (attribute.G is not null)
        {
            yield return attribute.G;
        }

        foreach (var graph in attribute.Graphs)
        {
            yield return graph;
        }
    }
}
