using System.CommandLine;
using DeepEverest.Bench;
using DeepEverest.Bench.Scale;

namespace DeepEverest.Cli;

/// <summary>
/// <c>deepeverest bench scale</c>: the engine at 70,000 to 1,050,000 inputs of augmented
/// Fashion-MNIST, on one store and on input-range shards (<see cref="ScaleBenchmark"/>).
/// </summary>
internal static class ScaleBenchCommand
{
    /// <summary>Creates the command.</summary>
    public static Command Create(GlobalOptions globals)
    {
        var quick = new Option<bool>("--quick") { Description = "Smoke run: 2,000 and 4,000 inputs, 2 shards, 2 targets (a minute or two). Checks exactness the same way." };
        var sizes = new Option<int[]>("--sizes") { Description = "Dataset sizes, ascending (default 70000 280000 1050000); the largest is also split into shards.", AllowMultipleArgumentsPerToken = true };
        var shards = new Option<int?>("--shards") { Description = "Input-range shards of the largest size (default 4; 0 for none)." };
        var dataRoot = new Option<string>("--data-root") { Description = "Where the generated data and stores go (deleted afterwards unless --keep-data; about 3 GB at 1M inputs). Default: bench/tmp/scale-<pid>." };
        var output = new Option<string>("--output") { Description = "Directory of the results JSON. Default: bench/results (bench/tmp/quick with --quick)." };
        var report = new Option<string>("--report") { Description = "Markdown report to generate. Default: docs/benchmarks-scale.md (bench/tmp/quick/benchmarks-scale.md with --quick)." };
        var keep = new Option<bool>("--keep-data") { Description = "Keep the data root after the run." };
        var datasetDirectory = new Option<string>("--dataset-dir") { Description = "Directory of the Fashion-MNIST idx .gz files.", DefaultValueFactory = _ => "/usr/share/datasets/fashion-mnist" };
        var command = new Command("scale", "How build, index size and queries grow from 70,000 to 1,050,000 inputs (augmented Fashion-MNIST, the demo model's middle and late layers), on one store and on input-range shards. Exits 1 if any answer is inexact.");
        foreach (Option option in new Option[] { quick, sizes, shards, dataRoot, output, report, keep, datasetDirectory })
        {
            command.Options.Add(option);
        }

        globals.SetAction(command, (session, parse, cancellationToken) =>
        {
            bool isQuick = parse.GetValue(quick);
            ScaleBenchmarkOptions options = (isQuick ? ScaleBenchmarkOptions.Quick : ScaleBenchmarkOptions.Full) with
            {
                DataRoot = parse.GetValue(dataRoot) ?? Path.Combine("bench", "tmp", $"scale-{Environment.ProcessId}"),
                KeepData = parse.GetValue(keep),
                DatasetDirectory = parse.GetValue(datasetDirectory)!,
            };
            if (parse.GetValue(sizes) is { Length: > 0 } chosen)
            {
                options = options with { Sizes = chosen };
            }

            if (parse.GetValue(shards) is int count)
            {
                options = options with { Shards = count };
            }

            string outputDirectory = parse.GetValue(output) ?? (isQuick ? Path.Combine("bench", "tmp", "quick") : Path.Combine("bench", "results"));
            string reportPath = parse.GetValue(report) ?? (isQuick ? Path.Combine("bench", "tmp", "quick", "benchmarks-scale.md") : Path.Combine("docs", "benchmarks-scale.md"));
            ScaleBenchmarkResults results;
            try
            {
                results = ScaleBenchmark.Run(options, BenchOutcome.Lines(line => session.Console.Out.WriteLine(line)), cancellationToken);
            }
            catch (ArgumentException e)
            {
                throw new CliException(e.Message);
            }

            string resultsPath = Path.Combine(outputDirectory, ResultsFile.FileName(results));
            ResultsFile.Write(results, resultsPath);
            ScaleReport.Write(results, reportPath, resultsPath);
            BenchOutcome.Written(session, resultsPath, reportPath, results.Queries.Count, results.TotalSeconds / 60);
            BenchOutcome.Verdict(session, results.Mismatches, $"exactness: every answer equals the brute-force reference ({results.Queries.Count} queries).");
            return Task.CompletedTask;
        });
        return command;
    }
}
