using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace DeepEverest.Core.Onnx;

/// <summary>
/// Computes one layer's activations for batches of preprocessed inputs by running a probe model
/// (see <see cref="ProbeModelBuilder"/>) in ONNX Runtime.
/// </summary>
/// <remarks>
/// Not thread-safe: it reuses one set of pinned buffers. Use one runner per thread, or lock around
/// <see cref="Run"/>. In the steady state (batch sizes seen before) a call allocates no managed memory:
/// inputs and outputs go through preallocated pinned arrays bound once per batch size with an
/// <see cref="OrtIoBinding"/>.
/// </remarks>
public sealed class ActivationRunner : IDisposable
{
    private readonly SessionOptions _sessionOptions;
    private readonly InferenceSession _session;
    private readonly RunOptions _runOptions = new();
    private readonly string _inputName;
    private readonly string _outputName;
    private readonly long[] _inputShape;
    private readonly int _maxBatch;
    private readonly long[] _layerShape;

    // One binding per chunk size, over the front of the shared buffers; at most MaxBatch entries
    // (in practice two: MaxBatch and the last chunk's remainder).
    private readonly Dictionary<int, ChunkBinding> _bindings = [];
    private float[] _inputBuffer = [];
    private float[] _outputBuffer = [];
    private bool _disposed;

    /// <summary>Creates a runner over a probe model.</summary>
    /// <param name="probeModel">Serialised probe: one input, one float output <c>[batch, ...]</c>.</param>
    /// <param name="inputName">Name of the probe's input.</param>
    /// <param name="inputShape">Shape of one input without the batch axis; every entry positive.</param>
    /// <param name="neurons">Floats per input in the output (product of the layer's shape).</param>
    /// <param name="options">Threading and batching; null for the defaults.</param>
    /// <exception cref="ArgumentException">A size is out of range or does not match the probe.</exception>
    /// <exception cref="DeepEverestException">
    /// <see cref="ErrorKind.InvalidArgument"/> when ONNX Runtime cannot load or run the probe, or an
    /// option is out of range.
    /// </exception>
    public ActivationRunner(
        byte[] probeModel,
        string inputName,
        IReadOnlyList<long> inputShape,
        long neurons,
        ActivationRunnerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(probeModel);
        ArgumentException.ThrowIfNullOrEmpty(inputName);
        ArgumentNullException.ThrowIfNull(inputShape);
        options ??= new ActivationRunnerOptions();
        options.Validate();
        if (inputShape.Count == 0 || inputShape.Any(d => d <= 0))
        {
            throw new ArgumentException("every input dimension must be positive", nameof(inputShape));
        }

        long inputElements = inputShape.Aggregate(1L, (a, d) => checked(a * d));
        long perRow = inputElements + neurons;
        if (neurons <= 0 || (long)options.MaxBatch * perRow > Array.MaxLength)
        {
            throw new ArgumentOutOfRangeException(
                nameof(neurons), $"need 0 < MaxBatch x (input elements + neurons) <= {Array.MaxLength}");
        }

        _inputName = inputName;
        _inputShape = [.. inputShape];
        InputElements = (int)inputElements;
        Neurons = (int)neurons;
        _sessionOptions = new SessionOptions
        {
            // Full optimisation is safe: the tests show the probe's output equals the same tensor
            // read from the full model.
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            IntraOpNumThreads = options.IntraOpThreads,
        };
        try
        {
            _session = OrtSessions.Create(probeModel, _sessionOptions);
            _outputName = CheckSignature(out bool fixedBatchOfOne);

            // A model exported with a constant batch of 1 runs one input at a time.
            _maxBatch = fixedBatchOfOne ? 1 : options.MaxBatch;
            _layerShape = ReadLayerShape();
        }
        catch
        {
            _session?.Dispose();
            _sessionOptions.Dispose();
            _runOptions.Dispose();
            throw;
        }
    }

    /// <summary>Floats in one input: the product of the input shape.</summary>
    public int InputElements { get; }

    /// <summary>Floats per input in the output: the product of <see cref="LayerShape"/>.</summary>
    public int Neurons { get; }

    /// <summary>The layer's shape for one input, without the batch axis. Each read returns a fresh copy.</summary>
    public long[] LayerShape => (long[])_layerShape.Clone();

