namespace DeepEverest.Core.Onnx;

/// <summary>One real (non-initializer) graph input of a model, as the model declares it.</summary>
/// <param name="Name">The input's name in the graph, e.g. <c>input</c>, <c>input_ids</c>.</param>
/// <param name="ElementType">
/// ONNX element type name in lower case (<c>float</c>, <c>int64</c>, ...; see <see cref="OnnxTypes.Name"/>).
/// </param>
/// <param name="Shape">Declared shape, batch axis first (symbolic or fixed at 1). Do not modify.</param>
public sealed record ModelInput(string Name, string ElementType, TensorDim[] Shape)
{
    /// <summary>The input as shown in messages: <c>input_ids (int64 [batch, sequence])</c>.</summary>
    public override string ToString() => $"{Name} ({ElementType} {TensorDim.Format(Shape)})";
}
