using System.CommandLine;
using DeepEverest.Bench;
using DeepEverest.Bench.Text;

namespace DeepEverest.Cli;

/// <summary>
/// <c>deepeverest bench text</c>: exact token queries over ArcticXs's early and late MLP layers on
/// a text corpus, one document per file (<see cref="TextBenchmark"/>).
/// </summary>
internal static class TextBenchCommand
{
    /// <summary>Creates the command.</summary>
    public static Command Create(GlobalOptions globals)
    {
        var quick = new Option<bool>("--quick") { Description = "Smoke run: the first chapter of the Moby Dick test fixture, one target (under a minute). Checks exactness the same way." };
        var corpus = new Option<string>("--corpus") { Description = "Folder whose *.txt files, sorted by name, are the documents. Default: the State of the Union addresses make sotu unpacks ($XDG_CACHE_HOME/deepeverest/sotu/package/data)." };
        var documents = new Option<int>("--documents") { Description = "Only the first N documents (0: all), for a run on a prefix of the corpus." };
        var targets = new Option<int?>("--targets") { Description = "Seeded random target tokens per layer (default 10; 1 with --quick)." };
        var reprocessRuns = new Option<int?>("--reprocess-runs") { Description = "ReprocessAll runs per layer, each an inference pass over every window (default 2, at most --targets; 1 with --quick)." };
        var dataRoot = new Option<string>("--data-root") { Description = "Where the store goes (deleted afterwards unless --keep-data). Default: bench/tmp/text-<pid>." };
        var output = new Option<string>("--output") { Description = "Directory of the results JSON. Default: bench/results (bench/tmp/quick with --quick)." };
        var report = new Option<string>("--report") { Description = "Markdown report to generate. Default: docs/benchmarks-text.md (bench/tmp/quick/benchmarks-text.md with --quick)." };
        var keep = new Option<bool>("--keep-data") { Description = "Keep the data root after the run." };
        var command = new Command("text", "Exact highest and similar token queries over ArcticXs's early and late MLP layers on a text corpus (SOTU by default), checked against a brute-force pass: speedup over ReprocessAll, windows run against the oracle minimum, index size, build time. Exits 1 if any answer is inexact.");
        foreach (Option option in new Option[] { quick, corpus, documents, targets, reprocessRuns, dataRoot, output, report, keep })
        {
            command.Options.Add(option);
        }

        globals.SetAction(command, (session, parse, cancellationToken) =>
        {
            bool isQuick = parse.GetValue(quick);
            TextBenchmarkOptions options = (isQuick ? TextBenchmarkOptions.Quick : TextBenchmarkOptions.Full) with
            {
                DataRoot = parse.GetValue(dataRoot) ?? Path.Combine("bench", "tmp", $"text-{Environment.ProcessId}"),
                KeepData = parse.GetValue(keep),
            };
            if (parse.GetValue(corpus) is { Length: > 0 } folder)
            {
                options = options with { CorpusDirectory = folder };
            }

            if (parse.GetResult(documents) is not null)
            {
                options = options with { Documents = parse.GetValue(documents) };
            }

            if (parse.GetValue(targets) is int count)
            {
                options = options with { Targets = count, ReprocessRuns = Math.Min(options.ReprocessRuns, count) };
            }

            if (parse.GetValue(reprocessRuns) is int runs)
            {
                options = options with { ReprocessRuns = runs };
            }

            string outputDirectory = parse.GetValue(output) ?? (isQuick ? Path.Combine("bench", "tmp", "quick") : Path.Combine("bench", "results"));
            string reportPath = parse.GetValue(report) ?? (isQuick ? Path.Combine("bench", "tmp", "quick", "benchmarks-text.md") : Path.Combine("docs", "benchmarks-text.md"));
            TextBenchmarkResults results;
            try
            {
                results = TextBenchmark.Run(options, BenchOutcome.Lines(line => session.Console.Out.WriteLine(line)), cancellationToken);
            }
            catch (ArgumentException e)
            {
                throw new CliException(e.Message);
            }

            string resultsPath = Path.Combine(outputDirectory, ResultsFile.FileName(results));
            ResultsFile.Write(results, resultsPath);
            TextReport.Write(results, reportPath, resultsPath);
            BenchOutcome.Written(session, resultsPath, reportPath, results.Queries.Count, results.TotalSeconds / 60);
            BenchOutcome.Verdict(session, results.Mismatches, $"exactness: every answer equals the brute-force reference ({results.Queries.Count} queries).");
            return Task.CompletedTask;
        });
        return command;
    }
}
