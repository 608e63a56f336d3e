using DeepEverest.Bench.Results;

namespace DeepEverest.Bench;

/// <summary>Aggregations of a results file that the report's tables and plots share.</summary>
internal sealed class ReportData
{
    /// <summary>Query types in report order.</summary>
    public static readonly string[] Types = ["similar", "highest"];

    /// <summary>Wraps <paramref name="results"/>.</summary>
    public ReportData(PaperBenchmarkResults results)
    {
        Results = results;
        DefaultPartitions = int.Parse(results.Settings["default index"].Split(',')[0].Split('=')[1], System.Globalization.CultureInfo.InvariantCulture);
        DefaultRatio = double.Parse(results.Settings["default index"].Split(',')[1].Split('=')[1], System.Globalization.CultureInfo.InvariantCulture);
        DefaultQueries = results.Queries.Where(IsAtDefault).ToList();
        GroupKinds = results.Queries.Select(q => q.Group).Distinct().OrderBy(KindOrder)
            .ThenBy(g => int.TryParse(g.Split('-')[^1], out int m) ? m : 0).ToList();
    }

    /// <summary>The results.</summary>
    public PaperBenchmarkResults Results { get; }

    /// <summary>P of the default index.</summary>
    public int DefaultPartitions { get; }

    /// <summary>Ratio of the default index.</summary>
    public double DefaultRatio { get; }

    /// <summary>Report order of group kinds: top-m, random, rect, channel.</summary>
    public static int KindOrder(string kind) =>
        kind.StartsWith("top", StringComparison.Ordinal) ? 0 : kind.StartsWith("random", StringComparison.Ordinal) ? 1 : kind.StartsWith("rect", StringComparison.Ordinal) ? 2 : 3;

    /// <summary>Group kinds in report order (top-m ascending, random, rect-3x3, channel).</summary>
    public IReadOnlyList<string> GroupKinds { get; }

    /// <summary>Measurements at the default index, plus the baselines (recorded without an index).</summary>
    public IReadOnlyList<QueryMeasurement> DefaultQueries { get; }

    /// <summary>Display name of a strategy.</summary>
    public static string StrategyName(string strategy) => strategy switch
    {
        "bounds" => "bounds (ours)",
        "nta" => "NTA",
        "materialized" => "PreprocessAll",
        "reprocess" => "ReprocessAll",
        "bounds-fixed" => "bounds, fixed batches of 64",
        "bounds-rerun" => "bounds, run again",
        _ => strategy,
    };

    /// <summary>Display name of a workload system.</summary>
    public static string SystemName(string system) => system switch
    {
        "ours" => "ours (bounds + cache)",
        "preprocess" => "PreprocessAll",
        "reprocess" => "ReprocessAll",
        "lru" => "LRU cache",
        _ => system,
    };

    /// <summary>Whether a measurement belongs to the default index (baselines always do).</summary>
    public bool IsAtDefault(QueryMeasurement q) =>
        q.Strategy is "materialized" or "reprocess" || (q.Partitions == DefaultPartitions && q.Ratio.Equals(DefaultRatio));

    /// <summary>Time to final answer at the default index for one cell (baselines: ReprocessAll pooled over groups).</summary>
    public Summary Latency(string layer, string strategy, string type, string group) =>
        Summary.Of(Cell(layer, strategy, type, group).Select(q => q.FinalMs));

    /// <summary>Measurements of one cell at the default index.</summary>
    public IEnumerable<QueryMeasurement> Cell(string layer, string strategy, string type, string? group) =>
        DefaultQueries.Where(q => q.Layer == layer && q.Strategy == strategy && q.Type == type
            && (group is null || strategy == "reprocess" || q.Group == group));

    /// <summary>Median ReprocessAll time of a layer and query type: its cost depends on neither group nor index.</summary>
    public double ReprocessMedian(string layer, string type) => Latency(layer, "reprocess", type, "").Median;

    /// <summary>Per-query speedups over ReprocessAll (its median for the layer and type over the query's time).</summary>
    public IEnumerable<double> Speedups(IEnumerable<QueryMeasurement> queries) =>
        queries.Select(q => ReprocessMedian(q.Layer, q.Type) / Math.Max(q.FinalMs, 1e-3)).Where(double.IsFinite);

    /// <summary>Per-query inferred / oracle over queries whose oracle is positive.</summary>
    public static IEnumerable<double> OracleRatios(IEnumerable<QueryMeasurement> queries) =>
        queries.Where(q => q.Oracle is > 0).Select(q => (double)q.Inferred / q.Oracle!.Value);

    /// <summary>Bounds latency at one grid point, over the targets every grid point ran.</summary>
    public Summary GridLatency(string layer, int partitions, double ratio)
    {
        HashSet<int> shared = SharedGridTargets(layer);
        return Summary.Of(Results.Queries.Where(q => q.Layer == layer && q.Strategy == "bounds" && q.Partitions == partitions
            && q.Ratio.Equals(ratio) && shared.Contains(q.Target)).Select(q => q.FinalMs));
    }

    /// <summary>Bounds measurements at one grid point, over the targets every grid point ran.</summary>
    public IEnumerable<QueryMeasurement> GridQueries(string layer, string strategy, int partitions, double ratio)
    {
        HashSet<int> shared = SharedGridTargets(layer);
        return Results.Queries.Where(q => q.Layer == layer && q.Strategy == strategy && q.Partitions == partitions
            && q.Ratio.Equals(ratio) && shared.Contains(q.Target));
    }

    private HashSet<int> SharedGridTargets(string layer)
    {
        var perPoint = Results.Queries.Where(q => q.Layer == layer && q.Strategy == "bounds")
            .GroupBy(q => (q.Partitions, q.Ratio)).Select(g => g.Select(q => q.Target).ToHashSet()).ToList();
        HashSet<int> shared = perPoint.FirstOrDefault() ?? [];
        foreach (HashSet<int> targets in perPoint.Skip(1))
        {
            shared.IntersectWith(targets);
        }

        return shared;
    }
}
