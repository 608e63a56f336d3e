using System.Collections.Concurrent;
using DeepEverest.Core.Indexing;
using DeepEverest.Core.Onnx;
using DeepEverest.Core.Storage;

namespace DeepEverest.Core.Query;

/// <summary>
/// One ONNX Runtime session per (model file, layer), created on first use and kept: creating a
/// session costs far more than a verification batch. A runner is not thread-safe, so concurrent
/// queries on one layer take turns per batch.
/// </summary>
public sealed class RunnerPool : IDisposable
{
    private readonly ConcurrentDictionary<string, Lazy<(ActivationRunner Runner, SemaphoreSlim Gate)>> _runners = new();
    private readonly int _threads;
    private readonly int _maxBatch;

    /// <summary>Creates a pool whose runners use <paramref name="threads"/> intra-op threads (0 = one per core).</summary>
    public RunnerPool(int threads, int maxBatch)
    {
        _threads = threads > 0 ? threads : Environment.ProcessorCount;
        _maxBatch = maxBatch;
    }

    /// <summary>Runs <paramref name="inputs"/> (batch x elements) through the probe of the layer.</summary>
    public void Run(DeepEverestStore store, LayerProbe probe, ReadOnlySpan<float> inputs, int batch, Span<float> rows, CancellationToken cancellationToken)
    {
        string key = probe.Model.Sha256 + "\u001f" + probe.Layer.Name;
        var slot = _runners.GetOrAdd(key, _ => new Lazy<(ActivationRunner, SemaphoreSlim)>(
            () => (probe.CreateRunner(store, _threads, _maxBatch), new SemaphoreSlim(1, 1)))).Value;
        slot.Gate.Wait(cancellationToken);
        try
        {
            slot.Runner.Run(inputs, batch, rows);
        }
        finally
        {
            slot.Gate.Release();
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var slot in _runners.Values)
        {
            if (slot.IsValueCreated)
            {
                slot.Value.Runner.Dispose();
                slot.Value.Gate.Dispose();
            }
        }
    }
}
