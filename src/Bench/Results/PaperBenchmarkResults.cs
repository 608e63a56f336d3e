namespace DeepEverest.Bench.Results;

/// <summary>Everything one <c>deepeverest bench paper</c> run measured; serialized to bench/results/*.json.</summary>
/// <param name="Date">UTC start, ISO 8601.</param>
/// <param name="Machine">Processor, cores, OS, runtime, in words.</param>
/// <param name="MachineName">Short name used in the results file name.</param>
/// <param name="Cores">Logical processors.</param>
/// <param name="KernelBackend">The kernels' name.</param>
/// <param name="Quick">Whether this was the smoke run.</param>
/// <param name="Inputs">Dataset inputs.</param>
/// <param name="K">k.</param>
/// <param name="Settings">The options, in words (counts per setting, grid, seeds).</param>
/// <param name="Layers">The layers.</param>
/// <param name="Materializations">PreprocessAll's materializations.</param>
/// <param name="Indexes">Index builds of the grid.</param>
/// <param name="Queries">Every measured query.</param>
/// <param name="Workload">The session script.</param>
/// <param name="WorkloadSystems">Each system's run of the session.</param>
/// <param name="Mismatches">Answers that differed from the reference (empty when all were exact).</param>
/// <param name="TotalSeconds">Wall time of the whole run.</param>
public sealed record PaperBenchmarkResults(
    string Date,
    string Machine,
    string MachineName,
    int Cores,
    string KernelBackend,
    bool Quick,
    int Inputs,
    int K,
    IReadOnlyDictionary<string, string> Settings,
    IReadOnlyList<LayerInfo> Layers,
    IReadOnlyList<MaterializationMeasurement> Materializations,
    IReadOnlyList<IndexMeasurement> Indexes,
    IReadOnlyList<QueryMeasurement> Queries,
    IReadOnlyList<WorkloadStep> Workload,
    IReadOnlyList<WorkloadSystemResult> WorkloadSystems,
    IReadOnlyList<string> Mismatches,
    double TotalSeconds);
