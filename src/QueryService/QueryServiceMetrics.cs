using System.Diagnostics;
using System.Diagnostics.Metrics;
using DeepEverest.Core.Query;
using DeepEverest.Hosting;

namespace DeepEverest.QueryService;

/// <summary>
/// The QueryService's metrics, on the shared <see cref="DeepEverestMetrics.MeterName"/> meter:
/// query durations, time to first update, the work queries report and the workers running.
/// Recorded by the service from what the engine already reports (updates and their stats).
/// </summary>
/// <remarks>
/// Tags: <c>type</c> = similar | highest; <c>strategy</c> = bounds | nta | reprocess_all |
/// materialized (the strategy that answered, else the one asked for); <c>outcome</c> as in
/// <see cref="DeepEverestMetrics.OutcomeOf"/>.
/// </remarks>
internal sealed class QueryServiceMetrics
{
    private static readonly double[] _queryBuckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];

    private readonly Histogram<double> _queryDuration;
    private readonly Histogram<double> _firstUpdate;
    private readonly Counter<long> _updates;
    private readonly Counter<long> _inferred;
    private readonly Counter<long> _pruned;
    private readonly Counter<long> _exactFromIndex;
    private readonly Counter<long> _cacheHits;
    private readonly UpDownCounter<long> _queriesRunning;

    /// <summary>Creates the instruments on the host's meter from <paramref name="meterFactory"/>.</summary>
    public QueryServiceMetrics(IMeterFactory meterFactory)
    {
        Meter meter = meterFactory.Create(new MeterOptions(DeepEverestMetrics.MeterName));
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

    /// <summary>A query worker started (+1) or ended (-1).</summary>
    public void AddRunningQueries(int delta) => _queriesRunning.Add(delta);

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

    private static TagList Tags(string type, string strategy) => new()
    {
        { "type", type },
        { "strategy", strategy },
    };
}
