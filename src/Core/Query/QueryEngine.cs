using System.Collections.Concurrent;
using System.Diagnostics;
using DeepEverest.Core.Indexing;
using DeepEverest.Core.Storage;
using DeepEverest.Core.Storage.Records;
using DeepEverest.Kernels;

namespace DeepEverest.Core.Query;

/// <summary>
/// Entry point of queries: validates a <see cref="TopKQuery"/>, resolves its layer, group, target
/// and filter, picks the strategy (ReprocessAll when the layer has no index) and runs it. Holds
/// what is shared across queries: the activation cache and the ONNX Runtime sessions. Thread-safe.
/// </summary>
public sealed class QueryEngine : IDisposable
{
    private readonly StoreReader _store;
    private readonly IKernels _kernels;
    private readonly QueryEngineOptions _options;
    private readonly RunnerPool _runners;
    private readonly ConcurrentDictionary<string, BatchCostModel> _batchCosts = new();

    /// <summary>Creates an engine over a store (primary or secondary).</summary>
    public QueryEngine(StoreReader store, IKernels kernels, QueryEngineOptions options)
    {
        _store = store;
        _kernels = kernels;
        _options = options;
        _runners = new RunnerPool(options.InferenceThreads, 256, options.InferenceSessions);
        Cache = new ActivationCache(options.CacheMb << 20);
    }

    /// <summary>The activation cache shared across queries.</summary>
    public ActivationCache Cache { get; }

