using System.Collections.Concurrent;
using System.Diagnostics;
using DeepEverest.Core.Indexing;
using DeepEverest.Core.Query.Activations;
using DeepEverest.Core.Query.Strategies;
using DeepEverest.Core.Storage;
using DeepEverest.Core.Storage.Records;
using DeepEverest.Kernels;

namespace DeepEverest.Core.Query.Planning;

/// <summary>
/// The one place a query's rules live: it validates a <see cref="TopKQuery"/> (messages name the
/// request's fields in API terms) and resolves it, against one store snapshot, into the immutable
/// <see cref="QueryContext"/> the strategies run: catalog defaults, layer, index, target, group,
/// cost, filter, strategy (ReprocessAll when the layer has no usable index), batch size and the
/// memory budget. Front ends only translate their messages into engine records. Thread-safe.
/// </summary>
internal sealed partial class QueryPlanner(IKernels kernels, QueryEngineOptions options, RunnerPool runners, ActivationCache cache)
{
    private readonly ConcurrentDictionary<string, BatchCostModel> _batchCosts = new();

    /// <summary>
    /// Validates <paramref name="query"/> and resolves it in <paramref name="store"/> (a snapshot
    /// the caller keeps for the query's life). Infers the target. Throws
    /// <see cref="DeepEverestException"/> on anything the query cannot run with.
    /// </summary>
    public QueryContext Plan(TopKQuery query, StoreReader store, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        bool distance = CheckRequest(query);
        GroupSpec groupSpec = query.Group!;
        query = query with
        {
            Model = CatalogDefaults.Model(store, query.Model, "layer.model"),
            Dataset = CatalogDefaults.Dataset(store, query.Dataset, "layer.dataset"),
        };
        LayerProbe probe = LayerProbe.Resolve(store, query.Model, query.Dataset, query.Layer);

        // From here on ids are the store's positions; QueryEngine turns the answer's back.
        query = InputIdSpace.Of(probe.Dataset).ToLocal(query);
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

        var source = new ActivationSource(store, probe, runners, query.Strategy == QueryStrategy.ReprocessAll || !query.UseCache ? null : cache);
        long targetStarted = QueryProfile.Start();
        float[] target = query.Target is null ? [] : TargetActivations(probe, source, query.Target, cancellationToken);
        double targetMs = QueryProfile.Elapsed(targetStarted);
        int[] group = NeuronGroups.Resolve(groupSpec, probe.Layer.Shape, target);
        if (query.Weights.Length > 0 && query.Weights.Length != group.Length)
        {
            throw DeepEverestException.Invalid(
                $"weights has {query.Weights.Length} values for a group of {group.Length} neurons: give one per group neuron, in group order (TopKUpdate.group lists it).");
        }

        float[] targetGroup = target.Length == 0 ? new float[group.Length] : group.Select(j => target[j]).ToArray();
        CostFunction cost = Cost(query, group.Length, distance ? targetGroup : []);
        int[]? labels = store.GetLabels(probe.Dataset.Name);
        long? targetId = query.Target?.InputId;
        List<(long Start, long End)>? documents = DocumentRanges(store, probe, query.Filter);
        int[] allowed = Filter(probe, labels, query.Filter, documents, query.IncludeTarget || query.Type == QueryType.Highest ? null : targetId);

        QueryStrategy strategy = query.Strategy;
        string message = "";
        if (index is null && strategy is QueryStrategy.Bounds or QueryStrategy.Nta)
        {
            strategy = QueryStrategy.ReprocessAll;
            message = stale is null
                ? $"layer '{query.Layer}' has no index: answered by ReprocessAll (IndexService.BuildIndex builds one)."
                : $"{stale}, so it was not used: answered by ReprocessAll (delete the index and build it again).";
            source = new ActivationSource(store, probe, runners, null);
        }

        // The target's read and inference count as TargetMs only.
        source.Profile.TargetMs = targetMs;
        source.Profile.InputReadMs = 0;
        source.Profile.InferenceMs = 0;
        source.Profile.SetupMs = clock.Elapsed.TotalMilliseconds - targetMs;

        CheckMemory(strategy, index, probe, group.Length);
        BatchCostModel batchCosts = _batchCosts.GetOrAdd(probe.Model.Sha256 + "\u001f" + probe.Dataset.Id + "\u001f" + probe.Layer.Name, _ => new BatchCostModel());
        query = query with { BatchSize = query.BatchSize > 0 ? query.BatchSize : options.BatchSize };
        return new QueryContext(query, store, kernels, probe, index, group, cost, allowed, labels, source, strategy, message, clock, targetGroup, targetId, batchCosts);
    }