    /// <summary>Builds the probe for <paramref name="layer"/> of <paramref name="model"/> and a runner over it.</summary>
    /// <exception cref="DeepEverestException">
    /// <see cref="ErrorKind.NotFound"/> when no node outputs <paramref name="layer"/>;
    /// <see cref="ErrorKind.InvalidArgument"/> when it is not a float layer with a batch axis (see
    /// <see cref="ModelInspector.ListLayers"/>), or ONNX Runtime cannot run the model;
    /// <see cref="ErrorKind.FailedPrecondition"/> when the model does not take one float tensor
    /// (<see cref="OnnxModelFile.TakesOneFloatTensor"/>): text transformers run in <see cref="TokenActivationRunner"/>.
    /// </exception>
    public static ActivationRunner Create(OnnxModelFile model, string layer, ActivationRunnerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(layer);
        ThrowIfNotFedByDatasets(model);
        ProbeModelBuilder.ThrowIfNotNodeOutput(model, layer);
        var descriptor = ModelInspector.FindLayer(model, layer)
            ?? throw DeepEverestException.Invalid(
                $"'{layer}' is not a float tensor with a per-input batch axis, so it cannot be indexed; "
                + "IndexService.ListLayers lists the layers");
        byte[] probe = ProbeModelBuilder.Build(model, descriptor);
        return new ActivationRunner(probe, model.InputName, model.InputShape, descriptor.Neurons, options);
    }

    /// <summary>
    /// Refuses a model whose inputs are not one float tensor: this runner feeds rows of floats; a
    /// text transformer runs in <see cref="TokenActivationRunner"/> over a text dataset.
    /// </summary>
    /// <exception cref="DeepEverestException"><see cref="ErrorKind.FailedPrecondition"/>, naming the inputs.</exception>
    internal static void ThrowIfNotFedByDatasets(OnnxModelFile model)
    {
        if (!model.TakesOneFloatTensor)
        {
            throw DeepEverestException.Precondition(NotFedMessage(string.Join(", ", model.Inputs)));
        }
    }

    /// <summary>The refusal for a model whose inputs (<paramref name="inputs"/>, as shown) a dataset of arrays or images cannot feed.</summary>
    internal static string NotFedMessage(string inputs) =>
        $"the model takes {inputs}; a dataset of arrays or images feeds one float tensor [batch, ...]: a model with several "
        + "or non-float inputs (a text transformer) runs over a text dataset (ImportDatasetRequest.text, docs/text.md)";

    /// <summary>
    /// Computes the layer for <paramref name="batch"/> inputs. Batches above MaxBatch run in chunks.
    /// </summary>
    /// <param name="inputs"><c>batch x InputElements</c> preprocessed floats, row-major, one input per row.</param>
    /// <param name="batch">Number of inputs, 0 or more.</param>
    /// <param name="activations">
    /// Receives <c>batch x Neurons</c> floats, row-major, in input order: exactly what ONNX Runtime
    /// computes (NaN or infinite inputs propagate as the operators define; nothing is filtered).
    /// </param>
    /// <exception cref="ArgumentException">A span's length is not the one stated above.</exception>
    /// <exception cref="ObjectDisposedException">The runner was disposed.</exception>
    /// <exception cref="DeepEverestException">
    /// <see cref="ErrorKind.InvalidArgument"/> when ONNX Runtime fails on the inputs; rows of earlier
    /// chunks may already be written.
    /// </exception>
    public void Run(ReadOnlySpan<float> inputs, int batch, Span<float> activations)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentOutOfRangeException.ThrowIfNegative(batch);
        if (inputs.Length != (long)batch * InputElements)
        {
            throw new ArgumentException(
                $"expected {batch} x {InputElements} input floats, got {inputs.Length}", nameof(inputs));
        }

        if (activations.Length != (long)batch * Neurons)
        {
            throw new ArgumentException(
                $"expected {batch} x {Neurons} activation floats, got {activations.Length}", nameof(activations));
        }

