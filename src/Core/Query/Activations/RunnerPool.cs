using System.Collections.Concurrent;
using DeepEverest.Core.Indexing;
using DeepEverest.Core.Onnx;
using DeepEverest.Core.Storage;

namespace DeepEverest.Core.Query.Activations;

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
        ActivationRunner runner = Take(probe, () => probe.CreateRunner(store, _threads, _maxBatch), cancellationToken);
        try
        {
            runner.Run(inputs, batch, rows);
        }
        finally
        {
            Return(probe, runner);
        }
    }

    /// <summary>
    /// Runs windows of a text dataset (token ids without [CLS]/[SEP]) through the probe of the
    /// layer: one row per real token, window after window (<see cref="TokenActivationRunner.Run"/>).
    /// </summary>
    public void RunWindows(StoreReader store, LayerProbe probe, IReadOnlyList<ReadOnlyMemory<long>> windows, Span<float> rows, CancellationToken cancellationToken)
    {
        TokenActivationRunner runner = Take(probe, () => probe.CreateTokenRunner(store, _threads, _maxBatch), cancellationToken);
        try
        {
            runner.Run(windows, rows);
        }
        finally
        {
            Return(probe, runner);
        }
    }

    /// <summary>Takes an idle runner of the layer, or creates one while fewer than <c>sessions</c> exist, or waits.</summary>
    private T Take<T>(LayerProbe probe, Func<T> create, CancellationToken cancellationToken)
        where T : class, IDisposable
    {
        Slot slot = _slots.GetOrAdd(Key(probe), _ => new Slot(_sessions));
        slot.Gate.Wait(cancellationToken);
        try
        {
            // Holding the gate guarantees an idle runner or room for a new one. Runners of one
            // key are all of one kind: the key names the dataset kind.
            if (slot.Idle.TryTake(out IDisposable? idle))
            {
                return (T)idle;
            }

            T runner = create();
            slot.All.Enqueue(runner);
            return runner;
        }
        catch
        {
            slot.Gate.Release();
            throw;
        }
    }

    private void Return(LayerProbe probe, IDisposable runner)
    {
        Slot slot = _slots[Key(probe)];
        slot.Idle.Add(runner);
        slot.Gate.Release();
    }

    /// <summary>
    /// The slot of a layer: model file and layer, and for a text dataset its feeds (a token runner
    /// feeds by them; a float runner has none).
    /// </summary>
    private static string Key(LayerProbe probe) =>
        probe.Model.Sha256 + "\u001f" + probe.Layer.Name + (probe.IsText ? $"\u001ftext {probe.Dataset.Text.ClsId} {probe.Dataset.Text.SepId} {probe.Dataset.Text.PadId} {probe.Dataset.Text.Feeds}" : string.Empty);

    /// <summary>Sessions created so far for the layer of <paramref name="probe"/> (tests).</summary>
    internal int SessionCount(LayerProbe probe) =>
        _slots.TryGetValue(Key(probe), out Slot? slot) ? slot.All.Count : 0;

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (Slot slot in _slots.Values)
        {
            foreach (IDisposable runner in slot.All)
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

        public ConcurrentBag<IDisposable> Idle { get; } = [];

        public ConcurrentQueue<IDisposable> All { get; } = new();
    }
}
