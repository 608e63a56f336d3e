using System.Diagnostics.Metrics;
using DeepEverest.Contracts.V1;
using DeepEverest.Services.Tests.Infrastructure;
using Grpc.Core;
using Grpc.Net.Client;
using Xunit.Abstractions;
using QueryClient = DeepEverest.Contracts.V1.QueryService.QueryServiceClient;

namespace DeepEverest.Services.Tests.Router;

/// <summary>
/// How many inputs four input-range shards behind the router infer against one store, on the
/// issue's benchmark queries (the demo model's middle layer, k = 20, targets x similar/highest x
/// top-3/top-10, no cache) over a 5,000-image slice. Not part of <c>make test</c> (category
/// Measure: <c>make router-inferences</c>); it checks every answer is identical and prints the
/// ratio. Inferences are counted where they happen, by the shards' own
/// <c>deepeverest.query.inputs.inferred</c> counter (a stopped shard's work included), not from the
/// merged stream's stats. With <c>DEEPEVEREST_MEASURE_OUT</c> set (the make target sets it) it also
/// writes the per-query counts and the ratios there as JSON: docs/scale-out.md quotes that file,
/// and <c>RouterInferenceDocsTests</c> checks the page against it.
/// </summary>
[Trait("Category", "Measure")]
public sealed class RouterInferenceMeasurement(ITestOutputHelper output)
{
    private const int Inputs = 5000;
    private const int Shards = 4;
    private const string Layer = "/block3/block3.2/Relu_output_0";

    [Fact]
    public async Task FourShards_BenchmarkQueries_IdenticalAnswersAndInferenceRatio()
    {
        var nodes = new List<ShardNode>();
        try
        {
            ShardNode whole = await ShardNode.StartAsync(RouterFixture.Dataset, Inputs, null, Layer);
            nodes.Add(whole);
            for (int s = 0; s < Shards; s++)
            {
                nodes.Add(await ShardNode.StartAsync(RouterFixture.Dataset, Inputs, new InputRange { Start = s * Inputs / Shards, End = (s + 1) * Inputs / Shards }, Layer));
            }

            await using var router = new RouterFactory([.. nodes.Skip(1).Select(n => (n.QueryUrl, n.IndexUrl))]);
            using GrpcChannel routerChannel = router.CreateChannel();
            using GrpcChannel wholeChannel = GrpcChannel.ForAddress(whole.QueryUrl);
            var single = new QueryClient(wholeChannel);
            var routed = new QueryClient(routerChannel);
            using var inferred = new InferenceCounter();

            var ratios = new List<double>();
            var rows = new List<RouterInferenceReport.Query>();
            long singleTotal = 0;
            long routedTotal = 0;
            var random = new Random(11);
            for (int t = 0; t < 10; t++)
            {
                long target = random.Next(Inputs);
                foreach (bool similar in new[] { true, false })
                {
                    foreach (int m in new[] { 3, 10 })
                    {
                        var layer = new LayerRef { Model = RouterFixture.Model, Dataset = RouterFixture.Dataset, Layer = Layer };
                        var options = new QueryOptions { NoCache = true, MinUpdateIntervalMs = 0 };
                        var group = new NeuronGroup { TopOfTarget = m };
                        var request = similar
                            ? new RouterRequests.Request(new TopKSimilarRequest { Layer = layer, Target = new Target { InputId = target }, Group = group, K = 20, Options = options }, null)
                            : new RouterRequests.Request(null, new TopKHighestRequest { Layer = layer, Target = new Target { InputId = target }, Group = group, K = 20, Options = options });

                        TopKUpdate expected = await inferred.CountAsync(() => LastAsync(single, request), out Func<long> singleCount);
                        long one = singleCount();
                        TopKUpdate answer = await inferred.CountAsync(() => LastAsync(routed, request), out Func<long> routedCount);
                        long four = routedCount();

                        Assert.Equal(expected.Hits, answer.Hits);
                        singleTotal += one;
                        routedTotal += four;
                        ratios.Add(one == 0 ? (four == 0 ? 1 : double.PositiveInfinity) : (double)four / one);
                        rows.Add(new RouterInferenceReport.Query(similar ? "similar" : "highest", target, m, one, four));
                        output.WriteLine($"{(similar ? "similar" : "highest")} target {target} top:{m}: single {one}, 4 shards {four} (merged stats say {answer.Stats.InputsInferred})");
                    }
                }
            }

            ratios.Sort();
            output.WriteLine($"inferences, 4 shards / single node: median {ratios[(ratios.Count - 1) / 2]:F2}x, total {(double)routedTotal / singleTotal:F2}x ({routedTotal} / {singleTotal}), max {ratios[^1]:F2}x");
            var report = new RouterInferenceReport(Inputs, Shards, Layer, 20, rows);
            Assert.Equal(ratios[(ratios.Count - 1) / 2], report.MedianRatio);
            if (Environment.GetEnvironmentVariable("DEEPEVEREST_MEASURE_OUT") is { Length: > 0 } path)
            {
                report.Write(path);
                output.WriteLine($"wrote {path}");
            }
        }
        finally
        {
            foreach (ShardNode node in nodes)
            {
                await node.DisposeAsync();
            }
        }
    }

    private static async Task<TopKUpdate> LastAsync(QueryClient client, RouterRequests.Request request)
    {
        using AsyncServerStreamingCall<TopKUpdate> call = request.Similar is not null
            ? client.TopKSimilar(request.Similar, deadline: DateTime.UtcNow.Add(TaskTimeoutExtensions.Timeout))
            : client.TopKHighest(request.Highest!, deadline: DateTime.UtcNow.Add(TaskTimeoutExtensions.Timeout));
        TopKUpdate? last = null;
        await foreach (TopKUpdate update in call.ResponseStream.ReadAllAsync())
        {
            last = update;
        }

        return last!;
    }

    /// <summary>Sums every QueryService's inferred-inputs counter in this process.</summary>
    private sealed class InferenceCounter : IDisposable
    {
        private readonly MeterListener _listener = new();
        private long _total;

        public InferenceCounter()
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Name == "deepeverest.query.inputs.inferred")
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<long>((_, value, _, _) => Interlocked.Add(ref _total, value));
            _listener.Start();
        }

        /// <summary>Runs <paramref name="query"/>; <paramref name="count"/> then gives the inputs inferred meanwhile.</summary>
        public Task<TopKUpdate> CountAsync(Func<Task<TopKUpdate>> query, out Func<long> count)
        {
            long before = Interlocked.Read(ref _total);
            Task<TopKUpdate> run = RunAsync(query);
            count = () => Interlocked.Read(ref _total) - before;
            return run;
        }

        public void Dispose() => _listener.Dispose();

        private static async Task<TopKUpdate> RunAsync(Func<Task<TopKUpdate>> query)
        {
            TopKUpdate last = await query();

            // Stopped shards record their work when their workers leave, just after the answer.
            await Task.Delay(500);
            return last;
        }
    }
}
