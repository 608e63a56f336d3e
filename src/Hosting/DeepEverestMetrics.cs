using System.Diagnostics;
using System.Diagnostics.Metrics;
using DeepEverest.Core;
using DeepEverest.Core.Indexing;
using DeepEverest.Core.Query;
using Grpc.Core;

namespace DeepEverest.Hosting;

/// <summary>
/// The services' own metrics: one <see cref="Meter"/> named <see cref="MeterName"/>, recorded by
/// the service implementations from what the engine already reports (query updates and their
/// stats, build progress), and exported by OpenTelemetry at <c>/metrics</c> on the HTTP/1.1
/// endpoint. Instrument names use the prefix <c>deepeverest.</c>; Prometheus shows them with
/// underscores, the unit appended (<c>_seconds</c>, <c>_bytes</c>) and counters ending in
/// <c>_total</c>, e.g. <c>deepeverest.query.duration</c> is scraped as
/// <c>deepeverest_query_duration_seconds_bucket/_sum/_count</c>.
/// </summary>
/// <remarks>
/// Tags: <c>type</c> = similar | highest; <c>strategy</c> = bounds | nta | reprocess_all |
/// materialized (the strategy that answered, else the one asked for); <c>outcome</c> = ok or the
/// gRPC status in snake case (cancelled, deadline_exceeded, invalid_argument, ...); <c>kind</c> =
/// index | materialization; <c>phase</c> = queued | inference | construction | publishing;
/// <c>rpc</c> = the streaming method's name; <c>model</c>, <c>dataset</c>, <c>layer</c> on index sizes.
/// </remarks>
public sealed class DeepEverestMetrics
{
    /// <summary>Name of the meter (what an OpenTelemetry pipeline adds with <c>AddMeter</c>).</summary>
    public const string MeterName = "DeepEverest";

    /// <summary>Outcome tag of a call that succeeded.</summary>
    public const string Ok = "ok";

