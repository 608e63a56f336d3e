using DeepEverest.Core.Datasets;
using DeepEverest.Core.Indexing;
using DeepEverest.Core.Query.Activations;
using DeepEverest.Core.Query.Planning;
using DeepEverest.Core.Query.Strategies;
using DeepEverest.Core.Storage;
using DeepEverest.Kernels;

namespace DeepEverest.Core.Query;

/// <summary>
/// Entry point of queries: takes a store snapshot, has the <see cref="QueryPlanner"/> validate and
/// resolve a <see cref="TopKQuery"/> into a plan, and runs the plan's strategy (ReprocessAll when
/// the layer has no index). Holds what is shared across queries: the activation cache and the ONNX
/// Runtime sessions. Thread-safe.
/// </summary>
public sealed class QueryEngine : IDisposable
{
    /// <summary>Largest batch one ONNX Runtime run takes (longer verification batches are split).</summary>
    private const int RunnerBatch = 256;

    private readonly StoreReader _store;
    private readonly RunnerPool _runners;
    private readonly QueryPlanner _planner;

    /// <summary>Creates an engine over a store (primary or secondary).</summary>
    public QueryEngine(StoreReader store, IKernels kernels, QueryEngineOptions options)
    {
        _store = store;
        Kernels = kernels;
        _runners = new RunnerPool(options.InferenceThreads, RunnerBatch, options.InferenceSessions);
        Cache = new ActivationCache(options.CacheMb << 20);
        _planner = new QueryPlanner(kernels, options, _runners, Cache);
    }

    /// <summary>The activation cache shared across queries.</summary>
    public ActivationCache Cache { get; }

    /// <summary>The kernels in use.</summary>
    public IKernels Kernels { get; }

    /// <summary>
    /// Runs a query, yielding progressive updates; the last has Done set and is exact.
    /// Validation failures throw <see cref="DeepEverestException"/> before the first update.
    /// Everything the query reads — model, dataset, labels, index rows, inputs — comes from one
    /// <see cref="StoreReader.Snapshot"/> taken here, so a concurrent rebuild, delete or
    /// replacement never changes it midway; the snapshot is released when the enumeration ends
    /// (enumerate the result to its end or dispose its enumerator).
    /// </summary>
    public IEnumerable<TopKUpdateInfo> Execute(TopKQuery query, CancellationToken cancellationToken) =>
        Start(query, cancellationToken).Updates;

