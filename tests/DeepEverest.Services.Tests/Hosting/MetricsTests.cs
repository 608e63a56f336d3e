using DeepEverest.Contracts.V1;
using DeepEverest.Services.Tests.Infrastructure;
using DeepEverest.Services.Tests.QueryService;
using Grpc.Core;
using IndexClient = DeepEverest.Contracts.V1.IndexService.IndexServiceClient;
using QueryClient = DeepEverest.Contracts.V1.QueryService.QueryServiceClient;

namespace DeepEverest.Services.Tests.Hosting;

/// <summary>
/// <c>/metrics</c> of the real service programs (child processes: in-process hosts would share the
/// "DeepEverest" meter name with every other test's host): queries counted by strategy and
/// outcome, a cancelled query leaving <c>deepeverest_queries_running</c> at 0, builds by phase.
/// </summary>
[Collection(QueryServiceCollection.Name)]
public sealed class MetricsTests(QueryServiceFixture fixture)
{
    [Fact]
    public async Task QueryMetrics_DoneRefusedAndCancelledQueries_CountedAndRunningBackToZero()
    {
        using ServiceProcess service = await ServiceProcess.StartQueryServiceAsync(fixture.DataRoot);
        using var http = new HttpClient();
        var client = new QueryClient(service.Channel);

        // One query to the end, one refused (k = 0), one cancelled after its first update.
        var done = new TopKSimilarRequest
        {
            Layer = QueryServiceFixture.Layer(QueryServiceFixture.IndexedLayer),
            Target = new Target { InputId = 3 },
            Group = new NeuronGroup { TopOfTarget = 3 },
            K = 10,
            Options = new QueryOptions { NoCache = true },
        };
        TopKUpdate last = (await ReadAllAsync(client.TopKSimilar(done)))[^1];
        TopKSimilarRequest refused = done.Clone();
        refused.K = 0;
        await Assert.ThrowsAsync<RpcException>(() => ReadAllAsync(client.TopKSimilar(refused)));

        TopKSimilarRequest slow = done.Clone();
        slow.Layer.Layer = QueryServiceFixture.UnindexedLayer;
        slow.Options = new QueryOptions { Strategy = Strategy.ReprocessAll, BatchSize = 1 };
        using var cancel = new CancellationTokenSource();
        using AsyncServerStreamingCall<TopKUpdate> call = client.TopKSimilar(slow, cancellationToken: cancel.Token);
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None).DefaultTimeout());
        PrometheusScrape during = await PrometheusScrape.ScrapeAsync(http, service.HttpAddress);
        await cancel.CancelAsync();
        RpcException cancelled = await Assert.ThrowsAsync<RpcException>(() => call.ResponseStream.MoveNext(CancellationToken.None)).DefaultTimeout();
        Assert.Equal(StatusCode.Cancelled, cancelled.StatusCode);
        PrometheusScrape after = await ScrapeUntilAsync(http, service.HttpAddress, s => s.Sum("deepeverest_queries_running") == 0
            && s.Sum("deepeverest_streams_open") == 0
            && s.Sum("deepeverest_query_duration_seconds_count") == 3);

        Assert.Equal(1, during.Sum("deepeverest_queries_running"));
        Assert.Equal(1, during.Sum("deepeverest_streams_open", "rpc=TopKSimilar"));
        Assert.Equal(0, after.Sum("deepeverest_queries_running"));
        Assert.Equal(0, after.Sum("deepeverest_streams_open", "rpc=TopKSimilar"));
        Assert.Equal(1, after.Sum("deepeverest_query_duration_seconds_count", "type=similar", "strategy=bounds", "outcome=ok"));
        Assert.Equal(1, after.Sum("deepeverest_query_duration_seconds_count", "type=similar", "strategy=bounds", "outcome=invalid_argument"));
        Assert.Equal(1, after.Sum("deepeverest_query_duration_seconds_count", "type=similar", "strategy=reprocess_all", "outcome=cancelled"));
        Assert.Equal(1, after.Sum("deepeverest_query_time_to_first_update_seconds_count", "strategy=bounds"));
        Assert.Equal(1, after.Sum("deepeverest_query_time_to_first_update_seconds_count", "strategy=reprocess_all"));
        Assert.Equal(last.Stats.InputsInferred, after.Sum("deepeverest_query_inputs_inferred_total", "strategy=bounds"));
        Assert.Equal(last.Stats.InputsPruned, after.Sum("deepeverest_query_inputs_pruned_total", "strategy=bounds"));
        Assert.Equal(last.Stats.InputsExactFromIndex, after.Sum("deepeverest_query_inputs_exact_from_index_total", "strategy=bounds"));
        Assert.True(after.Has("http_server_request_duration_seconds_count"), "ASP.NET Core instrumentation");
        Assert.True(after.Has("dotnet_gc_collections_total"), "runtime instrumentation");
    }

    [Fact]
    public async Task BuildMetrics_OneBuild_InputsPhasesDurationAndIndexSize()
    {
        const int Inputs = 200;
        string root = TestData.CreateTempDirectory();
        try
        {
            TestData.CopyModel(root);
            (string images, string labels) = TestData.WriteFashionSlice(root, "slice", Inputs);
            using ServiceProcess service = await ServiceProcess.StartIndexServiceAsync(root);
            using var http = new HttpClient();
            var client = new IndexClient(service.Channel);
            await client.AddModelAsync(new AddModelRequest { Name = "vgg", Path = TestData.ModelFile }).ResponseAsync.DefaultTimeout();
            var import = new ImportDatasetRequest { Name = "fm", Preprocessing = new Preprocessing { Scale = 1f / 255 } };
            import.Parts.Add(new DatasetPart { InputsPath = images, LabelsPath = labels });
            import.InputShape.AddRange([1, 28, 28]);
            await client.ImportDatasetAsync(import).ResponseAsync.DefaultTimeout();

            List<BuildProgress> build = await client.BuildAsync(new BuildIndexRequest { Layer = new LayerRef { Model = "vgg", Dataset = "fm", Layer = TestData.SmallLayer } });
            PrometheusScrape scrape = await ScrapeUntilAsync(http, service.HttpAddress, s => s.Sum("deepeverest_build_duration_seconds_count") == 1 && s.Sum("deepeverest_streams_open") == 0);

            Assert.Equal(Inputs, scrape.Sum("deepeverest_build_inputs_done_total", "kind=index"));
            Assert.Equal(1, scrape.Sum("deepeverest_build_duration_seconds_count", "kind=index", "outcome=ok"));
            foreach (string phase in new[] { "inference", "construction", "publishing" })
            {
                Assert.Equal(1, scrape.Sum("deepeverest_build_phase_duration_seconds_count", "kind=index", $"phase={phase}"));
            }

            Assert.Equal(0, scrape.Sum("deepeverest_builds_running", "kind=index"));
            Assert.Equal(0, scrape.Sum("deepeverest_streams_open", "rpc=BuildIndex"));
            Assert.Equal(build[^1].Index.IndexBytes, scrape.Sum("deepeverest_index_size_bytes", "model=vgg", "dataset=fm", $"layer={TestData.SmallLayer}"));
        }
        finally
        {
            TestData.DeleteDirectory(root);
        }
    }

    private static async Task<List<TopKUpdate>> ReadAllAsync(AsyncServerStreamingCall<TopKUpdate> call)
    {
        using (call)
        {
            var updates = new List<TopKUpdate>();
            await foreach (TopKUpdate update in call.ResponseStream.ReadAllAsync().WithCancellation(CancellationToken.None))
            {
                updates.Add(update);
            }

            return updates;
        }
    }

    /// <summary>Scrapes until <paramref name="ready"/> holds (a cancelled worker leaves within a batch), at most 30 s.</summary>
    private static async Task<PrometheusScrape> ScrapeUntilAsync(HttpClient http, string address, Func<PrometheusScrape, bool> ready)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            PrometheusScrape scrape = await PrometheusScrape.ScrapeAsync(http, address);
            if (ready(scrape) || DateTime.UtcNow > deadline)
            {
                return scrape;
            }

            await Task.Delay(50);
        }
    }
}
