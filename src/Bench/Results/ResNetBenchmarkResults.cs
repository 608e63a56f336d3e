namespace DeepEverest.Bench.Results;

/// <summary>Everything one <c>deepeverest bench paper --model resnet18</c> run measured; serialized to bench/results/*-resnet18.json.</summary>
/// <param name="Date">UTC start, ISO 8601.</param>
/// <param name="Machine">Processor, cores, OS, runtime, in words.</param>
/// <param name="MachineName">Short name used in the results file name.</param>
/// <param name="Cores">Logical processors.</param>
/// <param name="KernelBackend">The kernels' name.</param>
/// <param name="Quick">Whether this was the smoke run.</param>
/// <param name="Inputs">Dataset inputs.</param>
/// <param name="K">k.</param>
/// <param name="Settings">The options, in words.</param>
/// <param name="Layers">The layers.</param>
/// <param name="Indexes">One index build per layer.</param>
/// <param name="Queries">Every measured query: bounds (adaptive batches), bounds-fixed (fixed batches), reprocess.</param>
/// <param name="ReferencePasses">Per layer, the milliseconds of the one brute-force pass that computed every reference answer.</param>
/// <param name="Mismatches">Answers that differed from the reference (empty when all were exact).</param>
/// <param name="TotalSeconds">Wall time of the whole run.</param>
public sealed record ResNetBenchmarkResults(
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
    IReadOnlyList<IndexMeasurement> Indexes,
    IReadOnlyList<QueryMeasurement> Queries,
    IReadOnlyDictionary<string, double> ReferencePasses,
    IReadOnlyList<string> Mismatches,
    double TotalSeconds);
