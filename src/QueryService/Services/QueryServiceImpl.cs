using System.Diagnostics;
using System.Threading.Channels;
using DeepEverest.Contracts.V1;
using DeepEverest.Core;
using DeepEverest.Core.Datasets;
using DeepEverest.Core.Query;
using DeepEverest.Core.Storage;
using DeepEverest.Hosting;
using DeepEverest.Hosting.Security;
using DeepEverest.QueryService.Limits;
using Grpc.Core;
using Microsoft.Extensions.Options;

namespace DeepEverest.QueryService.Services;

/// <summary>
/// deepeverest.v1.QueryService: runs each query on a worker thread (the work is CPU-bound) and
/// streams its updates. The call's cancellation (client cancel, deadline) and the server-side
/// time cap stop the worker before its next verification batch. Queries are admitted under
/// <see cref="QueryLimitsOptions"/> (per service and per client).
/// </summary>
internal sealed class QueryServiceImpl(
    QueryEngineHolder holder,
    QueryActivity activity,
    QueryAdmission admission,
    QueryServiceMetrics metrics,
    IOptions<QueryServiceOptions> options,
    ILogger<QueryServiceImpl> logger)
    : Contracts.V1.QueryService.QueryServiceBase
{
    public override Task TopKSimilar(TopKSimilarRequest request, IServerStreamWriter<TopKUpdate> responseStream, ServerCallContext context) =>
        ObservedStreamAsync(QueryType.Similar, request.Options, () => QueryMapper.FromSimilar(request), responseStream, context);

    public override Task TopKHighest(TopKHighestRequest request, IServerStreamWriter<TopKUpdate> responseStream, ServerCallContext context) =>
        ObservedStreamAsync(QueryType.Highest, request.Options, () => QueryMapper.FromHighest(request), responseStream, context);

    public override Task<GetActivationsResponse> GetActivations(GetActivationsRequest request, ServerCallContext context)
    {
        LayerRef layer = QueryMapper.RequireLayer(request.Layer);
        QueryTarget target = QueryMapper.Target(request.Target) ?? throw DeepEverestException.Invalid("target is required: set target.input_id or target.tensor.");
        (float[] values, long[] shape) = holder.Engine.Activations(layer.Model, layer.Dataset, layer.Layer, target, context.CancellationToken);
        var response = new GetActivationsResponse();
        response.Shape.AddRange(shape);
        response.Values.AddRange(values);
        if (request.TopM > 0)
        {
            int[] top = NeuronGroups.Resolve(new GroupSpec.TopOfTarget(Math.Min(request.TopM, values.Length)), shape, values);
            response.TopNeurons.AddRange(top.Select(x => (long)x));
        }

        return Task.FromResult(response);
    }

    public override Task<GetInputResponse> GetInput(GetInputRequest request, ServerCallContext context)
    {
        using StoreReader store = holder.Store.Snapshot();
        var dataset = store.RequireDataset(CatalogDefaults.Dataset(store, request.Dataset, "dataset"));
        byte[] raw = store.ReadRawInput(dataset, request.InputId);
        var values = new float[StoreReader.InputElements(dataset)];
        // The stored values, without preprocessing: what a person would look at.
        InputPreprocessing.DecodeStored(dataset, raw, values);
        var tensor = new Tensor();
        tensor.Shape.AddRange(dataset.InputShape);
        tensor.Values.AddRange(values);
        int[]? labels = store.GetLabels(dataset.Name);
        return Task.FromResult(new GetInputResponse { Tensor = tensor, Label = labels?[request.InputId] ?? -1 });
    }

    /// <summary>
    /// Runs one query (<see cref="StreamAsync"/>) and records it in the metrics: its duration and
    /// outcome, time to first update, updates sent and the work its last update reported. Requests
    /// refused before they start count too, under the strategy they asked for.
    /// </summary>
    private async Task ObservedStreamAsync(QueryType type, QueryOptions? requested, Func<TopKQuery> map, IServerStreamWriter<TopKUpdate> responseStream, ServerCallContext context)
    {
        var observed = new QueryObservation(
            QueryServiceMetrics.TypeName(type),
            RequestedStrategy(requested),
            Stopwatch.GetTimestamp());
        Exception? failure = null;
        try
        {
            string client = ClientIdentity.Of(context);
            using IDisposable admitted = admission.AdmitQuery(client);
            await StreamAsync(map(), client, UpdateInterval(requested), observed, responseStream, context);
        }
        catch (Exception e)
        {
            failure = e;
            throw;
        }
        finally
        {
            QueryStatsInfo? stats = observed.Last?.Stats;
            string strategy = stats is null ? observed.Strategy : QueryServiceMetrics.StrategyName(stats.Strategy);
            string outcome = DeepEverestMetrics.OutcomeOf(failure, context.Deadline <= DateTime.UtcNow);
            var work = stats is null ? default : new QueryWork(stats.InputsInferred, stats.InputsPruned, stats.ExactFromIndex, stats.CacheHits);
            metrics.RecordQuery(observed.Type, strategy, outcome, Stopwatch.GetElapsedTime(observed.Started), work);
        }
    }

    /// <summary>
    /// The coalescing interval a call asks for: options.min_update_interval_ms when set (0 = every
    /// update), else the service default (DeepEverest:DefaultUpdateIntervalMs).
    /// </summary>
    private int UpdateInterval(QueryOptions? requested) =>
        requested?.HasMinUpdateIntervalMs == true ? requested.MinUpdateIntervalMs : options.Value.DefaultUpdateIntervalMs;

    private async Task StreamAsync(TopKQuery query, string client, int minUpdateIntervalMs, QueryObservation observed, IServerStreamWriter<TopKUpdate> responseStream, ServerCallContext context)
    {
        if (minUpdateIntervalMs < 0)
        {
            throw DeepEverestException.Invalid($"options.min_update_interval_ms must be >= 0, 0 meaning every update (got {minUpdateIntervalMs}).");
        }

        QueryEngine engine = holder.Engine;
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken);
        // A call with a deadline is cancelled by it (context.CancellationToken); the server caps it at
        // MaxClientDeadlineSeconds. Without one, MaxQuerySeconds applies.
        bool clientDeadline = context.Deadline < DateTime.MaxValue;
        int cap = options.Value.CapSeconds(clientDeadline);
        string setting = clientDeadline ? "DeepEverest:MaxClientDeadlineSeconds, the longest a client deadline may extend a query" : "DeepEverest:MaxQuerySeconds; a call with a longer deadline may run up to DeepEverest:MaxClientDeadlineSeconds";
        if (cap > 0)
        {
            cts.CancelAfter(TimeSpan.FromSeconds(cap));
        }

        // Bounded: a slow client holds the worker back instead of letting updates pile up.
        var channel = Channel.CreateBounded<TopKUpdateInfo>(new BoundedChannelOptions(4) { SingleReader = true, SingleWriter = true });
        Task worker = Task.Factory.StartNew(
            () =>
            {
                using IDisposable running = activity.Enter();
                try
                {
                    // The strategy is known once the query is planned (ReprocessAll also answers a
                    // layer without an index): scans count against their own, lower limits.
                    using QueryRun run = engine.Start(query, cts.Token);
                    using IDisposable? scan = run.Strategy is QueryStrategy.ReprocessAll or QueryStrategy.Nta ? admission.AdmitScan(client) : null;
                    foreach (TopKUpdateInfo update in run.Updates)
                    {
                        channel.Writer.WriteAsync(update, cts.Token).AsTask().GetAwaiter().GetResult();
                    }

                    channel.Writer.Complete();
                }
                catch (Exception e)
                {
                    channel.Writer.Complete(e);
                }
            },
            cts.Token,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default);

        long lastSentMs = long.MinValue;
        try
        {
            await foreach (TopKUpdateInfo update in channel.Reader.ReadAllAsync(cts.Token))
            {
                // The first and the last update always go out; in between, at most one per interval.
                bool first = observed.Last is null;
                observed.Last = update;
                if (first || update.Done || update.Stats.ElapsedMs - lastSentMs >= minUpdateIntervalMs)
                {
                    lastSentMs = update.Stats.ElapsedMs;
                    await responseStream.WriteAsync(QueryMapper.ToProto(update), cts.Token);
                    string strategy = QueryServiceMetrics.StrategyName(update.Stats.Strategy);
                    if (first)
                    {
                        metrics.RecordFirstUpdate(observed.Type, strategy, Stopwatch.GetElapsedTime(observed.Started));
                    }

                    metrics.AddUpdate(observed.Type, strategy);
                }
            }
        }
        catch (OperationCanceledException) when (!context.CancellationToken.IsCancellationRequested && cap > 0)
        {
            QueryServiceLog.QueryStopped(logger, observed.Type, query.Layer, $"over the {cap} s cap");
            throw new RpcException(new Status(StatusCode.DeadlineExceeded, $"The query ran past the server's {cap} s cap ({setting})."));
        }
        finally
        {
            await cts.CancelAsync();
            try
            {
                await worker;
            }
            catch (OperationCanceledException)
            {
                // The worker stops at its next batch; nothing to report.
            }
        }

        if (observed.Last is { } last)
        {
            QueryServiceLog.QueryDone(logger, observed.Type, query.Layer, last.Stats.Strategy.ToString(), last.Stats.GroupSize, query.K, last.Stats.ElapsedMs, last.Stats.InputsInferred, last.Stats.CacheHits, last.Stats.InputsPruned);
        }
    }

    /// <summary>The strategy tag of what a request asked for (unspecified means bounds).</summary>
    private static string RequestedStrategy(QueryOptions? options) => options?.Strategy switch
    {
        null or Strategy.Unspecified => QueryServiceMetrics.StrategyName(QueryStrategy.Bounds),
        Strategy s => QueryServiceMetrics.StrategyName((QueryStrategy)(int)s),
    };

    /// <summary>What the metrics need to know about one query while it runs.</summary>
    private sealed class QueryObservation(string type, string strategy, long started)
    {
        /// <summary>Tag value of the query type.</summary>
        public string Type { get; } = type;

        /// <summary>Tag value of the strategy asked for.</summary>
        public string Strategy { get; } = strategy;

        /// <summary>Stopwatch timestamp of the call's arrival.</summary>
        public long Started { get; } = started;

        /// <summary>The last update the engine produced (sent or coalesced), or null before the first.</summary>
        public TopKUpdateInfo? Last { get; set; }
    }
}
