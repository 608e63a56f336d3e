using DeepEverest.Core.Onnx.Proto;

namespace DeepEverest.Core.Onnx;

/// <summary>Names of ONNX tensor element types, as recorded in the store and shown by the API.</summary>
public static class OnnxTypes
{
    /// <summary>
    /// The lower-case ONNX name of element type <paramref name="elemType"/> (<c>TensorProto.DataType</c>
    /// numbering): 1 is <c>float</c>, 7 is <c>int64</c>; <c>type N</c> for a number ONNX does not define.
    /// </summary>
    public static string Name(int elemType) =>
        Enum.IsDefined((TensorProto.Types.DataType)elemType)
            ? ((TensorProto.Types.DataType)elemType).ToString().ToLowerInvariant()
            : $"type {elemType}";
}
