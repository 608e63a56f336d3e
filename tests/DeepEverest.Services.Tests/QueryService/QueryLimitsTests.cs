using System.Net;
using System.Net.Http.Headers;
using System.Text;
using DeepEverest.Contracts.V1;
using DeepEverest.Core;
using DeepEverest.QueryService.Limits;
using DeepEverest.Services.Tests.Infrastructure;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using QueryClient = DeepEverest.Contracts.V1.QueryService.QueryServiceClient;

namespace DeepEverest.Services.Tests.QueryService;

/// <summary>
/// Concurrency limits of the QueryService, per service and per client (API key here), for all
/// queries and for ReprocessAll/NTA: a query over a limit is RESOURCE_EXHAUSTED (429 over JSON)
/// naming the setting; other clients and strategies go on. A test holds a slot itself (as a
/// running query would) so refusals do not depend on timing.
/// </summary>
[Collection(QueryServiceCollection.Name)]
public sealed class QueryLimitsTests(QueryServiceFixture fixture)
{
    private const string KeyA = "client-a-0123456789abcdef";
    private const string KeyB = "client-b-0123456789abcdef";

    [Fact]
    public async Task Query_ClientAtItsLimit_RefusedNamingTheSettingWhileOthersRun()
    {
        await using QueryServiceFactory service = Start(new() { ["DeepEverest:Limits:MaxConcurrentQueriesPerClient"] = "1" });
        QueryAdmission admission = service.Services.GetRequiredService<QueryAdmission>();
        using GrpcChannel a = Channel(service, KeyA);
        using GrpcChannel b = Channel(service, KeyB);

        IDisposable running = admission.AdmitQuery("key:a");
        RpcException refused = await Assert.ThrowsAsync<RpcException>(() => RunAsync(a, Bounds())).DefaultTimeout();
        TopKUpdate other = await RunAsync(b, Bounds()).DefaultTimeout();
        using HttpClient http = service.CreateClient();
        using HttpResponseMessage json = await PostJsonAsync(http, KeyA, Bounds());
        running.Dispose();
        TopKUpdate after = await RunAsync(a, Bounds()).DefaultTimeout();

        Assert.Equal(StatusCode.ResourceExhausted, refused.StatusCode);
        Assert.Equal("This client (key:a) is running its limit of 1 concurrent queries (DeepEverest:Limits:MaxConcurrentQueriesPerClient); wait for one to finish.", refused.Status.Detail);
        Assert.True(other.Done);
        Assert.Equal((HttpStatusCode)429, json.StatusCode);
        Assert.Contains("MaxConcurrentQueriesPerClient", await json.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.True(after.Done);
    }

    [Fact]
    public async Task Query_ServiceAtItsLimit_EveryClientRefused()
    {
        await using QueryServiceFactory service = Start(new() { ["DeepEverest:Limits:MaxConcurrentQueries"] = "1" });
        QueryAdmission admission = service.Services.GetRequiredService<QueryAdmission>();
        using GrpcChannel a = Channel(service, KeyA);

        using (admission.AdmitQuery("key:b"))
        {
            RpcException refused = await Assert.ThrowsAsync<RpcException>(() => RunAsync(a, Bounds())).DefaultTimeout();
            Assert.Equal(StatusCode.ResourceExhausted, refused.StatusCode);
            Assert.Contains("its limit of 1 concurrent queries (DeepEverest:Limits:MaxConcurrentQueries)", refused.Status.Detail, StringComparison.Ordinal);
        }

        Assert.True((await RunAsync(a, Bounds()).DefaultTimeout()).Done);
    }

    [Fact]
    public async Task Scan_ClientAtItsScanLimit_ReprocessAllNtaAndIndexlessRefusedBoundsRuns()
    {
        await using QueryServiceFactory service = Start(new() { ["DeepEverest:Limits:MaxConcurrentScansPerClient"] = "1" });
        QueryAdmission admission = service.Services.GetRequiredService<QueryAdmission>();
        using GrpcChannel a = Channel(service, KeyA);
        using GrpcChannel b = Channel(service, KeyB);

        using (admission.AdmitScan("key:a"))
        {
            foreach (TopKSimilarRequest scan in new[] { Bounds(Strategy.ReprocessAll), Bounds(Strategy.Nta), Bounds(Strategy.Bounds, QueryServiceFixture.UnindexedLayer) })
            {
                RpcException refused = await Assert.ThrowsAsync<RpcException>(() => RunAsync(a, scan)).DefaultTimeout();
                Assert.Equal(StatusCode.ResourceExhausted, refused.StatusCode);
                Assert.Contains("ReprocessAll/NTA queries (DeepEverest:Limits:MaxConcurrentScansPerClient)", refused.Status.Detail, StringComparison.Ordinal);
            }

            Assert.Equal(Strategy.Bounds, (await RunAsync(a, Bounds()).DefaultTimeout()).Stats.Strategy);
            Assert.Equal(Strategy.ReprocessAll, (await RunAsync(b, Bounds(Strategy.ReprocessAll)).DefaultTimeout()).Stats.Strategy);
        }

        Assert.Equal(Strategy.Nta, (await RunAsync(a, Bounds(Strategy.Nta)).DefaultTimeout()).Stats.Strategy);
    }

    [Fact]
    public async Task Query_CancelledMidway_ItsSlotsFreedForTheNextQuery()
    {
        await using QueryServiceFactory service = Start(new()
        {
            ["DeepEverest:Limits:MaxConcurrentQueriesPerClient"] = "1",
            ["DeepEverest:Limits:MaxConcurrentScansPerClient"] = "1",
        });
        using GrpcChannel a = Channel(service, KeyA);
        TopKSimilarRequest slow = Bounds(Strategy.ReprocessAll, QueryServiceFixture.UnindexedLayer);
        slow.Options.BatchSize = 1;
        slow.Options.NoCache = true;

        using (var cancel = new CancellationTokenSource())
        {
            using AsyncServerStreamingCall<TopKUpdate> call = new QueryClient(a).TopKSimilar(slow, cancellationToken: cancel.Token);
            Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None).DefaultTimeout());
            await cancel.CancelAsync();
        }

