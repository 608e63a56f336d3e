namespace DeepEverest.Bench.Results;

/// <summary>One system's run of the workload.</summary>
/// <param name="System">ours, reprocess, preprocess or lru.</param>
/// <param name="Description">What the system does, in words.</param>
/// <param name="TotalMs">Setup plus every query.</param>
/// <param name="SetupMs">Index builds (ours, on first use of a layer) or materializations (PreprocessAll).</param>
/// <param name="QueryMs">Sum of the query times.</param>
/// <param name="Inferred">Inputs run through the network, summed over the queries.</param>
/// <param name="CacheHits">Rows served by a cache, summed over the queries.</param>
/// <param name="StepMs">Per step: its query time plus any setup it triggered.</param>
public sealed record WorkloadSystemResult(
    string System,
    string Description,
    double TotalMs,
    double SetupMs,
    double QueryMs,
    long Inferred,
    long CacheHits,
    IReadOnlyList<double> StepMs);
