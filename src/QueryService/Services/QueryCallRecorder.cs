using System.Diagnostics;
using DeepEverest.Core.Query;
using DeepEverest.Hosting;

namespace DeepEverest.QueryService.Services;

/// <summary>
/// What the QueryService records about one query call: its duration and outcome, time to first
/// update, updates sent and the work its last update reported (metrics), and how it ended (log).
/// Requests refused before they start count too, under the strategy they asked for.
/// </summary>
internal sealed class QueryCallRecorder(QueryServiceMetrics metrics, ILogger logger, QueryType type, QueryStrategy requested)
{
    private readonly string _type = QueryServiceMetrics.TypeName(type);
    private readonly long _started = Stopwatch.GetTimestamp();

    /// <summary>Counts an update sent to the client (the first also times the first update).</summary>
    public void Sent(TopKUpdateInfo update, bool first)
    {
        string strategy = QueryServiceMetrics.StrategyName(update.Stats.Strategy);
        if (first)
        {
            metrics.RecordFirstUpdate(_type, strategy, Stopwatch.GetElapsedTime(_started));
        }

        metrics.AddUpdate(_type, strategy);
    }

    /// <summary>Logs a query that ran to its end.</summary>
    public void Done(TopKQuery query, TopKUpdateInfo? last)
    {
        if (last is not null)
        {
            QueryStatsInfo s = last.Stats;
            QueryServiceLog.QueryDone(logger, _type, query.Layer, s.Strategy.ToString(), s.GroupSize, query.K, s.ElapsedMs, s.InputsInferred, s.CacheHits, s.InputsPruned);
        }
    }

    /// <summary>Logs a query the server's time cap stopped.</summary>
    public void Capped(string layer, int capSeconds) => QueryServiceLog.QueryStopped(logger, _type, layer, $"over the {capSeconds} s cap");

    /// <summary>Records the call in the metrics, whatever its end.</summary>
    /// <param name="last">The last update the query produced, or null.</param>
    /// <param name="failure">What ended the call, or null.</param>
    /// <param name="pastDeadline">Whether the call's deadline has passed.</param>
    public void Record(TopKUpdateInfo? last, Exception? failure, bool pastDeadline)
    {
        QueryStatsInfo? stats = last?.Stats;
        string strategy = QueryServiceMetrics.StrategyName(stats?.Strategy ?? requested);
        string outcome = DeepEverestMetrics.OutcomeOf(failure, pastDeadline);
        var work = stats is null ? default : new QueryWork(stats.InputsInferred, stats.InputsPruned, stats.ExactFromIndex, stats.CacheHits);
        metrics.RecordQuery(_type, strategy, outcome, Stopwatch.GetElapsedTime(_started), work);
    }
}
