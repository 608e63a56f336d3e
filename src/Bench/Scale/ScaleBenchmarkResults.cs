using DeepEverest.Bench.Results;

namespace DeepEverest.Bench.Scale;

/// <summary>Everything one run of <see cref="ScaleBenchmark"/> measured.</summary>
/// <param name="Date">UTC start, ISO 8601.</param>
/// <param name="Machine">The machine, in words.</param>
/// <param name="MachineName">Short machine name for file names.</param>
/// <param name="Cores">Logical cores.</param>
/// <param name="Kernels">The kernel backend.</param>
/// <param name="Quick">Whether this was the smoke run.</param>
/// <param name="K">k of every query.</param>
/// <param name="Settings">What was run, in words.</param>
/// <param name="Layers">The layers.</param>
/// <param name="Builds">Every index build: one store per size, and each shard of the largest.</param>
/// <param name="Queries">Every measured query (bounds and reprocess), with its size in <see cref="ScaleQuery.Inputs"/>.</param>
/// <param name="Mismatches">Inexact answers (must be empty).</param>
/// <param name="TotalSeconds">The whole run.</param>
public sealed record ScaleBenchmarkResults(
    string Date,
    string Machine,
    string MachineName,
    int Cores,
    string Kernels,
    bool Quick,
    int K,
    IReadOnlyDictionary<string, string> Settings,
    IReadOnlyList<LayerInfo> Layers,
    IReadOnlyList<ScaleBuild> Builds,
    IReadOnlyList<ScaleQuery> Queries,
    IReadOnlyList<string> Mismatches,
    double TotalSeconds);

/// <summary>One index build at one size, on the whole dataset (<paramref name="Shard"/> -1) or one shard of it.</summary>
/// <param name="Inputs">Inputs of the whole dataset.</param>
/// <param name="Shard">The shard, or -1 for one store holding every input.</param>
/// <param name="ShardInputs">Inputs this store holds.</param>
/// <param name="ImportMs">The dataset import into this store (the first layer's row; 0 after it).</param>
/// <param name="Index">The build: wall time, inference and construction, bytes written and on disk.</param>
/// <param name="PassMs">One brute-force inference pass over the same inputs and layer (the reference answers' pass), or 0 where none ran (shards).</param>
/// <param name="PeakRssMib">Peak resident memory of the process during the build.</param>
/// <param name="PeakIsPerBuild">Whether the peak was reset before the build (Linux) or is the process's since its start.</param>
public sealed record ScaleBuild(int Inputs, int Shard, int ShardInputs, double ImportMs, IndexMeasurement Index, double PassMs, double PeakRssMib, bool PeakIsPerBuild);

/// <summary>One measured query at one size.</summary>
/// <param name="Inputs">Inputs of the dataset.</param>
/// <param name="Query">The measurement (strategy bounds or reprocess).</param>
public sealed record ScaleQuery(int Inputs, QueryMeasurement Query);
