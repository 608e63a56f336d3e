namespace DeepEverest.Core.Onnx;

/// <summary>
/// One layer of a model: a float tensor some node computes from the input, whose activations
/// DeepEverest can index.
/// </summary>
/// <param name="Name">The tensor's name in the graph (e.g. <c>/block2/layers/layers.5/Relu_output_0</c>).</param>
/// <param name="OpType">The ONNX operator that produces it (e.g. <c>Relu</c>, <c>Conv</c>, <c>Gemm</c>).</param>
/// <param name="Shape">Its shape for one input, without the batch axis. Do not modify.</param>
/// <param name="Neurons">Number of activations per input: the product of <paramref name="Shape"/>.</param>
/// <param name="Order">
/// Position of the producing node in the graph's (topologically sorted) node list; layers of one
/// multi-output node share it. Sorting by it lists layers from input to output.
/// </param>
public sealed record LayerDescriptor(string Name, string OpType, long[] Shape, long Neurons, int Order);
