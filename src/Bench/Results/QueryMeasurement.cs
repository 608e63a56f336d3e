using DeepEverest.Core.Query;

namespace DeepEverest.Bench.Results;

/// <summary>One measured query of the per-query experiment.</summary>
/// <param name="Layer">Layer role: early, middle or late.</param>
/// <param name="Partitions">P of the index the query ran on (also recorded for the baselines).</param>
/// <param name="Ratio">MAI ratio of that index.</param>
/// <param name="Strategy">bounds, nta, reprocess or materialized; bounds-fixed (fixed batches of 64) and
/// bounds-rerun (the same adaptive query run again after it) for the comparison of batch sizing.</param>
/// <param name="Type">similar (l2) or highest (sum).</param>
/// <param name="Group">top-1, top-3, top-10 or random-10.</param>
/// <param name="Target">Target input id.</param>
/// <param name="FirstMs">Milliseconds from the call to the first update.</param>
/// <param name="FinalMs">Milliseconds from the call to the final (exact) answer.</param>
/// <param name="Inferred">Inputs run through the network (the target excluded).</param>
/// <param name="Pruned">Inputs ruled out without inference, as the strategy reports it.</param>
/// <param name="ExactFromIndex">Inputs whose exact score the index alone gave.</param>
/// <param name="Oracle">Fewest inferences any exact algorithm using this index needs; null for the baselines.</param>
/// <param name="Exact">Whether the answer (ids and scores, bit for bit) equals the PreprocessAll answer.</param>
/// <param name="GroupSize">Neurons in the resolved group (0 in results written before it was recorded).</param>
/// <param name="Profile">Where the query's time went, in ms by phase, and its verification batches (bounds queries), or null.</param>
public sealed record QueryMeasurement(
    string Layer,
    int Partitions,
    double Ratio,
    string Strategy,
    string Type,
    string Group,
    int Target,
    double FirstMs,
    double FinalMs,
    long Inferred,
    long Pruned,
    long ExactFromIndex,
    long? Oracle,
    bool Exact,
    int GroupSize = 0,
    IReadOnlyDictionary<string, double>? Profile = null)
{
    /// <summary>The <see cref="Profile"/> of a query's final update (null when it has none).</summary>
    public static Dictionary<string, double>? ProfileOf(QueryProfile? p) => p is null
        ? null
        : new()
        {
            ["setup"] = Math.Round(p.SetupMs, 2),
            ["target"] = Math.Round(p.TargetMs, 2),
            ["indexRead"] = Math.Round(p.IndexReadMs, 2),
            ["bounds"] = Math.Round(p.BoundsMs, 2),
            ["inputReads"] = Math.Round(p.InputReadMs, 2),
            ["inference"] = Math.Round(p.InferenceMs, 2),
            ["verifyOther"] = Math.Round(p.VerifyOtherMs, 2),
            ["batches"] = p.Batches,
        };
}
