using DeepEverest.Core.Storage.Records;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace DeepEverest.Core.Onnx;

/// <summary>
/// Computes a token layer's activations (<c>[batch, sequence, width]</c>) for batches of windows of
/// a text dataset, by running a probe model (see <see cref="ProbeModelBuilder"/>) fed as the
/// dataset says (<see cref="TextInputFeed"/>): token ids wrapped in [CLS] ... [SEP], a mask, constants.
/// </summary>
/// <remarks>
/// The windows of one run are padded to the longest of them; padding changes nothing on the real
/// tokens (a test checks it bit for bit), so a token's row never depends on its batch. Not
/// thread-safe: use one runner per thread. The float path of <see cref="ActivationRunner"/> is not
/// touched by this type.
/// </remarks>
public sealed class TokenActivationRunner : IDisposable
{
    private readonly SessionOptions _sessionOptions;
    private readonly InferenceSession _session;
    private readonly RunOptions _runOptions = new();
    private readonly (string Name, TextInputFeed Feed)[] _inputs;
    private readonly string _outputName;
    private readonly long _clsId;
    private readonly long _sepId;
    private readonly long _padId;
    private readonly int _maxBatch;
    private bool _disposed;

    /// <summary>Creates a runner over a probe model of a token layer.</summary>
    /// <param name="probeModel">Serialised probe: int64 inputs <c>[batch, sequence]</c>, one float output <c>[batch, sequence, ...]</c>.</param>
    /// <param name="text">The text dataset's feeds and special token ids.</param>
    /// <param name="neurons">Floats per token in the output.</param>
    /// <param name="options">Threading and batching (MaxBatch counts windows); null for the defaults.</param>
    /// <exception cref="DeepEverestException">
    /// <see cref="ErrorKind.FailedPrecondition"/> when the dataset cannot feed one of the probe's inputs;
    /// <see cref="ErrorKind.InvalidArgument"/> when ONNX Runtime cannot load the probe.
    /// </exception>
    public TokenActivationRunner(byte[] probeModel, TextDatasetInfo text, int neurons, ActivationRunnerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(probeModel);
        ArgumentNullException.ThrowIfNull(text);
        ArgumentOutOfRangeException.ThrowIfLessThan(neurons, 1);
        options ??= new ActivationRunnerOptions();
        options.Validate();
        Neurons = neurons;
        _clsId = text.ClsId;
        _sepId = text.SepId;
        _padId = text.PadId;
        _maxBatch = options.MaxBatch;
        _sessionOptions = new SessionOptions
        {
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            IntraOpNumThreads = options.IntraOpThreads,
        };
        try
        {
            _session = OrtSessions.Create(probeModel, _sessionOptions);
            _inputs = FeedsOf(_session, text);
            if (_session.OutputMetadata.Count != 1 || _session.OutputMetadata.First().Value.ElementDataType != TensorElementType.Float)
            {
                throw DeepEverestException.Invalid("a probe model must have exactly one float output; build it with ProbeModelBuilder");
            }

            _outputName = _session.OutputMetadata.First().Key;
        }
        catch
        {
            _session?.Dispose();
            _sessionOptions.Dispose();
            _runOptions.Dispose();
            throw;
        }
    }

    /// <summary>Floats per token in the output.</summary>
    public int Neurons { get; }

    /// <summary>Builds the probe for token layer <paramref name="layer"/> of <paramref name="model"/> and a runner over it.</summary>
    /// <exception cref="DeepEverestException">
    /// NotFound when no node outputs the layer; InvalidArgument when it is not a per-token float
    /// layer; FailedPrecondition when the dataset cannot feed the model's inputs.
    /// </exception>
    public static TokenActivationRunner Create(OnnxModelFile model, string layer, TextDatasetInfo text, ActivationRunnerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ProbeModelBuilder.ThrowIfNotNodeOutput(model, layer);
        LayerDescriptor descriptor = ModelInspector.FindLayer(model, layer) is { HasItemAxis: true } found
            ? found
            : throw DeepEverestException.Invalid($"'{layer}' is not a float layer [batch, sequence, ...] with one row per token, so it cannot be indexed over a text dataset; IndexService.ListLayers lists the layers");
        return new TokenActivationRunner(ProbeModelBuilder.Build(model, descriptor), text, checked((int)descriptor.Neurons), options);
    }

