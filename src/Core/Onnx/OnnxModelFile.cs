using System.Security.Cryptography;
using DeepEverest.Core.Onnx.Proto;
using Google.Protobuf;

namespace DeepEverest.Core.Onnx;

/// <summary>
/// A parsed, validated ONNX model whose inputs all have the batch axis first: either one float tensor
/// with a fixed per-input shape (images, arrays: <see cref="TakesOneFloatTensor"/>) or any other set
/// of tensors (a text transformer's int64 <c>[batch, sequence]</c> inputs), described by
/// <see cref="Inputs"/>. Immutable: the bytes are copied on load, and <see cref="Sha256"/> identifies
/// the model.
/// </summary>
/// <remarks>
/// The model is checked only as far as DeepEverest depends on it (a graph with nodes, opsets, inputs
/// with declared types and shapes); operator validity is left to ONNX Runtime, which reports it when a
/// session is created.
/// </remarks>
public sealed class OnnxModelFile
{
    /// <summary>Most elements one model input may hold: 2^26 (256 MiB of float32).</summary>
    public const long MaxInputElements = 1L << 26;

    private const string Refusal = "not a valid ONNX model: ";

    private readonly byte[] _bytes;
    private readonly long[] _inputShape;

    private OnnxModelFile(byte[] bytes, ModelProto proto, string inputName, long[] inputShape, bool fixedBatchOfOne, ModelInput[] inputs)
    {
        Inputs = inputs;
        _bytes = bytes;
        Proto = proto;
        InputName = inputName;
        _inputShape = inputShape;
        FixedBatchOfOne = fixedBatchOfOne;
        Sha256 = Convert.ToHexStringLower(SHA256.HashData(bytes));
        long elements = 1;
        foreach (long dim in inputShape)
        {
            elements = checked(elements * dim);
        }

        InputElements = elements;
    }

    /// <summary>
    /// Name of the model's single real (non-initializer) graph input when it takes one float tensor
    /// (<see cref="TakesOneFloatTensor"/>); empty otherwise.
    /// </summary>
    public string InputName { get; }

    /// <summary>
    /// Shape of one input, without the batch axis (for the demo model <c>[1, 28, 28]</c>). Every entry
    /// is positive; empty when the model does not take one float tensor. Each read returns a fresh copy.
    /// </summary>
    public long[] InputShape => (long[])_inputShape.Clone();

    /// <summary>
    /// Number of floats in one input: the product of <see cref="InputShape"/>; 1 (the empty product)
    /// when the model does not take one float tensor.
    /// </summary>
    public long InputElements { get; }

    /// <summary>
    /// Every real graph input as declared, in graph order: for an image model its one float input
    /// <c>[batch, ...]</c>, for a text transformer e.g. <c>input_ids</c>, <c>attention_mask</c> and
    /// <c>token_type_ids</c>, int64 <c>[batch, sequence]</c>. Do not modify.
    /// </summary>
    public IReadOnlyList<ModelInput> Inputs { get; }

    /// <summary>
    /// True when the model takes exactly one float tensor with a fixed size after the batch axis:
    /// what a dataset of images or arrays feeds, and what indexes and queries support today.
    /// </summary>
    public bool TakesOneFloatTensor => InputName.Length > 0;

    /// <summary>SHA-256 of the file's bytes, as 64 lower-case hex digits.</summary>
    public string Sha256 { get; }

    /// <summary>The model file exactly as loaded.</summary>
    public ReadOnlyMemory<byte> Bytes => _bytes;

    /// <summary>
    /// The parsed model. Shared and cached by sha: never modify it; <c>Clone()</c> it before editing.
    /// </summary>
    internal ModelProto Proto { get; }

    /// <summary>
    /// True when the input declares its batch axis as the constant 1 rather than a symbol, so the model
    /// can only be run one input at a time.
    /// </summary>
    internal bool FixedBatchOfOne { get; }

