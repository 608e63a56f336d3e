using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using DeepEverest.Contracts.V1;
using Grpc.Core;

namespace DeepEverest.Cli;

/// <summary>
/// <c>deepeverest bench latency</c>: the latency a client sees over gRPC against running services
/// (unlike the other <c>bench</c> subcommands, which run in process). Sends sequential top-k
/// similarity queries on one layer, cycling over a few dataset targets after a warm-up pass, and
/// reports the time to the first streamed update and to the final answer.
/// </summary>
internal static class LatencyBenchCommand
{
    /// <summary>Creates <c>bench latency</c>.</summary>
    public static Command Create(GlobalOptions globals)
    {
        var layer = new LayerRefOptions();
        var queries = new Option<int>("--queries") { Description = "Timed queries, sent one after another.", DefaultValueFactory = _ => 100 };
        var targets = new Option<int>("--targets") { Description = "Dataset inputs 0..N-1 used as targets in turn (each is queried once untimed first, so the run is warm).", DefaultValueFactory = _ => 10 };
        var group = new Option<string>("--group") { Description = "Neuron group, as for `query similar`.", DefaultValueFactory = _ => "top:3" };
        var k = new Option<int>("--k") { Description = "Number of results.", DefaultValueFactory = _ => 20 };
        var command = new Command("latency", "Time sequential top-k queries over gRPC against a running QueryService: first update and final answer, p50/p90/max.");
        layer.AddTo(command);
        foreach (Option option in new Option[] { queries, targets, group, k })
        {
            command.Options.Add(option);
        }

        globals.SetAction(command, async (session, parse, cancellationToken) =>
        {
            int count = parse.GetValue(queries);
            int targetCount = parse.GetValue(targets);
            if (count < 1 || targetCount < 1)
            {
                throw new CliException("--queries and --targets must be at least 1.");
            }

            LayerRef layerRef = await layer.ResolveAsync(session, parse, cancellationToken).ConfigureAwait(false);
            var client = new QueryService.QueryServiceClient(session.QueryChannel);
            string groupText = parse.GetValue(group)!;
            int kValue = parse.GetValue(k);
            var first = new List<double>(count);
            var final = new List<double>(count);
            var engine = new List<double>(count);
            NeuronGroup neuronGroup = QueryArguments.Group(groupText);
            for (int i = -targetCount; i < count; i++)
            {
                int target = (i + targetCount) % targetCount;
                var request = new TopKSimilarRequest { Layer = layerRef, Target = new Target { InputId = target }, Group = neuronGroup, K = kValue };
                (double firstMs, double finalMs, long engineMs) = await TimeAsync(client, request, cancellationToken).ConfigureAwait(false);
                if (i >= 0)
                {
                    first.Add(firstMs);
                    final.Add(finalMs);
                    engine.Add(engineMs);
                }
            }

            var result = new LatencyResult(count, Percentiles.Of(first), Percentiles.Of(final), Percentiles.Of(engine));
            session.Console.Out.WriteLine(session.Json
                ? JsonSerializer.Serialize(result, new JsonSerializerOptions { PropertyNamingPolicy = JsonNamingPolicy.CamelCase })
                : string.Create(CultureInfo.InvariantCulture,
                    $"{count} sequential queries on {layerRef.Layer} (group {groupText}, k {kValue}, {targetCount} warm targets):\n"
                    + $"  first update  p50 {result.FirstUpdate.P50:F1} ms  p90 {result.FirstUpdate.P90:F1} ms  max {result.FirstUpdate.Max:F1} ms\n"
                    + $"  final answer  p50 {result.Final.P50:F1} ms  p90 {result.Final.P90:F1} ms  max {result.Final.Max:F1} ms\n"
                    + $"  first update inside the engine (stats.elapsed_ms, whole ms)  p50 {result.EngineFirstUpdate.P50:F0} ms  p90 {result.EngineFirstUpdate.P90:F0} ms"));
        });
        return command;
    }

    private static async Task<(double FirstMs, double FinalMs, long EngineMs)> TimeAsync(QueryService.QueryServiceClient client, TopKSimilarRequest request, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        double firstMs = double.NaN;
        long engineMs = 0;
        using AsyncServerStreamingCall<TopKUpdate> call = client.TopKSimilar(request, cancellationToken: cancellationToken);
        await foreach (TopKUpdate update in call.ResponseStream.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            if (double.IsNaN(firstMs))
            {
                firstMs = clock.Elapsed.TotalMilliseconds;
                engineMs = update.Stats?.ElapsedMs ?? 0;
            }

            if (update.Done)
            {
                return (firstMs, clock.Elapsed.TotalMilliseconds, engineMs);
            }
        }

        throw new CliException("the query stream ended without a final answer.");
    }

    /// <summary>What <c>bench latency</c> measured.</summary>
    /// <param name="Queries">Timed queries.</param>
    /// <param name="FirstUpdate">Milliseconds from sending a query to its first update.</param>
    /// <param name="Final">Milliseconds from sending a query to its final (exact) answer.</param>
    /// <param name="EngineFirstUpdate">The first update's own <c>stats.elapsed_ms</c>: time inside the engine, from the query's arrival.</param>
    internal sealed record LatencyResult(int Queries, Percentiles FirstUpdate, Percentiles Final, Percentiles EngineFirstUpdate);

    /// <summary>Nearest-rank percentiles of a sample, in milliseconds.</summary>
    /// <param name="P50">Median.</param>
    /// <param name="P90">90th percentile.</param>
    /// <param name="Max">Largest value.</param>
    internal sealed record Percentiles(double P50, double P90, double Max)
    {
        /// <summary>Summarizes a non-empty sample.</summary>
        public static Percentiles Of(IEnumerable<double> values)
        {
            double[] sorted = values.Order().ToArray();
            return new Percentiles(Rank(sorted, 0.5), Rank(sorted, 0.9), sorted[^1]);
        }

        private static double Rank(double[] sorted, double p) =>
            sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];
    }
}