    /// <summary>
    /// The layer a request names (model and dataset may be empty: the only registered ones, see
    /// <see cref="CatalogDefaults"/>).
    /// </summary>
    public static LayerProbe Layer(StoreReader store, string model, string dataset, string layer)
    {
        RequireLayer(layer);
        return LayerProbe.Resolve(store, CatalogDefaults.Model(store, model, "layer.model"), CatalogDefaults.Dataset(store, dataset, "layer.dataset"), layer);
    }

    /// <summary>
    /// The checks that need nothing stored, in the order a client meets them: fields present, then
    /// values in range. Returns whether the score is a distance.
    /// </summary>
    private bool CheckRequest(TopKQuery query)
    {
        RequireLayer(query.Layer);
        if (query.Type == QueryType.Similar && query.Target is null)
        {
            throw DeepEverestException.Invalid("target is required for a similarity query: set target.input_id, target.tensor or (text datasets) target.text.");
        }

        if (query.Group is null)
        {
            throw DeepEverestException.Invalid("group is required: set group.neurons, group.rectangle or group.top_of_target.");
        }

        if (!Enum.IsDefined(query.Score))
        {
            // The front end maps a wire value it does not know to no ScoreKind at all.
            throw DeepEverestException.Invalid(query.Type == QueryType.Similar
                ? "distance is not supported: use DISTANCE_L2, DISTANCE_L1 or DISTANCE_LINF."
                : "aggregate is not supported: use AGGREGATE_SUM, AGGREGATE_MEAN or AGGREGATE_L2_NORM (only aggregates monotone in every activation can be answered exactly from the index).");
        }

        if (!Enum.IsDefined(query.Strategy))
        {
            throw DeepEverestException.Invalid($"options.strategy {(int)query.Strategy} is not supported: use STRATEGY_BOUNDS, STRATEGY_NTA, STRATEGY_REPROCESS_ALL or STRATEGY_MATERIALIZED.");
        }

        int maxK = Math.Min(options.MaxK, QueryLimits.MaxK);
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

        if (query.Type == QueryType.Similar && query.IncludeTarget && query.Target?.InputId is null)
        {
            throw DeepEverestException.Invalid("include_target applies to a dataset target (target.input_id): a raw target.tensor or target.text is not one of the dataset's inputs.");
        }

        if (query.BatchSize < 0 || query.BatchSize > QueryLimits.MaxBatchSize)
        {
            throw DeepEverestException.Invalid($"options.batch_size must be in 0..{QueryLimits.MaxBatchSize}, 0 meaning the service default (got {query.BatchSize}).");
        }

        CheckWeights(query.Weights, distance);
        return distance;
    }

    /// <summary>The target of a request that needs one (<see cref="QueryEngine.Activations"/>).</summary>
    public static QueryTarget RequireTarget(QueryTarget? target) =>
        target ?? throw DeepEverestException.Invalid("target is required: set target.input_id or target.tensor.");

    /// <summary>Refuses a request that names no layer.</summary>
    public static void RequireLayer(string layer)
    {
        if (string.IsNullOrEmpty(layer))
        {
            throw DeepEverestException.Invalid("layer.layer is required: name a layer (IndexService.ListLayers lists them).");
        }
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
        long budget = options.MaxQueryMemoryMb << 20;
        if (bytes > budget)
        {
            throw new DeepEverestException(ErrorKind.ResourceExhausted,
                $"This query needs about {bytes >> 20} MiB for a group of {groupSize} neurons ({strategy}); the per-query budget is {options.MaxQueryMemoryMb} MiB ({QueryEngineOptions.SectionName}:{nameof(QueryEngineOptions.MaxQueryMemoryMb)}). Use a smaller group.");
        }
    }
}