    /// <summary>The kernels in use.</summary>
    public IKernels Kernels => _kernels;

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
            (QueryContext ctx, float[] targetGroup, long? targetId) = Prepare(query, snapshot, cancellationToken);
            IEnumerable<TopKUpdateInfo> updates = ctx.Strategy switch
            {
                QueryStrategy.Bounds => BoundsExecutor.Run(ctx, cancellationToken),
                QueryStrategy.Nta => NtaExecutor.Run(ctx, targetGroup, targetId, cancellationToken),
                QueryStrategy.Materialized => BruteForceExecutor.Materialized(ctx, cancellationToken),
                _ => BruteForceExecutor.ReprocessAll(ctx, cancellationToken),
            };
            return new QueryRun(ctx.Strategy, Holding(snapshot, ctx.Message.Length == 0 ? updates : WithNoteOnLast(updates, ctx.Message)), snapshot);
        }
        catch
        {
            snapshot.Dispose();
            throw;
        }
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

    /// <summary>
    /// The oracle minimum of a bounds query: the fewest inferences any exact algorithm that learns
    /// activations only by running the network must make, given this index and the bounds the engine
    /// derives from it (docs/benchmarks.md, "Oracle minimum"). From the index, input i has a cost in
    /// [lower_i, upper_i]; with (c, id) the k-th of the exact answer ranked by (cost, id), every
    /// considered input with (lower_i, i) &lt;= (c, id) and lower_i &lt; upper_i could still be in
    /// the answer and must be inferred. Used by benchmarks and tests; the target is inferred (not counted).
    /// </summary>
    /// <param name="query">A query on an indexed layer.</param>
    /// <param name="kthCost">The cost (not score) of the k-th hit of its exact answer.</param>
    /// <param name="kthId">The id of that hit.</param>
    /// <param name="cancellationToken">Cancels the target's inference.</param>
    public long OracleMinimum(TopKQuery query, double kthCost, int kthId, CancellationToken cancellationToken)
    {
        using StoreReader snapshot = _store.Snapshot();
        (QueryContext ctx, _, _) = Prepare(query with { Strategy = QueryStrategy.Bounds }, snapshot, cancellationToken);
        if (ctx.Strategy != QueryStrategy.Bounds)
        {
            throw DeepEverestException.Precondition($"Layer '{query.Layer}' has no index: the oracle minimum is defined for indexed layers.");
        }

        IndexBounds bounds = IndexBounds.Read(ctx);
        var lower = new double[ctx.Allowed.Length];
        var upper = new double[ctx.Allowed.Length];
        // Refinement only raises lower bounds: inputs already past the k-th cost need none.
        bounds.Tight(ctx.Allowed, lower, upper, kthCost);
        long count = 0;
        for (int r = 0; r < ctx.Allowed.Length; r++)
        {
            bool before = TopKCollector.Compare((lower[r], ctx.Allowed[r]), (kthCost, kthId)) <= 0;
            if (before && lower[r] != upper[r])
            {
                count++;
            }
        }

        return count;
    }

    /// <summary>
    /// The bounds a bounds query starts from (for tests): coarse bounds of every input, tight
    /// bounds of the considered ones, and whether channel summaries took part.
    /// </summary>
    internal IndexBoundsSample SampleBounds(TopKQuery query, CancellationToken cancellationToken)
    {
        using StoreReader snapshot = _store.Snapshot();
        (QueryContext ctx, _, _) = Prepare(query with { Strategy = QueryStrategy.Bounds }, snapshot, cancellationToken);
        IndexBounds bounds = IndexBounds.Read(ctx);
        var coarseLower = new double[bounds.Inputs];
        var coarseUpper = new double[bounds.Inputs];
        bounds.Coarse(coarseLower, coarseUpper);
        var tightLower = new double[ctx.Allowed.Length];
        var tightUpper = new double[ctx.Allowed.Length];
        bounds.Tight(ctx.Allowed, tightLower, tightUpper);
        return new IndexBoundsSample(ctx.Group, ctx.Allowed, coarseLower, coarseUpper, tightLower, tightUpper, bounds.UsesSummaries);
    }

    /// <summary>Full-layer activations of a target, with the layer's shape.</summary>
    public (float[] Values, long[] Shape) Activations(string model, string dataset, string layer, QueryTarget target, CancellationToken cancellationToken)
    {
        using StoreReader snapshot = _store.Snapshot();
        LayerProbe probe = LayerProbe.Resolve(snapshot, CatalogDefaults.Model(snapshot, model, "layer.model"), CatalogDefaults.Dataset(snapshot, dataset, "layer.dataset"), layer);
        var source = new ActivationSource(snapshot, probe, _runners, Cache);
        return (TargetActivations(probe, source, target, cancellationToken), probe.Layer.Shape.ToArray());
    }

    private (QueryContext Context, float[] TargetGroup, long? TargetId) Prepare(TopKQuery query, StoreReader store, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        int maxK = Math.Min(_options.MaxK, TopKQuery.MaxK);
        if (query.K <= 0 || query.K > maxK)
        {
            throw DeepEverestException.Invalid($"k must be in 1..{maxK} (got {query.K}).");
        }

        bool distance = query.Score is ScoreKind.L2 or ScoreKind.L1 or ScoreKind.LInf;
        if (query.Type == QueryType.Similar && !distance)
        {
            throw DeepEverestException.Invalid($"{query.Score} is not a distance: a similarity query ranks by DISTANCE_L2, DISTANCE_L1 or DISTANCE_LINF.");
        }

        if (query.Type == QueryType.Highest && distance)
        {
            throw DeepEverestException.Invalid($"{query.Score} is not an aggregate: a highest-activation query ranks by AGGREGATE_SUM, AGGREGATE_MEAN or AGGREGATE_L2_NORM (monotone aggregates only).");
        }

        if (query.Type == QueryType.Similar && query.Target is null)
        {
            throw DeepEverestException.Invalid("target is required for a similarity query: set target.input_id or target.tensor.");
        }

        if (query.Type == QueryType.Similar && query.IncludeTarget && query.Target?.InputId is null)
        {
            throw DeepEverestException.Invalid("include_target applies to a dataset target (target.input_id): a raw target.tensor is not one of the dataset's inputs.");
        }

        if (query.BatchSize < 0 || query.BatchSize > 4096)
        {
            throw DeepEverestException.Invalid($"options.batch_size must be in 0..4096, 0 meaning the service default (got {query.BatchSize}).");
        }

        CheckWeights(query.Weights, distance);
        query = query with
        {
            Model = CatalogDefaults.Model(store, query.Model, "layer.model"),
            Dataset = CatalogDefaults.Dataset(store, query.Dataset, "layer.dataset"),
        };
        LayerProbe probe = LayerProbe.Resolve(store, query.Model, query.Dataset, query.Layer);
        IndexRecord? index = store.GetIndex(query.Model, query.Dataset, query.Layer);
        string? stale = index is null ? null : StoreReader.StaleReason(index, probe.Model, probe.Dataset);
        if (stale is not null)
        {
            index = null; // built from other contents of the model or dataset: never answer from it
        }

        if (query.Strategy == QueryStrategy.Materialized
            && store.GetMaterialization(query.Model, query.Dataset, query.Layer) is { } materialization
            && StoreReader.StaleReason(materialization, probe.Model, probe.Dataset) is { } staleMaterialization)
        {
            throw DeepEverestException.Precondition($"{staleMaterialization}: materialize the layer again.");
        }

        var source = new ActivationSource(store, probe, _runners, query.Strategy == QueryStrategy.ReprocessAll || !query.UseCache ? null : Cache);
        long targetStarted = QueryProfile.Start();
        float[] target = query.Target is null ? [] : TargetActivations(probe, source, query.Target, cancellationToken);
        double targetMs = QueryProfile.Elapsed(targetStarted);
        int[] group = NeuronGroups.Resolve(query.Group, probe.Layer.Shape, target);
        if (query.Weights.Length > 0 && query.Weights.Length != group.Length)
        {
            throw DeepEverestException.Invalid(
                $"weights has {query.Weights.Length} values for a group of {group.Length} neurons: give one per group neuron, in group order (TopKUpdate.group lists it).");
        }

        float[] targetGroup = target.Length == 0 ? new float[group.Length] : group.Select(j => target[j]).ToArray();
        CostFunction cost;
        try
        {
            cost = new CostFunction(query.Score, group.Length, distance ? targetGroup : [], query.Weights);
        }
        catch (ArgumentException e)
        {
            // The message without .NET's " (Parameter 'x')" suffix: it names a C# parameter, not a field.
            throw DeepEverestException.Invalid(e.ParamName is null ? e.Message : e.Message.Replace($" (Parameter '{e.ParamName}')", "", StringComparison.Ordinal));
        }

        int[]? labels = store.GetLabels(probe.Dataset.Name);
        long? targetId = query.Target?.InputId;
        int[] allowed = Filter(probe, labels, query.Filter, query.IncludeTarget || query.Type == QueryType.Highest ? null : targetId);

        QueryStrategy strategy = query.Strategy;
        string message = "";
        if (index is null && strategy is QueryStrategy.Bounds or QueryStrategy.Nta)
        {
            strategy = QueryStrategy.ReprocessAll;
            message = stale is null
                ? $"layer '{query.Layer}' has no index: answered by ReprocessAll (IndexService.BuildIndex builds one)."
                : $"{stale}, so it was not used: answered by ReprocessAll (delete the index and build it again).";
            source = new ActivationSource(store, probe, _runners, null);
        }

        // The target's read and inference count as TargetMs only.
        source.Profile.TargetMs = targetMs;
        source.Profile.InputReadMs = 0;
        source.Profile.InferenceMs = 0;
        source.Profile.SetupMs = clock.Elapsed.TotalMilliseconds - targetMs;

        CheckMemory(strategy, index, probe, group.Length);
        BatchCostModel batchCosts = _batchCosts.GetOrAdd(probe.Model.Sha256 + "\u001f" + probe.Dataset.Id + "\u001f" + probe.Layer.Name, _ => new BatchCostModel());
        var ctx = new QueryContext(query with { BatchSize = query.BatchSize > 0 ? query.BatchSize : _options.BatchSize }, store, _kernels, probe, index, group, cost, allowed, labels, source, strategy, message, clock, batchCosts);
        return (ctx, targetGroup, targetId);
    }

    /// <summary>
    /// Weights before anything is read: finite, non-negative, not all zero (which would put every
    /// input at distance 0), distances only. Their count is checked once the group is resolved.
    /// </summary>
    private static void CheckWeights(float[] weights, bool distance)
    {
        if (weights.Length == 0)
        {
            return;
        }

        if (!distance)
        {
            throw DeepEverestException.Invalid("weights apply to similarity queries (distances) only.");
        }

        bool positive = false;
        for (int i = 0; i < weights.Length; i++)
        {
            if (!float.IsFinite(weights[i]) || weights[i] < 0)
            {
                throw DeepEverestException.Invalid($"weights[{i}] = {weights[i].ToString(System.Globalization.CultureInfo.InvariantCulture)}: weights must be finite and >= 0.");
            }

            positive |= weights[i] > 0;
        }

        if (!positive)
        {
            throw DeepEverestException.Invalid("weights are all zero: every input would be at distance 0 from the target; give at least one positive weight (or none for all 1).");
        }
    }

    /// <summary>Refuses a query whose working set would exceed <see cref="QueryEngineOptions.MaxQueryMemoryMb"/>.</summary>
    private void CheckMemory(QueryStrategy strategy, IndexRecord? index, LayerProbe probe, int groupSize)
    {
        long n = probe.Inputs;
        long perNeuron = strategy switch
        {
            QueryStrategy.Materialized => n * 4,
            QueryStrategy.ReprocessAll => 8,
            // Codes, partition bounds, MAI ids and values, and (NTA) one unpacked byte per input.
            _ => CodeLayout.StrideBytes((int)n, (int)index!.Bits) + index.Partitions * 8L + index.MaiCount * 16L + (strategy == QueryStrategy.Nta ? n : 0),
        };
        long bytes = groupSize * perNeuron + n * 24;
        long budget = _options.MaxQueryMemoryMb << 20;
        if (bytes > budget)
        {
            throw new DeepEverestException(ErrorKind.ResourceExhausted,
                $"This query needs about {bytes >> 20} MiB for a group of {groupSize} neurons ({strategy}); the per-query budget is {_options.MaxQueryMemoryMb} MiB (DeepEverest:Query:MaxQueryMemoryMb). Use a smaller group.");
        }
    }

    private float[] TargetActivations(LayerProbe probe, ActivationSource source, QueryTarget target, CancellationToken cancellationToken)
    {
        if (target.InputId is { } id)
        {
            if (id < 0 || id >= probe.Inputs)
            {
                throw DeepEverestException.Invalid($"target.input_id {id} is out of range: dataset '{probe.Dataset.Name}' has ids 0..{probe.Inputs - 1}.");
            }

            return source.TargetRow((int)id, cancellationToken);
        }

        float[] tensor = target.Tensor ?? throw DeepEverestException.Invalid("target is empty: set target.input_id, target.tensor or target.stored_tensor.");
        string field = target.StoredUnits ? "target.stored_tensor" : "target.tensor";
        int elements = StoreReader.InputElements(probe.Dataset);
        string expected = $"[{string.Join(", ", probe.Dataset.InputShape)}]";
        if (target.Shape is { } shape && !shape.AsSpan().SequenceEqual(probe.Dataset.InputShape.ToArray()))
        {
            throw DeepEverestException.Invalid(
                $"{field}.shape is [{string.Join(", ", shape)}]; inputs of dataset '{probe.Dataset.Name}' have shape {expected} (no batch axis).");
        }

        if (tensor.Length != elements)
        {
            throw DeepEverestException.Invalid(
                $"{field}.values has {tensor.Length} values; inputs of dataset '{probe.Dataset.Name}' have shape {expected} ({elements} values).");
        }

        int bad = ActivationChecks.FirstNonFinite(tensor);
        if (bad >= 0)
        {
            throw DeepEverestException.Invalid($"{field}.values[{bad}] is not finite (NaN or infinity).");
        }

        if (target.StoredUnits)
        {
            tensor = Datasets.InputPreprocessing.DecodeStoredValues(probe.Dataset, tensor, $"{field}.values");
        }

        return source.InferTensor(tensor, cancellationToken);
    }

    private static int[] Filter(LayerProbe probe, int[]? labels, QueryFilter filter, long? excluded)
    {
        int n = probe.Inputs;
        var keep = new bool[n];
        if (filter.Ids.Length > 0)
        {
            foreach (long id in filter.Ids)
            {
                if (id < 0 || id >= n)
                {
                    throw DeepEverestException.Invalid($"filter.ids: id {id} is out of range: dataset '{probe.Dataset.Name}' has ids 0..{n - 1}.");
                }

                keep[id] = true;
            }
        }
        else
        {
            Array.Fill(keep, true);
        }

        if (filter.RangeStart is not null || filter.RangeEnd is not null)
        {
            long start = filter.RangeStart ?? 0;
            long end = filter.RangeEnd ?? n;
            if (start < 0 || end > n || start >= end)
            {
                throw DeepEverestException.Invalid($"filter.id_range [{start}, {end}) must be non-empty and within the ids of dataset '{probe.Dataset.Name}', [0, {n}).");
            }

            for (int i = 0; i < n; i++)
            {
                keep[i] &= i >= start && i < end;
            }
        }

        if (filter.Labels.Length > 0)
        {
            if (labels is null)
            {
                throw DeepEverestException.Invalid($"filter.labels: dataset '{probe.Dataset.Name}' has no labels to filter on.");
            }

            var known = probe.Dataset.DistinctLabels.ToHashSet();
            foreach (int label in filter.Labels)
            {
                if (!known.Contains(label))
                {
                    throw DeepEverestException.Invalid($"filter.labels: label {label} does not occur in dataset '{probe.Dataset.Name}' (labels: {string.Join(", ", known.Order())}).");
                }
            }

            var wanted = filter.Labels.ToHashSet();
            for (int i = 0; i < n; i++)
            {
                keep[i] &= wanted.Contains(labels[i]);
            }
        }

        if (excluded is { } x && x >= 0 && x < n)
        {
            keep[x] = false;
        }

        var allowed = new List<int>(n);
        for (int i = 0; i < n; i++)
        {
            if (keep[i])
            {
                allowed.Add(i);
            }
        }

        return [.. allowed];
    }

    /// <inheritdoc />
    public void Dispose() => _runners.Dispose();
}