    /// <summary>
    /// Computes the layer for each window's real tokens. Windows above MaxBatch run in chunks, each
    /// padded to its longest window.
    /// </summary>
    /// <param name="windows">Token ids of each window, without [CLS]/[SEP]; each 1 to 510 long.</param>
    /// <param name="rows">
    /// Receives one row of <see cref="Neurons"/> floats per real token, window after window, in token
    /// order: (sum of the windows' lengths) x Neurons floats. [CLS], [SEP] and padding are left out.
    /// </param>
    /// <exception cref="ArgumentException"><paramref name="rows"/> has another length, or a window is empty.</exception>
    /// <exception cref="DeepEverestException">InvalidArgument when ONNX Runtime fails.</exception>
    public void Run(IReadOnlyList<ReadOnlyMemory<long>> windows, Span<float> rows)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        long tokens = windows.Sum(w => (long)w.Length);
        if (windows.Any(w => w.Length == 0) || rows.Length != tokens * Neurons)
        {
            throw new ArgumentException($"expected non-empty windows and {tokens} x {Neurons} floats, got {rows.Length}", nameof(rows));
        }

        int written = 0;
        for (int first = 0; first < windows.Count; first += _maxBatch)
        {
            int batch = Math.Min(_maxBatch, windows.Count - first);
            int sequence = 0;
            for (int w = first; w < first + batch; w++)
            {
                sequence = Math.Max(sequence, windows[w].Length + 2);
            }

            float[] values = RunChunk(windows, first, batch, sequence);
            for (int b = 0; b < batch; b++)
            {
                int length = windows[first + b].Length;

                // Position 0 is [CLS]: the real tokens are positions 1..length.
                values.AsSpan(((b * sequence) + 1) * Neurons, length * Neurons).CopyTo(rows.Slice(written * Neurons));
                written += length;
            }
        }
    }

    /// <summary>Releases the ONNX Runtime session.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _session.Dispose();
        _sessionOptions.Dispose();
        _runOptions.Dispose();
    }

    /// <summary>Runs one padded chunk; returns its output, batch x sequence x Neurons floats.</summary>
    private float[] RunChunk(IReadOnlyList<ReadOnlyMemory<long>> windows, int first, int batch, int sequence)
    {
        var values = new OrtValue[_inputs.Length];
        try
        {
            for (int i = 0; i < _inputs.Length; i++)
            {
                var tensor = new long[batch * sequence];
                TextInputFeed feed = _inputs[i].Feed;
                for (int b = 0; b < batch; b++)
                {
                    ReadOnlySpan<long> ids = windows[first + b].Span;
                    Span<long> row = tensor.AsSpan(b * sequence, sequence);
                    switch (feed.Kind)
                    {
                        case TextInputFeed.Types.Kind.TokenIds:
                            row.Fill(_padId);
                            row[0] = _clsId;
                            ids.CopyTo(row[1..]);
                            row[ids.Length + 1] = _sepId;
                            break;
                        case TextInputFeed.Types.Kind.AttentionMask:
                            row[..(ids.Length + 2)].Fill(1);
                            break;
                        default:
                            row.Fill(feed.Value);
                            break;
                    }
                }

                values[i] = OrtValue.CreateTensorValueFromMemory(tensor, [batch, sequence]);
            }

            try
            {
                using IDisposableReadOnlyCollection<OrtValue> outputs = _session.Run(_runOptions, _inputs.Select(x => x.Name).ToArray(), values, [_outputName]);
                OrtValue result = outputs[0];
                long[] shape = result.GetTensorTypeAndShape().Shape;
                if (shape.Length < 3 || shape[0] != batch || shape[1] != sequence || shape.Skip(2).Aggregate(1L, (a, d) => a * d) != Neurons)
                {
                    throw DeepEverestException.Invalid($"the probe returned shape [{string.Join(", ", shape)}] for {batch} windows of {sequence} positions; expected [{batch}, {sequence}, ...] with {Neurons} per token");
                }

                return result.GetTensorDataAsSpan<float>().ToArray();
            }
            catch (OnnxRuntimeException ex)
            {
                throw new DeepEverestException(ErrorKind.InvalidArgument, $"ONNX Runtime failed to compute the layer for {batch} windows of {sequence} positions ({ex.Message})", ex);
            }
        }
        finally
        {
            foreach (OrtValue? value in values)
            {
                value?.Dispose();
            }
        }
    }

    /// <summary>The feed of each probe input, or FailedPrecondition naming the input no feed covers.</summary>
    private static (string Name, TextInputFeed Feed)[] FeedsOf(InferenceSession session, TextDatasetInfo text)
    {
        var inputs = new List<(string, TextInputFeed)>();
        foreach ((string name, NodeMetadata meta) in session.InputMetadata)
        {
            TextInputFeed? feed = text.Feeds.FirstOrDefault(f => f.Name == name);
            if (feed is null || meta.ElementDataType != TensorElementType.Int64 || meta.Dimensions.Length != 2)
            {
                throw DeepEverestException.Precondition(
                    $"the model's input '{name}' ({meta.ElementDataType} [{string.Join(", ", meta.Dimensions)}]) cannot be fed by this text dataset, which feeds int64 [batch, sequence] inputs "
                    + string.Join(", ", text.Feeds.Select(f => $"'{f.Name}'")) + " (docs/text.md)");
            }

            inputs.Add((name, feed));
        }

        return [.. inputs];
    }
}
