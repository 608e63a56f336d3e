using DeepEverest.Core.Onnx;
using DeepEverest.Core.Onnx.Proto;
using DeepEverest.Core.Storage;
using DeepEverest.Core.Storage.Records;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;

namespace DeepEverest.Services.Tests.Exactness;

/// <summary>
/// The differential test's ground truth: a layer's activations read the straightforward way,
/// from the stored model (whole, with the layer added as a graph output, run by ONNX Runtime with
/// its default optimisation) over every dataset input, as the model sees them. Nothing of the
/// query engine (truncation, batching, cache) takes part.
/// </summary>
internal sealed class ReferenceActivations : IDisposable
{
    private const int Batch = 256;

    private readonly StoreReader _store;
    private readonly DatasetRecord _dataset;
    private readonly OnnxModelFile _model;
    private readonly Dictionary<string, InferenceSession> _sessions = [];
    private readonly Dictionary<string, float[]> _rows = [];

    public ReferenceActivations(StoreReader store, ModelRecord model, DatasetRecord dataset)
    {
        _store = store;
        _dataset = dataset;
        _model = OnnxModelFile.Load(store.ReadModelBytes(model));
        Inputs = (int)dataset.Count;
        InputElements = StoreReader.InputElements(dataset);
    }

    /// <summary>Inputs of the dataset.</summary>
    public int Inputs { get; }

    /// <summary>Elements of one model input.</summary>
    public int InputElements { get; }

    /// <summary>Every input's activations at the layer (Inputs x neurons, row-major), computed once.</summary>
    public float[] Rows(string layer)
    {
        lock (_rows)
        {
            if (_rows.TryGetValue(layer, out float[]? rows))
            {
                return rows;
            }

            var parts = new List<float[]>();
            var inputs = new float[Batch * InputElements];
            for (int start = 0; start < Inputs; start += Batch)
            {
                int count = Math.Min(Batch, Inputs - start);
                _store.ReadInputRange(_dataset, start, count, inputs.AsSpan(0, count * InputElements));
                parts.Add(Run(layer, inputs.AsSpan(0, count * InputElements).ToArray(), count));
            }

            rows = [.. parts.SelectMany(p => p)];
            _rows[layer] = rows;
            return rows;
        }
    }

    /// <summary>Model inputs of the given ids (as the model sees them).</summary>
    public float[] ModelInput(int id)
    {
        var input = new float[InputElements];
        _store.ReadInputRange(_dataset, id, 1, input);
        return input;
    }

    /// <summary>The layer's activations for one raw model input.</summary>
    public float[] Activations(string layer, float[] input)
    {
        lock (_rows)
        {
            return Run(layer, input, 1);
        }
    }

    private float[] Run(string layer, float[] inputs, int batch)
    {
        if (!_sessions.TryGetValue(layer, out InferenceSession? session))
        {
            ModelProto proto = _model.Proto.Clone();
            if (proto.Graph.Output.All(o => o.Name != layer))
            {
                proto.Graph.Output.Add(new ValueInfoProto { Name = layer });
            }

            session = new InferenceSession(proto.ToByteArray());
            _sessions[layer] = session;
        }

        using var input = OrtValue.CreateTensorValueFromMemory(inputs, [batch, .. _model.InputShape]);
        using var runOptions = new RunOptions();
        using var outputs = session.Run(runOptions, [_model.InputName], [input], [layer]);
        return outputs[0].GetTensorDataAsSpan<float>().ToArray();
    }

    public void Dispose()
    {
        foreach (InferenceSession session in _sessions.Values)
        {
            session.Dispose();
        }
    }
}
