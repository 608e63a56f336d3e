namespace DeepEverest.Core.Onnx;

/// <summary>
/// One layer of a model: a float tensor some node computes from the inputs, whose activations
/// DeepEverest can index.
/// </summary>
/// <param name="Name">The tensor's name in the graph (e.g. <c>/block2/layers/layers.5/Relu_output_0</c>).</param>
/// <param name="OpType">The ONNX operator that produces it (e.g. <c>Relu</c>, <c>Conv</c>, <c>Gemm</c>).</param>
/// <param name="Shape">
/// Shape of one item's activations. For a layer without symbolic axes after the batch axis one item is
/// one input and this is the tensor's shape without the batch axis; for a layer <c>[batch, s, w1..wn]</c>
/// with <c>s</c> symbolic (a transformer's <c>[batch, sequence, width]</c>) one item is one position
/// along <c>s</c> (a token) and this is <c>[w1..wn]</c>. Do not modify.
/// </param>
/// <param name="Neurons">Number of activations per item: the product of <paramref name="Shape"/>.</param>
/// <param name="Order">
/// Position of the producing node in the graph's (topologically sorted) node list; layers of one
/// multi-output node share it. Sorting by it lists layers from input to output.
/// </param>
/// <param name="TensorShape">
/// The tensor's full shape, batch axis first, symbolic axes by name (<c>[batch, sequence, 1536]</c>).
/// Do not modify.
/// </param>
public sealed record LayerDescriptor(string Name, string OpType, long[] Shape, long Neurons, int Order, TensorDim[] TensorShape)
{
    /// <summary>True when one item is one position along a symbolic axis (a token), not one input.</summary>
    public bool HasItemAxis => TensorShape.Length > 1 && TensorShape[1].IsSymbolic;
}
