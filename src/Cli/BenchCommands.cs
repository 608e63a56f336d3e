using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using DeepEverest.Bench;
using DeepEverest.Bench.Text;
using DeepEverest.Bench.Kernels;
using DeepEverest.Bench.Results;
using DeepEverest.Kernels;

namespace DeepEverest.Cli;

/// <summary>
/// <c>deepeverest bench kernels|paper|report|latency|load|scale|text</c>: the kernel micro-benchmark and the
/// paper's experiments on the demo model with a generated report run in process (no services);
/// <c>latency</c> (<see cref="LatencyBenchCommand"/>) times sequential queries over gRPC and
/// <c>load</c> (<see cref="LoadBenchCommand"/>) drives concurrent streams against running services.
/// </summary>
internal static class BenchCommands
{
    /// <summary>Creates <c>bench kernels | paper | report | latency | load | scale | text</c>.</summary>
    public static Command Create(GlobalOptions globals)
    {
        var bench = new Command("bench", "Benchmarks: kernels and the paper's experiments on the demo model (in process); query latency and load over gRPC (running services).");
        bench.Subcommands.Add(CreateKernels(globals));
        bench.Subcommands.Add(CreatePaper(globals));
        bench.Subcommands.Add(CreateReport(globals));
        bench.Subcommands.Add(LatencyBenchCommand.Create(globals));
        bench.Subcommands.Add(LoadBenchCommand.Create(globals));
        bench.Subcommands.Add(ScaleBenchCommand.Create(globals));
        bench.Subcommands.Add(TextBenchCommand.Create(globals));
        return bench;
    }

    private static Command CreateKernels(GlobalOptions globals)
    {
        var quick = new Option<bool>("--quick") { Description = "One warm-up and one timed run per case (a smoke run; figures are noisy)." };
        var command = new Command("kernels", "Time every kernel (bounds, exact costs, top-k, index construction) on this machine's CPU.");
        command.Options.Add(quick);
        globals.SetAction(command, (session, parse, cancellationToken) =>
        {
            using IKernels kernels = KernelSelector.Create(new KernelOptions { Backend = KernelBackend.Cpu });
            KernelBenchmarkOptions options = parse.GetValue(quick) ? KernelBenchmarkOptions.Quick : KernelBenchmarkOptions.Default;
            KernelBenchmarkReport report = KernelBenchmark.Run(kernels, options, BenchOutcome.Lines(line => session.Console.Error.WriteLine(line)));
            session.Console.Out.WriteLine(session.Json
                ? JsonSerializer.Serialize(report, new JsonSerializerOptions { PropertyNamingPolicy = JsonNamingPolicy.CamelCase })
                : report.ToMarkdown());
            return Task.CompletedTask;
        });
        return command;
    }

