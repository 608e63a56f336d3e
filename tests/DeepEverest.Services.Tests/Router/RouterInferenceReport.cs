using System.Text.Json;

namespace DeepEverest.Services.Tests.Router;

/// <summary>
/// What <c>make router-inferences</c> measured: per benchmark query, the inputs a single store and
/// the shards behind the router inferred. The ratios are derived here, from the counts, both when
/// the measurement writes the file and when the docs test reads it back.
/// </summary>
internal sealed record RouterInferenceReport(int Inputs, int Shards, string Layer, int K, IReadOnlyList<RouterInferenceReport.Query> Queries)
{
    private static readonly JsonSerializerOptions _json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    /// <summary>The committed result, relative to the repository root.</summary>
    public const string Committed = "bench/results/router-inferences-2026-12-07-2core-amd-epyc.json";

    /// <summary>Inputs inferred by the single store, over every query.</summary>
    public long SingleTotal => Queries.Sum(q => q.Single);

    /// <summary>Inputs inferred by all the shards, over every query.</summary>
    public long ShardedTotal => Queries.Sum(q => q.Sharded);

    /// <summary>Median over the queries of sharded / single (the lower median for an even count).</summary>
    public double MedianRatio => Ratios()[(Queries.Count - 1) / 2];

    /// <summary>The worst query's sharded / single.</summary>
    public double MaxRatio => Ratios()[^1];

    /// <summary>Total sharded / total single.</summary>
    public double TotalRatio => (double)ShardedTotal / SingleTotal;

    public static RouterInferenceReport Read(string path) =>
        JsonSerializer.Deserialize<RouterInferenceReport>(File.ReadAllText(path), _json)
        ?? throw new InvalidDataException($"{path} holds no report");

    public void Write(string path) => File.WriteAllText(path, JsonSerializer.Serialize(this, _json) + "\n");

    private double[] Ratios() =>
        [.. Queries.Select(q => q.Single == 0 ? (q.Sharded == 0 ? 1 : double.PositiveInfinity) : (double)q.Sharded / q.Single).Order()];

    /// <summary>One benchmark query: its kind, target and group, and both inference counts.</summary>
    internal sealed record Query(string Kind, long Target, int Top, long Single, long Sharded);
}