        // The server releases the slots when the cancelled worker has stopped (within a batch).
        TopKUpdate? next = null;
        for (DateTime until = DateTime.UtcNow.AddSeconds(30); next is null && DateTime.UtcNow < until;)
        {
            try
            {
                next = await RunAsync(a, Bounds(Strategy.ReprocessAll)).DefaultTimeout();
            }
            catch (RpcException e) when (e.StatusCode == StatusCode.ResourceExhausted)
            {
                await Task.Delay(50);
            }
        }

        Assert.NotNull(next);
        Assert.True(next.Done);
    }

    [Fact]
    public void Admission_LimitsPerClientAndService_RefuseBeyondAndFreeOnDispose()
    {
        using var admission = new QueryAdmission(Options.Create(new QueryLimitsOptions { MaxConcurrentQueries = 3, MaxConcurrentQueriesPerClient = 2, MaxConcurrentScans = 0, MaxConcurrentScansPerClient = 0 }));

        IDisposable a1 = admission.AdmitQuery("a");
        IDisposable a2 = admission.AdmitQuery("a");
        DeepEverestException client = Assert.Throws<DeepEverestException>(() => admission.AdmitQuery("a"));
        IDisposable b1 = admission.AdmitQuery("b");
        DeepEverestException service = Assert.Throws<DeepEverestException>(() => admission.AdmitQuery("c"));
        a1.Dispose();
        a1.Dispose();
        IDisposable c1 = admission.AdmitQuery("c");
        Assert.Throws<DeepEverestException>(() => admission.AdmitQuery("d"));

        // 0 turns a limit off.
        var scans = Enumerable.Range(0, 100).Select(_ => admission.AdmitScan("a")).ToList();

        Assert.Equal(ErrorKind.ResourceExhausted, client.Kind);
        Assert.Contains("MaxConcurrentQueriesPerClient", client.Message, StringComparison.Ordinal);
        Assert.Equal(ErrorKind.ResourceExhausted, service.Kind);
        Assert.Contains("(DeepEverest:Limits:MaxConcurrentQueries)", service.Message, StringComparison.Ordinal);
        foreach (IDisposable lease in scans.Append(a2).Append(b1).Append(c1))
        {
            lease.Dispose();
        }
    }

    [Theory]
    [InlineData("MaxConcurrentQueries", "-1")]
    [InlineData("MaxConcurrentScansPerClient", "100001")]
    public void Start_LimitOutOfRange_RefusedNamingTheSetting(string setting, string value)
    {
        using var service = new QueryServiceFactory(fixture.DataRoot, new Dictionary<string, string> { [$"DeepEverest:Limits:{setting}"] = value });

        Exception e = Assert.ThrowsAny<Exception>(() => service.Server);

        Assert.Contains($"DeepEverest:Limits:{setting} must be in [0, 100000]", e.ToString(), StringComparison.Ordinal);
    }

    private QueryServiceFactory Start(Dictionary<string, string> settings)
    {
        settings["DeepEverest:Auth:Keys:a:Key"] = KeyA;
        settings["DeepEverest:Auth:Keys:a:Role"] = "read";
        settings["DeepEverest:Auth:Keys:b:Key"] = KeyB;
        settings["DeepEverest:Auth:Keys:b:Role"] = "read";
        return new QueryServiceFactory(fixture.DataRoot, settings);
    }

    private static TopKSimilarRequest Bounds(Strategy strategy = Strategy.Bounds, string layer = QueryServiceFixture.IndexedLayer) => new()
    {
        Layer = QueryServiceFixture.Layer(layer),
        Target = new Target { InputId = 11 },
        Group = new NeuronGroup { TopOfTarget = 2 },
        K = 5,
        Options = new QueryOptions { Strategy = strategy },
    };

    private static GrpcChannel Channel(QueryServiceFactory service, string key) =>
        GrpcChannel.ForAddress(service.Server.BaseAddress, new GrpcChannelOptions
        {
            HttpHandler = new BearerHandler(key) { InnerHandler = service.Server.CreateHandler() },
        });

    private static async Task<TopKUpdate> RunAsync(GrpcChannel channel, TopKSimilarRequest request)
    {
        using AsyncServerStreamingCall<TopKUpdate> call = new QueryClient(channel).TopKSimilar(request);
        TopKUpdate? last = null;
        await foreach (TopKUpdate update in call.ResponseStream.ReadAllAsync())
        {
            last = update;
        }

        return last!;
    }

    private static async Task<HttpResponseMessage> PostJsonAsync(HttpClient http, string key, TopKSimilarRequest request)
    {
        using var message = new HttpRequestMessage(HttpMethod.Post, "/v1/layers:topKSimilar")
        {
            Content = new StringContent(JsonFormatter.Default.Format(request), Encoding.UTF8, "application/json"),
        };
        message.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return await http.SendAsync(message).DefaultTimeout();
    }

    private sealed class BearerHandler(string key) : DelegatingHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
            return base.SendAsync(request, cancellationToken);
        }
    }
}
