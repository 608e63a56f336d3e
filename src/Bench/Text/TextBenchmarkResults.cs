using DeepEverest.Bench.Results;

namespace DeepEverest.Bench.Text;

/// <summary>Everything one run of <see cref="TextBenchmark"/> measured.</summary>
/// <param name="Date">UTC start, ISO 8601.</param>
/// <param name="Machine">The machine, in words.</param>
/// <param name="MachineName">Short machine name for file names.</param>
/// <param name="Cores">Logical cores.</param>
/// <param name="Kernels">The kernel backend.</param>
/// <param name="Quick">Whether this was the smoke run.</param>
/// <param name="K">k of every query.</param>
/// <param name="Settings">What was run, in words.</param>
/// <param name="Corpus">The imported corpus.</param>
/// <param name="Layers">The layers.</param>
/// <param name="Builds">One index build per layer.</param>
/// <param name="Queries">Every measured query (bounds and reprocess).</param>
/// <param name="Mismatches">Inexact answers (must be empty).</param>
/// <param name="TotalSeconds">The whole run.</param>
public sealed record TextBenchmarkResults(
    string Date,
    string Machine,
    string MachineName,
    int Cores,
    string Kernels,
    bool Quick,
    int K,
    IReadOnlyDictionary<string, string> Settings,
    TextCorpus Corpus,
    IReadOnlyList<LayerInfo> Layers,
    IReadOnlyList<TextBuild> Builds,
    IReadOnlyList<TextQuery> Queries,
    IReadOnlyList<string> Mismatches,
    double TotalSeconds);