    /// <summary>
    /// Validates and plans a query (the strategy that will answer it is then known, e.g. for
    /// admission control) without running it: its updates are produced as
    /// <see cref="QueryRun.Updates"/> is enumerated. Validation failures throw
    /// <see cref="DeepEverestException"/> here.
    /// </summary>
    public QueryRun Start(TopKQuery query, CancellationToken cancellationToken)
    {
        StoreReader snapshot = _store.Snapshot();
        try
        {
            QueryContext ctx = _planner.Plan(query, snapshot, cancellationToken);
            IEnumerable<TopKUpdateInfo> updates = ctx.Strategy switch
            {
                QueryStrategy.Bounds => BoundsExecutor.Run(ctx, cancellationToken),
                QueryStrategy.Nta => NtaExecutor.Run(ctx, cancellationToken),
                QueryStrategy.Materialized => BruteForceExecutor.Materialized(ctx, cancellationToken),
                _ => BruteForceExecutor.ReprocessAll(ctx, cancellationToken),
            };
            if (ctx.Probe.Dataset.Text is not null)
            {
                // Token items are shown as their context: every hit carries it (a few rows read
                // per new hit); a dataset of arrays or images reads nothing more.
                updates = new TextContexts(snapshot, ctx.Probe.Dataset).Attach(updates);
            }

            InputIdSpace ids = InputIdSpace.Of(ctx.Probe.Dataset);
            if (!ids.IsWhole)
            {
                updates = updates.Select(ids.ToGlobal);
            }

            return new QueryRun(ctx.Strategy, Holding(snapshot, ctx.Message.Length == 0 ? updates : WithNoteOnLast(updates, ctx.Message)), snapshot);
        }
        catch
        {
            snapshot.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Full-layer activations of a target, with the layer's shape and, when
    /// <paramref name="topM"/> &gt; 0, its most activated neurons (at most the layer's size).
    /// </summary>
    /// <param name="model">Model name; empty for the only registered one.</param>
    /// <param name="dataset">Dataset name; empty for the only registered one.</param>
    /// <param name="layer">Layer name (required).</param>
    /// <param name="target">The input (required).</param>
    /// <param name="topM">How many of the most activated neurons to list (0 = none).</param>
    /// <param name="cancellationToken">Cancels the target's inference.</param>
    public LayerActivations Activations(string model, string dataset, string layer, QueryTarget? target, int topM, CancellationToken cancellationToken)
    {
        using StoreReader snapshot = _store.Snapshot();
        QueryPlanner.RequireLayer(layer);
        QueryTarget input = QueryPlanner.RequireTarget(target);
        LayerProbe probe = QueryPlanner.Layer(snapshot, model, dataset, layer);
        input = InputIdSpace.Of(probe.Dataset).ToLocal(input, "target.input_id")!;
        var source = new ActivationSource(snapshot, probe, _runners, Cache);
        float[] values = QueryPlanner.TargetActivations(probe, source, input, cancellationToken);
        long[] shape = probe.Layer.Shape.ToArray();
        int[] top = topM > 0 ? NeuronGroups.Resolve(new GroupSpec.TopOfTarget(Math.Min(topM, values.Length)), shape, values) : [];
        return new LayerActivations(values, shape, top);
    }

    /// <summary>
    /// One dataset input as stored, without preprocessing (what a person would look at), with its
    /// label (-1 when the dataset has none). Over a text dataset: the token item with its whole
    /// window (<see cref="StoredInput.Text"/>; no values, no shape).
    /// </summary>
    /// <param name="dataset">Dataset name; empty for the only registered one.</param>
    /// <param name="inputId">The input's global id (on an input-range shard, one the shard holds).</param>
    public StoredInput Input(string dataset, long inputId)
    {
        using StoreReader snapshot = _store.Snapshot();
        var record = snapshot.RequireDataset(CatalogDefaults.Dataset(snapshot, dataset, "dataset"));
        if (record.Text is not null)
        {
            int item = (int)InputIdSpace.Of(record).LocalId(inputId, "input_id", ErrorKind.NotFound);
            return new StoredInput([], [], -1) { Text = new TextContexts(snapshot, record).Read([item])[0] };
        }

        inputId = InputIdSpace.Of(record).LocalId(inputId, "input_id", ErrorKind.NotFound);
        byte[] raw = snapshot.ReadRawInput(record, inputId);
        var values = new float[StoreReader.InputElements(record)];
        InputPreprocessing.DecodeStored(record, raw, values);
        int[]? labels = snapshot.GetLabels(record.Name);
        return new StoredInput(values, [.. record.InputShape], labels?[inputId] ?? -1);
    }

    /// <summary>One token item of a text dataset with its document and window text.</summary>
    /// <param name="dataset">Dataset name; empty for the only registered one.</param>
    /// <param name="itemId">The item's id.</param>
    /// <exception cref="DeepEverestException">FailedPrecondition for a dataset that is not text; NotFound for an id out of range.</exception>
    public TextItemInfo TextItem(string dataset, long itemId)
    {
        using StoreReader snapshot = _store.Snapshot();
        var record = snapshot.RequireDataset(CatalogDefaults.Dataset(snapshot, dataset, "dataset"));
        if (record.Text is null)
        {
            throw DeepEverestException.Precondition($"Dataset '{record.Name}' is not text: it has no token items.");
        }

        int id = (int)InputIdSpace.Of(record).LocalId(itemId, "input_id", ErrorKind.NotFound);
        return new TextContexts(snapshot, record).Read([id])[0];
    }

    /// <summary>
    /// Plans <paramref name="query"/> in a snapshot and hands the plan to <paramref name="use"/>
    /// while the snapshot is held: for benchmarks and tests that inspect a plan (oracle minimum,
    /// sampled bounds) instead of running it.
    /// </summary>
    internal T WithPlan<T>(TopKQuery query, Func<QueryContext, T> use, CancellationToken cancellationToken)
    {
        using StoreReader snapshot = _store.Snapshot();
        return use(_planner.Plan(query, snapshot, cancellationToken));
    }

    /// <summary>Yields <paramref name="updates"/>, then releases the snapshot they read.</summary>
    private static IEnumerable<TopKUpdateInfo> Holding(StoreReader snapshot, IEnumerable<TopKUpdateInfo> updates)
    {
        using (snapshot)
        {
            foreach (TopKUpdateInfo update in updates)
            {
                yield return update;
            }
        }
    }

    /// <summary>
    /// The executors put the context's note (e.g. a fallback) on the first update; many clients
    /// read only the last, so the done update carries it too.
    /// </summary>
    private static IEnumerable<TopKUpdateInfo> WithNoteOnLast(IEnumerable<TopKUpdateInfo> updates, string message)
    {
        foreach (TopKUpdateInfo update in updates)
        {
            yield return update.Done && update.Message.Length == 0 ? update with { Message = message } : update;
        }
    }

    /// <inheritdoc />
    public void Dispose() => _runners.Dispose();
}
