using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using DeepEverest.Bench.Load;

namespace DeepEverest.Cli;

/// <summary>
/// <c>deepeverest bench load</c>: concurrent streams of random queries against the running
/// services (the addresses, <c>--api-key</c> and <c>--ca-file</c> of every command apply), then a
/// cancellation storm; see <see cref="LoadBenchmark"/>.
/// </summary>
internal static class LoadBenchCommand
{
    /// <summary>Default <c>/metrics</c> base address of the QueryService (its HTTP/1.1 endpoint).</summary>
    public const string DefaultQueryHttp = "http://127.0.0.1:8080";

    /// <summary>Default <c>/metrics</c> base address of the IndexService.</summary>
    public const string DefaultIndexHttp = "http://127.0.0.1:8081";

    /// <summary>Creates the command.</summary>
    public static Command Create(GlobalOptions globals)
    {
        var defaults = new LoadBenchmarkOptions();
        var streams = new Option<string>("--streams") { Description = "Concurrent streams of each phase, in order (the last is compared with the first).", DefaultValueFactory = _ => "1,16" };
        var seconds = new Option<int>("--seconds") { Description = $"Seconds each phase starts queries for (1-{LoadBenchmarkOptions.MaxSeconds}).", DefaultValueFactory = _ => defaults.Seconds };
        var warmup = new Option<int>("--warmup") { Description = "Seconds of unmeasured warm-up at the largest stream count.", DefaultValueFactory = _ => defaults.WarmupSeconds };
        var storm = new Option<int?>("--storm") { Description = "Queries of the cancellation storm (default 4 x the largest stream count; 0 skips it)." };
        var stormDelay = new Option<int>("--storm-max-delay-ms") { Description = "Each storm query is cancelled after a random delay up to this.", DefaultValueFactory = _ => defaults.StormMaxDelayMs };
        var k = new Option<int>("--k") { Description = "Results per query.", DefaultValueFactory = _ => defaults.K };
        var maxGroup = new Option<int>("--max-group") { Description = "Groups have 1 to this many neurons (the target's top ones, or random ones).", DefaultValueFactory = _ => defaults.MaxGroup };
        var strategy = new Option<string>("--strategy") { Description = "bounds, nta, reprocess or materialized.", DefaultValueFactory = _ => "bounds" };
        var model = new Option<string>("--model") { Description = "Query only this model's indexes (default: every published index)." };
        var dataset = new Option<string>("--dataset") { Description = "Query only this dataset's indexes." };
        var layers = new Option<string[]>("--layer") { Description = "Query only these layers (repeatable).", AllowMultipleArgumentsPerToken = false };
        var noCache = new Option<bool>("--no-cache") { Description = "Queries bypass the activation cache, so every phase does the same kind of work (with it, later phases find more rows cached)." };
        var seed = new Option<int>("--seed") { Description = "Seed of the random queries.", DefaultValueFactory = _ => defaults.Seed };
        var queryHttp = new Option<string>("--query-http") { Description = "The QueryService's HTTP/1.1 address, for its /metrics (resident memory, running queries).", DefaultValueFactory = _ => DefaultQueryHttp };
        var indexHttp = new Option<string>("--index-http") { Description = "The IndexService's HTTP/1.1 address, for its /metrics (resident memory).", DefaultValueFactory = _ => DefaultIndexHttp };
        var output = new Option<string>("--output") { Description = "Also write the markdown report to this file." };
        var command = new Command("load", "Concurrent streams of random queries against the running services for a bounded time, then a cancellation storm: completed, errors by status, p50/p99, throughput, resident memory.");
        foreach (Option option in new Option[] { streams, seconds, warmup, storm, stormDelay, k, maxGroup, strategy, model, dataset, layers, noCache, seed, queryHttp, indexHttp, output })
        {
            command.Options.Add(option);
        }

        globals.SetAction(command, async (session, parse, cancellationToken) =>
        {
            var options = new LoadBenchmarkOptions
            {
                Streams = ParseStreams(parse.GetValue(streams)!),
                Seconds = parse.GetValue(seconds),
                WarmupSeconds = parse.GetValue(warmup),
                StormQueries = parse.GetValue(storm),
                StormMaxDelayMs = parse.GetValue(stormDelay),
                K = parse.GetValue(k),
                MaxGroup = parse.GetValue(maxGroup),
                Strategy = QueryArguments.Strategy(parse.GetValue(strategy)!),
                Model = parse.GetValue(model),
                Dataset = parse.GetValue(dataset),
                Layers = parse.GetValue(layers) ?? [],
                NoCache = parse.GetValue(noCache),
                Seed = parse.GetValue(seed),
            };
            try
            {
                options.Validate();
            }
            catch (ArgumentException e)
            {
                throw new CliException(e.Message);
            }

            using HttpClient http = session.CreateHttpClient();
            var metrics = new Dictionary<string, string>
            {
                ["query-service"] = parse.GetValue(queryHttp)!.TrimEnd('/') + "/metrics",
                ["index-service"] = parse.GetValue(indexHttp)!.TrimEnd('/') + "/metrics",
            };
            var benchmark = new LoadBenchmark(new Contracts.V1.QueryService.QueryServiceClient(session.QueryChannel), session.Index, http, metrics);
            LoadReport report = await benchmark.RunAsync(options, new Progress(line => session.Console.Error.WriteLine(line)), cancellationToken).ConfigureAwait(false);
            string markdown = report.ToMarkdown();
            if (parse.GetValue(output) is { Length: > 0 } path)
            {
                await File.WriteAllTextAsync(path, markdown, cancellationToken).ConfigureAwait(false);
            }

            session.Console.Out.WriteLine(session.Json
                ? JsonSerializer.Serialize(report, new JsonSerializerOptions { PropertyNamingPolicy = JsonNamingPolicy.CamelCase })
                : markdown);
        });
        return command;
    }

    private static int[] ParseStreams(string text)
    {
        try
        {
            return text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray();
        }
        catch (FormatException)
        {
            throw new CliException($"--streams '{text}': give stream counts separated by commas, e.g. 1,16.");
        }
    }

    /// <summary>Reports on the calling thread, in order.</summary>
    private sealed class Progress(Action<string> report) : IProgress<string>
    {
        public void Report(string value) => report(value);
    }
}