    /// <summary>Reads and validates a model file.</summary>
    /// <param name="path">Path of an <c>.onnx</c> file (protobuf ModelProto, weights inside the file).</param>
    /// <exception cref="DeepEverestException">
    /// <see cref="ErrorKind.NotFound"/> when the file does not exist; <see cref="ErrorKind.InvalidArgument"/>
    /// when it cannot be read or is not a usable model (see <see cref="Load(byte[])"/>).
    /// </exception>
    public static OnnxModelFile LoadFile(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path))
        {
            throw DeepEverestException.NotFound($"model file '{path}' does not exist; check the path");
        }

        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new DeepEverestException(
                ErrorKind.InvalidArgument, $"cannot read model file '{path}' ({ex.Message}); check its permissions", ex);
        }

        return FromOwnedBytes(bytes);
    }

    /// <summary>Parses and validates a model held in memory. The bytes are copied.</summary>
    /// <exception cref="DeepEverestException">
    /// <see cref="ErrorKind.InvalidArgument"/> ("not a valid ONNX model: ...") when the bytes are empty,
    /// corrupt or truncated, when the model has no graph, no nodes or no opset, when its weights are in
    /// external data files, when it has no non-initializer input, when its one float input is not of
    /// shape <c>[batch, d1, ..., dn]</c> with a symbolic (or 1) batch axis and fixed positive
    /// <c>d1..dn</c>, or when any other input is not a tensor of rank 2 or more with a declared
    /// element type, a symbolic (or 1) batch axis and positive or named other axes.
    /// </exception>
    public static OnnxModelFile Load(byte[] bytes)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        return FromOwnedBytes(bytes.ToArray());
    }

    /// <summary>Parses and validates <paramref name="bytes"/>, which the new instance takes over.</summary>
    private static OnnxModelFile FromOwnedBytes(byte[] bytes)
    {
        if (bytes.Length == 0)
        {
            throw DeepEverestException.Invalid(Refusal + "the file is empty; export the model again");
        }

        ModelProto proto;
        try
        {
            proto = ModelProto.Parser.ParseFrom(bytes);
        }
        catch (InvalidProtocolBufferException ex)
        {
            throw new DeepEverestException(
                ErrorKind.InvalidArgument,
                Refusal + $"the protobuf is corrupt or truncated ({ex.Message}); export the model again",
                ex);
        }

        var (inputName, inputShape, fixedBatch, inputs) = Validate(proto);
        return new OnnxModelFile(bytes, proto, inputName, inputShape, fixedBatch, inputs);
    }

    private static (string Name, long[] Shape, bool FixedBatchOfOne, ModelInput[] Inputs) Validate(ModelProto proto)
    {
        // Random bytes often parse as a message made only of unknown fields, so the checks below,
        // not the parser, are what rejects most garbage.
        if (proto.Graph is null || proto.Graph.Node.Count == 0)
        {
            throw DeepEverestException.Invalid(Refusal + "it has no graph (or an empty one); export the model again");
        }

        if (proto.IrVersion <= 0 || proto.OpsetImport.Count == 0)
        {
            throw DeepEverestException.Invalid(
                Refusal + "it declares no IR version or no opset_import; export it with a current exporter");
        }

        // Models are loaded from bytes, so weights in side files could never be found.
        if (proto.Graph.Initializer.Any(t => t.DataLocation == TensorProto.Types.DataLocation.External))
        {
            throw DeepEverestException.Invalid(
                Refusal + "its weights are stored in external data files; save it as one file "
                + "(onnx.save(model, path, save_as_external_data=False))");
        }

        var initializers = OnnxGraph.InitializerNames(proto.Graph);
        var realInputs = proto.Graph.Input.Where(i => !initializers.Contains(i.Name)).ToList();
        if (realInputs.Count == 0)
        {
            throw DeepEverestException.Invalid(
                Refusal + "the model has no input tensor; export a model that takes one batch of inputs");
        }

        // One float tensor is what datasets of images and arrays feed: it keeps the strict rules
        // (fixed size after the batch axis). Any other set of inputs (a text transformer's
        // input_ids, attention_mask, token_type_ids) is described as declared; what can feed it is
        // decided when an index is built (docs/text-models.md).
        if (realInputs.Count > 1 || realInputs[0].Type?.TensorType?.ElemType != (int)TensorProto.Types.DataType.Float)
        {
            return (string.Empty, [], realInputs.Any(IsBatchOfOne), realInputs.Select(Describe).ToArray());
        }

        ValueInfoProto input = realInputs[0];
        var tensor = input.Type.TensorType;
        if (tensor.Shape is null || tensor.Shape.Dim.Count < 2)
        {
            throw DeepEverestException.Invalid(
                Refusal + $"input '{input.Name}' must have shape [batch, ...] with at least one dimension "
                + "after the batch axis; export it with a declared shape");
        }

        var batch = tensor.Shape.Dim[0];
        bool fixedOne = batch.ValueCase == TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue;
        if (fixedOne && batch.DimValue != 1)
        {
            throw DeepEverestException.Invalid(
                Refusal + $"the first axis of input '{input.Name}' is fixed at {batch.DimValue}; it must be the "
                + "batch axis, symbolic (e.g. dynamic_axes={'input': {0: 'batch'}}) or 1");
        }

        var shape = new long[tensor.Shape.Dim.Count - 1];
        for (int i = 0; i < shape.Length; i++)
        {
            var dim = tensor.Shape.Dim[i + 1];
            if (dim.ValueCase != TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue || dim.DimValue <= 0)
            {
                string shown = dim.ValueCase == TensorShapeProto.Types.Dimension.ValueOneofCase.DimParam
                    ? $"'{dim.DimParam}'"
                    : dim.ValueCase == TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue
                        ? dim.DimValue.ToString(System.Globalization.CultureInfo.InvariantCulture)
                        : "unknown";
                throw DeepEverestException.Invalid(
                    Refusal + $"dimension {i + 1} of input '{input.Name}' is {shown}; only the batch axis may "
                    + "be dynamic, export the model with a fixed input size");
            }

            shape[i] = dim.DimValue;
        }

        // Dividing first keeps the product from overflowing on hostile dimensions.
        long elements = 1;
        foreach (long dim in shape)
        {
            if (dim > MaxInputElements / elements)
            {
                throw DeepEverestException.Invalid(
                    Refusal + $"the dimensions of input '{input.Name}' [{string.Join(", ", shape)}] hold more than {MaxInputElements} elements per input");
            }

            elements *= dim;
        }

        return (input.Name, shape, fixedOne, [Describe(input)]);
    }

    /// <summary>
    /// Describes an input of a model that is not one float tensor: a tensor of rank 2 or more whose
    /// first axis is the batch axis (symbolic or 1) and whose other axes are fixed or named.
    /// </summary>
    private static ModelInput Describe(ValueInfoProto input)
    {
        if (input.Type?.TensorType is not { } tensor || !tensor.HasElemType || tensor.ElemType == 0)
        {
            throw DeepEverestException.Invalid(
                Refusal + $"input '{input.Name}' is not a tensor of a declared element type; DeepEverest feeds tensors");
        }

        if (tensor.Shape is null || tensor.Shape.Dim.Count < 2)
        {
            throw DeepEverestException.Invalid(
                Refusal + $"input '{input.Name}' must have shape [batch, ...] with at least one dimension "
                + "after the batch axis; export it with a declared shape");
        }

        var dims = new TensorDim[tensor.Shape.Dim.Count];
        for (int i = 0; i < dims.Length; i++)
        {
            var dim = tensor.Shape.Dim[i];
            dims[i] = dim.ValueCase switch
            {
                TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue when dim.DimValue > 0 => TensorDim.Fixed(dim.DimValue),
                TensorShapeProto.Types.Dimension.ValueOneofCase.DimParam when dim.DimParam.Length > 0 => TensorDim.Named(dim.DimParam),
                _ => throw DeepEverestException.Invalid(
                    Refusal + $"dimension {i} of input '{input.Name}' is neither a positive size nor a named axis; "
                    + "export the model with a declared shape"),
            };
        }

        if (dims[0] is { IsSymbolic: false, Size: not 1 })
        {
            throw DeepEverestException.Invalid(
                Refusal + $"the first axis of input '{input.Name}' is fixed at {dims[0].Size}; it must be the "
                + "batch axis, symbolic (e.g. dynamic_axes={'input': {0: 'batch'}}) or 1");
        }

        return new ModelInput(input.Name, OnnxTypes.Name(tensor.ElemType), dims);
    }

    private static bool IsBatchOfOne(ValueInfoProto input) =>
        input.Type?.TensorType?.Shape?.Dim is { Count: > 0 } dims
        && dims[0].ValueCase == TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue && dims[0].DimValue == 1;
}
