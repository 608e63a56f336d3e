using System.Collections.Concurrent;
using DeepEverest.Core.Indexing;
using DeepEverest.Core.Onnx;
using DeepEverest.Core.Storage;

namespace DeepEverest.Core.Query;

/// <summary>
/// ONNX Runtime sessions per (model file, layer), created on first use and kept: creating a
/// session costs far more than a verification batch. A runner is not thread-safe: each batch
/// takes an idle runner of its layer, or creates one while fewer than <c>sessions</c> exist, or
/// waits for one. One session per layer makes concurrent queries on a layer take turns per batch;
/// more let their inference overlap (each session has its own intra-op threads).
/// </summary>
public sealed class RunnerPool : IDisposable
{
    private readonly ConcurrentDictionary<string, Slot> _slots = new();
    private readonly int _threads;
    private readonly int _maxBatch;
    private readonly int _sessions;

    /// <summary>Creates a pool whose runners use <paramref name="threads"/> intra-op threads (0 = one per core).</summary>
    /// <param name="threads">ONNX Runtime intra-op threads per session; 0 = one per core.</param>
    /// <param name="maxBatch">Largest batch one run takes.</param>
    /// <param name="sessions">Most sessions per layer (concurrent batches on one layer); at least 1.</param>
    public RunnerPool(int threads, int maxBatch, int sessions = 1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(sessions, 1);
        _threads = threads > 0 ? threads : Environment.ProcessorCount;
        _maxBatch = maxBatch;
        _sessions = sessions;
    }

    /// <summary>Runs <paramref name="inputs"/> (batch x elements) through the probe of the layer.</summary>
    public void Run(StoreReader store, LayerProbe probe, ReadOnlySpan<float> inputs, int batch, Span<float> rows, CancellationToken cancellationToken)
    {
        string key = probe.Model.Sha256 + "\u001f" + probe.Layer.Name;
        Slot slot = _slots.GetOrAdd(key, _ => new Slot(_sessions));
        slot.Gate.Wait(cancellationToken);
        ActivationRunner? runner = null;
        try
        {
            // Holding the gate guarantees an idle runner or room for a new one.
            if (!slot.Idle.TryTake(out runner))
            {
                runner = probe.CreateRunner(store, _threads, _maxBatch);
                slot.All.Enqueue(runner);
            }

            runner.Run(inputs, batch, rows);
        }
        finally
        {
            if (runner is not null)
            {
                slot.Idle.Add(runner);
            }

            slot.Gate.Release();
        }
    }

    /// <summary>Sessions created so far for the layer of <paramref name="probe"/> (tests).</summary>
    internal int SessionCount(LayerProbe probe) =>
        _slots.TryGetValue(probe.Model.Sha256 + "\u001f" + probe.Layer.Name, out Slot? slot) ? slot.All.Count : 0;

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (Slot slot in _slots.Values)
        {
            foreach (ActivationRunner runner in slot.All)
            {
                runner.Dispose();
            }

            slot.Gate.Dispose();
        }
    }

    /// <summary>The runners of one layer and the gate that bounds how many run at once.</summary>
    private sealed class Slot(int sessions)
    {
        public SemaphoreSlim Gate { get; } = new(sessions, sessions);

        public ConcurrentBag<ActivationRunner> Idle { get; } = [];

        public ConcurrentQueue<ActivationRunner> All { get; } = new();
    }
}