    private static readonly double[] _queryBuckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];
    private static readonly double[] _buildBuckets = [0.1, 0.5, 1, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 7200, 21600];

    private readonly Histogram<double> _queryDuration;
    private readonly Histogram<double> _firstUpdate;
    private readonly Counter<long> _updates;
    private readonly Counter<long> _inferred;
    private readonly Counter<long> _pruned;
    private readonly Counter<long> _exactFromIndex;
    private readonly Counter<long> _cacheHits;
    private readonly UpDownCounter<long> _queriesRunning;
    private readonly UpDownCounter<long> _streamsOpen;
    private readonly UpDownCounter<long> _buildsRunning;
    private readonly UpDownCounter<long> _buildsQueued;
    private readonly Histogram<double> _buildDuration;
    private readonly Histogram<double> _buildPhaseDuration;
    private readonly Counter<long> _buildInputs;
    private volatile Func<IEnumerable<IndexSize>>? _indexSizes;

    /// <summary>Creates the instruments on a meter from <paramref name="meterFactory"/> (one per host).</summary>
    public DeepEverestMetrics(IMeterFactory meterFactory)
    {
        Meter meter = meterFactory.Create(new MeterOptions(MeterName));
        _queryDuration = meter.CreateHistogram(
            "deepeverest.query.duration",
            "s",
            "Time from a query's arrival to its last update (or its failure), by type, strategy and outcome.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = _queryBuckets });
        _firstUpdate = meter.CreateHistogram(
            "deepeverest.query.time_to_first_update",
            "s",
            "Time from a query's arrival to its first streamed update, by type and strategy.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = _queryBuckets });
        _updates = meter.CreateCounter<long>("deepeverest.query.updates", "{update}", "Updates streamed to query clients.");
        _inferred = meter.CreateCounter<long>("deepeverest.query.inputs.inferred", "{input}", "Inputs run through the model by queries (cache hits excluded).");
        _pruned = meter.CreateCounter<long>("deepeverest.query.inputs.pruned", "{input}", "Inputs ruled out by index bounds without inference.");
        _exactFromIndex = meter.CreateCounter<long>("deepeverest.query.inputs.exact_from_index", "{input}", "Inputs whose score the index alone gave exactly.");
        _cacheHits = meter.CreateCounter<long>("deepeverest.query.cache_hits", "{input}", "Inputs whose activations came from the activation cache.");
        _queriesRunning = meter.CreateUpDownCounter<long>("deepeverest.queries.running", "{query}", "Query workers running now (a cancelled query leaves within one verification batch).");
        _streamsOpen = meter.CreateUpDownCounter<long>("deepeverest.streams.open", "{stream}", "Server streams (queries, builds) open now, by rpc.");
        _buildsRunning = meter.CreateUpDownCounter<long>("deepeverest.builds.running", "{build}", "Builds running now (at most one: builds are serialized), by kind.");
        _buildsQueued = meter.CreateUpDownCounter<long>("deepeverest.builds.queued", "{build}", "Builds waiting for the build slot, by kind.");
        _buildDuration = meter.CreateHistogram(
            "deepeverest.build.duration",
            "s",
            "Time a build held the build slot, by kind and outcome.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = _buildBuckets });
        _buildPhaseDuration = meter.CreateHistogram(
            "deepeverest.build.phase.duration",
            "s",
            "Time builds spent in each phase (queued, inference, construction, publishing), by kind.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = _buildBuckets });
        _buildInputs = meter.CreateCounter<long>("deepeverest.build.inputs.done", "{input}", "Inputs run through the model by builds (their inference progress).");
        meter.CreateObservableGauge("deepeverest.index.size", ObserveIndexSizes, "By", "Bytes of each published index, by model, dataset and layer.");
    }

    /// <summary>The tag value of a strategy.</summary>
    public static string StrategyName(QueryStrategy strategy) => strategy switch
    {
        QueryStrategy.Bounds => "bounds",
        QueryStrategy.Nta => "nta",
        QueryStrategy.ReprocessAll => "reprocess_all",
        QueryStrategy.Materialized => "materialized",
        _ => "unknown",
    };

    /// <summary>The tag value of a query type.</summary>
    public static string TypeName(QueryType type) => type == QueryType.Similar ? "similar" : "highest";

    /// <summary>The tag value of a build phase.</summary>
    public static string PhaseName(BuildPhase phase) => phase switch
    {
        BuildPhase.Queued => "queued",
        BuildPhase.Inference => "inference",
        BuildPhase.Construction => "construction",
        BuildPhase.Publishing => "publishing",
        BuildPhase.Done => "done",
        _ => "unknown",
    };

    /// <summary>
    /// The outcome tag of a call that ended with <paramref name="error"/> (null: <see cref="Ok"/>):
    /// the gRPC status the client sees, in snake case.
    /// </summary>
    /// <param name="error">What the call threw, or null.</param>
    /// <param name="deadlinePassed">Whether the call's deadline had passed (a cancellation is then deadline_exceeded).</param>
    public static string OutcomeOf(Exception? error, bool deadlinePassed) => error switch
    {
        null => Ok,
        RpcException rpc => StatusName(rpc.StatusCode),
        DeepEverestException de => StatusName(ErrorMappingInterceptor.CodeOf(de.Kind)),
        OperationCanceledException => deadlinePassed ? "deadline_exceeded" : "cancelled",
        _ => "internal",
    };

    /// <summary>A status code in snake case, e.g. <c>deadline_exceeded</c>.</summary>
    public static string StatusName(StatusCode code) => code switch
    {
        StatusCode.OK => Ok,
        StatusCode.Cancelled => "cancelled",
        StatusCode.InvalidArgument => "invalid_argument",
        StatusCode.DeadlineExceeded => "deadline_exceeded",
        StatusCode.NotFound => "not_found",
        StatusCode.AlreadyExists => "already_exists",
        StatusCode.PermissionDenied => "permission_denied",
        StatusCode.ResourceExhausted => "resource_exhausted",
        StatusCode.FailedPrecondition => "failed_precondition",
        StatusCode.Aborted => "aborted",
        StatusCode.OutOfRange => "out_of_range",
        StatusCode.Unimplemented => "unimplemented",
        StatusCode.Internal => "internal",
        StatusCode.Unavailable => "unavailable",
        StatusCode.DataLoss => "data_loss",
        StatusCode.Unauthenticated => "unauthenticated",
        _ => "unknown",
    };

    /// <summary>A query worker started (+1) or ended (-1).</summary>
    public void AddRunningQueries(int delta) => _queriesRunning.Add(delta);

    /// <summary>A server stream of <paramref name="rpc"/> opened (+1) or closed (-1).</summary>
    public void AddOpenStreams(string rpc, int delta) => _streamsOpen.Add(delta, new KeyValuePair<string, object?>("rpc", rpc));

    /// <summary>Records a query's first streamed update, <paramref name="elapsed"/> after it arrived.</summary>
    public void RecordFirstUpdate(string type, string strategy, TimeSpan elapsed) =>
        _firstUpdate.Record(elapsed.TotalSeconds, Tags(type, strategy));

    /// <summary>Counts one streamed update.</summary>
    public void AddUpdate(string type, string strategy) => _updates.Add(1, Tags(type, strategy));

    /// <summary>Records a finished (or failed, or cancelled) query and the work its last update reported.</summary>
    public void RecordQuery(string type, string strategy, string outcome, TimeSpan duration, QueryWork work)
    {
        TagList tags = Tags(type, strategy);
        _inferred.Add(work.Inferred, tags);
        _pruned.Add(work.Pruned, tags);
        _exactFromIndex.Add(work.ExactFromIndex, tags);
        _cacheHits.Add(work.CacheHits, tags);
        tags.Add("outcome", outcome);
        _queryDuration.Record(duration.TotalSeconds, tags);
    }

    /// <summary>A build of <paramref name="kind"/> started waiting for the build slot (+1) or stopped waiting (-1).</summary>
    public void AddQueuedBuilds(string kind, int delta) => _buildsQueued.Add(delta, new KeyValuePair<string, object?>("kind", kind));

    /// <summary>A build of <paramref name="kind"/> took the build slot (+1) or released it (-1).</summary>
    public void AddRunningBuilds(string kind, int delta) => _buildsRunning.Add(delta, new KeyValuePair<string, object?>("kind", kind));

    /// <summary>Records the time a build spent in one phase.</summary>
    public void RecordBuildPhase(string kind, string phase, TimeSpan duration) =>
        _buildPhaseDuration.Record(duration.TotalSeconds, new KeyValuePair<string, object?>("kind", kind), new KeyValuePair<string, object?>("phase", phase));

    /// <summary>Records a build that released the build slot.</summary>
    public void RecordBuild(string kind, string outcome, TimeSpan duration) =>
        _buildDuration.Record(duration.TotalSeconds, new KeyValuePair<string, object?>("kind", kind), new KeyValuePair<string, object?>("outcome", outcome));

    /// <summary>Counts inputs a build ran through the model.</summary>
    public void AddBuildInputs(string kind, long inputs) => _buildInputs.Add(inputs, new KeyValuePair<string, object?>("kind", kind));

    /// <summary>
    /// Sets where <c>deepeverest.index.size</c> reads the published indexes from at each scrape
    /// (the IndexService sets its store's list; a host that sets nothing reports no index sizes).
    /// </summary>
    public void ObserveIndexSizes(Func<IEnumerable<IndexSize>> source) => _indexSizes = source;

    private IEnumerable<Measurement<long>> ObserveIndexSizes()
    {
        Func<IEnumerable<IndexSize>>? source = _indexSizes;
        if (source is null)
        {
            return [];
        }

        return source().Select(index => new Measurement<long>(
            index.Bytes,
            new KeyValuePair<string, object?>("model", index.Model),
            new KeyValuePair<string, object?>("dataset", index.Dataset),
            new KeyValuePair<string, object?>("layer", index.Layer))).ToList();
    }

    private static TagList Tags(string type, string strategy) => new()
    {
        { "type", type },
        { "strategy", strategy },
    };
}