        for (int start = 0; start < batch; start += _maxBatch)
        {
            int rows = Math.Min(_maxBatch, batch - start);
            var chunk = BindingFor(rows);
            inputs.Slice(start * InputElements, rows * InputElements).CopyTo(_inputBuffer);
            try
            {
                _session.RunWithBinding(_runOptions, chunk.Binding);
            }
            catch (OnnxRuntimeException ex)
            {
                throw new DeepEverestException(
                    ErrorKind.InvalidArgument,
                    $"ONNX Runtime failed to compute the layer for a batch of {rows} ({ex.Message})",
                    ex);
            }

            _outputBuffer.AsSpan(0, rows * Neurons).CopyTo(activations.Slice(start * Neurons));
        }
    }

    /// <summary>Releases the ONNX Runtime session and unpins the buffers.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        DisposeBindings();
        _session.Dispose();
        _sessionOptions.Dispose();
        _runOptions.Dispose();
    }

    private ChunkBinding BindingFor(int rows)
    {
        if (_bindings.TryGetValue(rows, out var chunk))
        {
            return chunk;
        }

        if (_inputBuffer.Length < rows * InputElements)
        {
            // Existing bindings pin the old arrays; drop them all before growing. Growth happens at
            // most once per new largest chunk, never in the steady state.
            DisposeBindings();
            _inputBuffer = new float[rows * InputElements];
            _outputBuffer = new float[rows * Neurons];
        }

        chunk = new ChunkBinding(
            _session,
            (_inputName, _inputBuffer.AsMemory(0, rows * InputElements), [rows, .. _inputShape]),
            (_outputName, _outputBuffer.AsMemory(0, rows * Neurons), [rows, .. _layerShape]));
        _bindings.Add(rows, chunk);
        return chunk;
    }

    private void DisposeBindings()
    {
        foreach (var chunk in _bindings.Values)
        {
            chunk.Dispose();
        }

        _bindings.Clear();
    }

    /// <summary>Checks the probe has the expected input and one float output; returns the output's name.</summary>
    private string CheckSignature(out bool fixedBatchOfOne)
    {
        if (!_session.InputMetadata.TryGetValue(_inputName, out var input) || _session.InputMetadata.Count != 1)
        {
            throw new ArgumentException(
                $"the probe must have exactly one input, '{_inputName}'; it has "
                + string.Join(", ", _session.InputMetadata.Keys),
                "inputName");
        }

        int[] dims = input.Dimensions;
        if (dims.Length != _inputShape.Length + 1
            || dims.Skip(1).Zip(_inputShape).Any(p => p.First > 0 && p.First != p.Second))
        {
            throw new ArgumentException(
                $"the probe's input has shape [{string.Join(", ", dims)}], "
                + $"expected [batch, {string.Join(", ", _inputShape)}]",
                "inputShape");
        }

        fixedBatchOfOne = dims[0] == 1;
        if (_session.OutputMetadata.Count != 1)
        {
            throw DeepEverestException.Invalid(
                $"a probe model must have exactly one output, this one has {_session.OutputMetadata.Count}; "
                + "build it with ProbeModelBuilder");
        }

        var (name, output) = _session.OutputMetadata.First();
        if (!output.IsTensor || output.ElementDataType != TensorElementType.Float)
        {
            throw DeepEverestException.Invalid($"the probe's output '{name}' is not a float tensor");
        }

        return name;
    }

    /// <summary>
    /// The output shape without the batch axis, from the probe's declaration when complete, else from
    /// one run on a zero input (ONNX Runtime requires a bound output to have the exact shape).
    /// </summary>
    private long[] ReadLayerShape()
    {
        int[] declared = _session.OutputMetadata[_outputName].Dimensions;
        long[] shape;
        if (declared.Length > 0 && declared.Skip(1).All(d => d > 0))
        {
            shape = declared.Skip(1).Select(d => (long)d).ToArray();
        }
        else
        {
            using var input = OrtValue.CreateTensorValueFromMemory(new float[InputElements], [1, .. _inputShape]);
            using var outputs = OrtSessions.Run(() => _session.Run(_runOptions, [_inputName], [input], [_outputName]));
            shape = outputs[0].GetTensorTypeAndShape().Shape[1..];
        }

        long neurons = shape.Aggregate(1L, (a, d) => a * d);
        if (neurons != Neurons)
        {
            throw new ArgumentException(
                $"the probe's output has shape [batch, {string.Join(", ", shape)}] = {neurons} neurons per input, "
                + $"expected {Neurons}",
                "neurons");
        }

        return shape;
    }

    /// <summary>An IO binding of the front <c>rows</c> rows of the shared input and output buffers.</summary>
    private sealed class ChunkBinding : IDisposable
    {
        private readonly OrtValue _input;
        private readonly OrtValue _output;

        public ChunkBinding(
            InferenceSession session,
            (string Name, Memory<float> Memory, long[] Shape) input,
            (string Name, Memory<float> Memory, long[] Shape) output)
        {
            // The OrtValues pin their memory until disposed, so ONNX Runtime reads and writes the
            // runner's arrays directly on every run.
            _input = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, input.Memory, input.Shape);
            try
            {
                _output = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, output.Memory, output.Shape);
                Binding = session.CreateIoBinding();
                Binding.BindInput(input.Name, _input);
                Binding.BindOutput(output.Name, _output);
            }
            catch
            {
                Binding?.Dispose();
                _output?.Dispose();
                _input.Dispose();
                throw;
            }
        }

        public OrtIoBinding Binding { get; }

        public void Dispose()
        {
            Binding.Dispose();
            _input.Dispose();
            _output.Dispose();
        }
    }
}