    private static Command CreatePaper(GlobalOptions globals)
    {
        var quick = new Option<bool>("--quick") { Description = "CI smoke run: 5,000 inputs, 2 targets, 2 grid points, 10 workload queries (a few minutes). Checks exactness only." };
        var dataRoot = new Option<string>("--data-root") { Description = "Where the benchmark's stores go (deleted afterwards unless --keep-data). Default: bench/tmp/paper-<pid>." };
        var output = new Option<string>("--output") { Description = "Directory of the results JSON. Default: bench/results (bench/tmp/quick with --quick)." };
        var report = new Option<string>("--report") { Description = "Markdown report to generate (plots go to a benchmarks/ folder beside it). Default: docs/benchmarks.md (bench/tmp/quick/benchmarks.md with --quick)." };
        var limit = new Option<int>("--limit-inputs") { Description = "Use only the first N Fashion-MNIST images (default: all 70,000; 5,000 with --quick)." };
        var keep = new Option<bool>("--keep-data") { Description = "Keep the data root after the run." };
        var model = new Option<string>("--model") { Description = "demo (the committed VGG-style CNN, default) or resnet18 (ImageNet ResNet18 from the NuGet package the build restores, on Fashion-MNIST at 224x224; hours).", DefaultValueFactory = _ => "demo" };
        model.AcceptOnlyFromAmong("demo", "resnet18");
        var modelPath = new Option<string>("--model-path") { Description = "The model file: the demo model (default models/demo/fashion_vgg.onnx), or ResNet18.onnx inside the restored package for --model resnet18." };
        var datasetDirectory = new Option<string>("--dataset-dir") { Description = "Directory of the Fashion-MNIST idx .gz files.", DefaultValueFactory = _ => "/usr/share/datasets/fashion-mnist" };
        var uint8Inputs = new Option<bool>("--uint8-inputs") { Description = "With --model resnet18: store the images as uint8 (150 KB each) with the package's ResNetPreprocess.onnx composed in front of the model, instead of float32 model inputs (600 KB each)." };
        var command = new Command("paper", "Reproduce the paper's experiments on the demo model (latency, inferences vs the oracle, the P x ratio grid, a session workload) or on ResNet18 (--model resnet18). Exits 1 if any answer is inexact.");
        foreach (Option option in new Option[] { quick, dataRoot, output, report, limit, keep, model, modelPath, datasetDirectory, uint8Inputs })
        {
            command.Options.Add(option);
        }

        globals.SetAction(command, (session, parse, cancellationToken) =>
        {
            bool isQuick = parse.GetValue(quick);
            if (parse.GetValue(model) == "resnet18")
            {
                RunResNet(session, parse, isQuick, parse.GetValue(dataRoot), parse.GetValue(output), parse.GetValue(report), parse.GetValue(limit), parse.GetValue(keep), parse.GetValue(modelPath), parse.GetValue(datasetDirectory)!, parse.GetValue(uint8Inputs), cancellationToken);
                return Task.CompletedTask;
            }

            PaperBenchmarkOptions options = isQuick ? PaperBenchmarkOptions.Quick : PaperBenchmarkOptions.Full;
            options = options with
            {
                DataRoot = parse.GetValue(dataRoot) ?? Path.Combine("bench", "tmp", $"paper-{Environment.ProcessId}"),
                KeepData = parse.GetValue(keep),
                ModelPath = parse.GetValue(modelPath) ?? "models/demo/fashion_vgg.onnx",
                DatasetDirectory = parse.GetValue(datasetDirectory)!,
            };
            if (parse.GetValue(limit) is > 0 and int n)
            {
                options = options with { Inputs = n };
            }

            string outputDirectory = parse.GetValue(output) ?? (isQuick ? Path.Combine("bench", "tmp", "quick") : Path.Combine("bench", "results"));
            string reportPath = parse.GetValue(report) ?? (isQuick ? Path.Combine("bench", "tmp", "quick", "benchmarks.md") : Path.Combine("docs", "benchmarks.md"));
            var clock = Stopwatch.StartNew();
            PaperBenchmarkResults results = PaperBenchmark.Run(options, BenchOutcome.Lines(line => session.Console.Out.WriteLine(line)), cancellationToken);
            string resultsPath = Path.Combine(outputDirectory, ResultsFile.FileName(results));
            ResultsFile.Write(results, resultsPath);
            PaperReport.Write(results, reportPath, resultsPath);
            session.Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"results: {resultsPath}; report: {reportPath}; {results.Queries.Count} queries and {results.Workload.Count} workload steps in {clock.Elapsed.TotalMinutes:F1} min"));
            Finish(session, results);
            return Task.CompletedTask;
        });
        return command;
    }

    private static void RunResNet(CliSession session, ParseResult parse, bool isQuick, string? dataRoot, string? output, string? report, int limit, bool keep, string? modelPath, string datasetDirectory, bool uint8Inputs, CancellationToken cancellationToken)
    {
        ResNetBenchmarkOptions options = (isQuick ? ResNetBenchmarkOptions.Quick : ResNetBenchmarkOptions.Full) with
        {
            DataRoot = dataRoot ?? Path.Combine("bench", "tmp", $"resnet18-{Environment.ProcessId}"),
            KeepData = keep,
            DatasetDirectory = datasetDirectory,
            UInt8Inputs = uint8Inputs,
        };
        if (modelPath is not null)
        {
            // <package>/tools/DnnImageModels/ResNet18Onnx/ResNet18.onnx: the models directory is two up.
            options = options with { PackageDirectory = Path.GetDirectoryName(Path.GetDirectoryName(Path.GetFullPath(modelPath)))! };
        }

        if (limit > 0)
        {
            options = options with { Inputs = limit };
        }

        string outputDirectory = output ?? (isQuick ? Path.Combine("bench", "tmp", "quick") : Path.Combine("bench", "results"));
        string reportPath = report ?? (isQuick ? Path.Combine("bench", "tmp", "quick", "benchmarks-resnet18.md") : Path.Combine("docs", "benchmarks-resnet18.md"));
        var clock = Stopwatch.StartNew();
        ResNetBenchmarkResults results = ResNetBenchmark.Run(options, BenchOutcome.Lines(line => session.Console.Out.WriteLine(line)), cancellationToken);
        string resultsPath = Path.Combine(outputDirectory, ResultsFile.FileName(results));
        ResultsFile.Write(results, resultsPath);
        ResNetReport.Write(results, reportPath, resultsPath);
        BenchOutcome.Written(session, resultsPath, reportPath, results.Queries.Count, clock.Elapsed.TotalMinutes);
        BenchOutcome.Verdict(session, results.Mismatches, $"exactness: every strategy returned the same answers ({results.Queries.Count} queries).");
    }

    private static Command CreateReport(GlobalOptions globals)
    {
        var results = new Option<string>("--results") { Description = "A results JSON written by `bench paper` or `bench text`.", Required = true };
        var report = new Option<string>("--report") { Description = "Markdown report to generate (default: docs/benchmarks.md, docs/benchmarks-resnet18.md for ResNet18 results, docs/benchmarks-text.md for text results)." };
        var command = new Command("report", "Regenerate the markdown report and plots from a results file, without rerunning.");
        command.Options.Add(results);
        command.Options.Add(report);
        globals.SetAction(command, (session, parse, cancellationToken) =>
        {
            string path = parse.GetValue(results)!;
            string reportPath;
            if (ResultsFile.IsText(path))
            {
                reportPath = parse.GetValue(report) ?? Path.Combine("docs", "benchmarks-text.md");
                TextReport.Write(ResultsFile.ReadText(path), reportPath, path);
            }
            else if (ResultsFile.IsResNet(path))
            {
                reportPath = parse.GetValue(report) ?? Path.Combine("docs", "benchmarks-resnet18.md");
                ResNetReport.Write(ResultsFile.ReadResNet(path), reportPath, path);
            }
            else
            {
                reportPath = parse.GetValue(report) ?? Path.Combine("docs", "benchmarks.md");
                PaperReport.Write(ResultsFile.Read(path), reportPath, path);
            }

            session.Console.Out.WriteLine($"report: {reportPath}");
            return Task.CompletedTask;
        });
        return command;
    }

    private static void Finish(CliSession session, PaperBenchmarkResults results) =>
        BenchOutcome.Verdict(session, results.Mismatches, $"exactness: every strategy returned the same answers ({results.Queries.Count} queries, {results.Workload.Count * results.WorkloadSystems.Count} workload answers).");
}
