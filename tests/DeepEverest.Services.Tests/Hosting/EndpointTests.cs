using System.Net;
using System.Net.Http.Headers;
using DeepEverest.Contracts.V1;
using DeepEverest.Hosting;
using DeepEverest.Services.Tests.Infrastructure;
using DeepEverest.Services.Tests.QueryService;
using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Net.Client;
using IndexClient = DeepEverest.Contracts.V1.IndexService.IndexServiceClient;

namespace DeepEverest.Services.Tests.Hosting;

/// <summary>
/// The two endpoints of a service on real loopback Kestrel (both on port 0): native gRPC on HTTP/2
/// only, HTTP/1.1 for JSON, metrics and browsers; disabling one; CORS; health names.
/// </summary>
public sealed class EndpointTests : IAsyncLifetime
{
    private readonly string _root = TestData.CreateTempDirectory();
    private readonly List<IAsyncDisposable> _hosts = [];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (IAsyncDisposable host in _hosts)
        {
            await host.DisposeAsync();
        }

        TestData.DeleteDirectory(_root);
    }

    [Fact]
    public async Task Endpoints_PortZero_GrpcOnHttp2OnlyAndJsonAndMetricsOnHttp1()
    {
        IndexServiceFactory service = StartIndexService();
        string grpc = service.Endpoints.GrpcAddress!;
        string http = service.Endpoints.HttpAddress!;
        Assert.NotEqual(grpc, http);

        using GrpcChannel channel = GrpcChannel.ForAddress(grpc);
        ListModelsResponse models = await new IndexClient(channel).ListModelsAsync(new ListModelsRequest()).ResponseAsync.DefaultTimeout();
        Assert.Empty(models.Models);

        using var client = new HttpClient();
        using HttpResponseMessage json = await client.GetAsync($"{http}/v1/models").DefaultTimeout();
        Assert.Equal(HttpStatusCode.OK, json.StatusCode);
        Assert.Equal(new Version(1, 1), json.Version);
        Assert.Equal("""{"models":[]}""", await json.Content.ReadAsStringAsync());

        using HttpResponseMessage metrics = await client.GetAsync($"{http}{DeepEverestHost.MetricsPath}").DefaultTimeout();
        Assert.Equal(HttpStatusCode.OK, metrics.StatusCode);
        Assert.StartsWith("text/plain", metrics.Content.Headers.ContentType?.MediaType, StringComparison.Ordinal);
        Assert.Contains("target_info{service_name=\"index-service\"", await metrics.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        // Over HTTP/2 (prior knowledge, as on the gRPC port) the same paths are not served there.
        foreach (string path in new[] { "/v1/models", DeepEverestHost.MetricsPath, DeepEverestHost.HealthPath })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, grpc + path) { Version = HttpVersion.Version20, VersionPolicy = HttpVersionPolicy.RequestVersionExact };
            using HttpResponseMessage refused = await client.SendAsync(request).DefaultTimeout();
            Assert.Equal(HttpStatusCode.NotFound, refused.StatusCode);
            Assert.Contains("HTTP/1.1 endpoint", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        // An HTTP/1.1 request to the HTTP/2-only endpoint is refused by Kestrel itself.
        using HttpResponseMessage http11 = await client.GetAsync($"{grpc}/v1/models").DefaultTimeout();
        Assert.Equal(HttpStatusCode.BadRequest, http11.StatusCode);
    }

    [Fact]
    public async Task HttpEndpoint_EmptyUrl_NotOpenedAndGrpcStillServes()
    {
        IndexServiceFactory service = StartIndexService(new() { ["Kestrel:Endpoints:Http:Url"] = "" });

        Assert.Null(service.Endpoints.HttpAddress);
        using GrpcChannel channel = GrpcChannel.ForAddress(service.Endpoints.GrpcAddress!);
        HealthCheckResponse health = await new Health.HealthClient(channel).CheckAsync(new HealthCheckRequest()).ResponseAsync.DefaultTimeout();
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, health.Status);
    }

    [Fact]
    public async Task Health_EmptyAndServiceNames_ServingAndUnknownNameNotFound()
    {
        IndexServiceFactory index = StartIndexService();
        var query = new QueryServiceFactory(_root);
        _hosts.Add(query);
        query.UseKestrel();
        query.StartServer();

        foreach ((string address, string name) in new[]
        {
            (index.Endpoints.GrpcAddress!, "deepeverest.v1.IndexService"),
            (query.Endpoints.GrpcAddress!, "deepeverest.v1.QueryService"),
        })
        {
            using GrpcChannel channel = GrpcChannel.ForAddress(address);
            var health = new Health.HealthClient(channel);
            foreach (string service in new[] { "", name })
            {
                HealthCheckResponse response = await health.CheckAsync(new HealthCheckRequest { Service = service }).ResponseAsync.DefaultTimeout();
                Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, response.Status);
            }

            RpcException unknown = await Assert.ThrowsAsync<RpcException>(() => health.CheckAsync(new HealthCheckRequest { Service = "deepeverest.v1.Nope" }).ResponseAsync).DefaultTimeout();
            Assert.Equal(StatusCode.NotFound, unknown.StatusCode);
        }

        using var client = new HttpClient();
        Assert.Equal("Healthy", await client.GetStringAsync(index.Endpoints.HttpAddress + DeepEverestHost.HealthPath).DefaultTimeout());
    }

    [Fact]
    public async Task Cors_DefaultAnyOrigin_PreflightAllowsGrpcWebAndAuthorizationAndExposesStatus()
    {
        IndexServiceFactory service = StartIndexService();
        string http = service.Endpoints.HttpAddress!;
        using var client = new HttpClient();

        using var preflight = new HttpRequestMessage(HttpMethod.Options, $"{http}/deepeverest.v1.IndexService/ListModels");
        preflight.Headers.Add("Origin", "http://console.example:8080");
        preflight.Headers.Add("Access-Control-Request-Method", "POST");
        preflight.Headers.Add("Access-Control-Request-Headers", "content-type,x-grpc-web,x-user-agent,grpc-timeout,authorization");
        using HttpResponseMessage allowed = await client.SendAsync(preflight).DefaultTimeout();

        Assert.Equal(HttpStatusCode.NoContent, allowed.StatusCode);
        Assert.Equal("*", Assert.Single(allowed.Headers.GetValues("Access-Control-Allow-Origin")));
        string headers = string.Join(",", allowed.Headers.GetValues("Access-Control-Allow-Headers"));
        foreach (string header in new[] { "content-type", "x-grpc-web", "x-user-agent", "grpc-timeout", "authorization" })
        {
            Assert.Contains(header, headers, StringComparison.OrdinalIgnoreCase);
        }

        // A gRPC-Web call from that origin: the page may read the gRPC status headers.
        using var call = new HttpRequestMessage(HttpMethod.Post, $"{http}/deepeverest.v1.IndexService/ListModels")
        {
            Content = new ByteArrayContent([0, 0, 0, 0, 0]),
        };
        call.Content.Headers.ContentType = new MediaTypeHeaderValue("application/grpc-web+proto");
        call.Headers.Add("Origin", "http://console.example:8080");
        call.Headers.Add("x-grpc-web", "1");
        using HttpResponseMessage answered = await client.SendAsync(call).DefaultTimeout();
        Assert.Equal(HttpStatusCode.OK, answered.StatusCode);
        string exposed = string.Join(",", answered.Headers.GetValues("Access-Control-Expose-Headers"));
        foreach (string header in DeepEverestHost.CorsExposedHeaders)
        {
            Assert.Contains(header, exposed, StringComparison.OrdinalIgnoreCase);
        }
    }

    [Fact]
    public async Task Cors_ConfiguredOrigins_OtherOriginGetsNoAllowHeader()
    {
        IndexServiceFactory service = StartIndexService(new()
        {
            ["DeepEverest:Http:CorsOrigins:0"] = "https://console.example.org",
        });
        using var client = new HttpClient();

        async Task<HttpResponseMessage> PreflightAsync(string origin)
        {
            using var preflight = new HttpRequestMessage(HttpMethod.Options, $"{service.Endpoints.HttpAddress}/v1/models");
            preflight.Headers.Add("Origin", origin);
            preflight.Headers.Add("Access-Control-Request-Method", "GET");
            return await client.SendAsync(preflight).DefaultTimeout();
        }

        using HttpResponseMessage listed = await PreflightAsync("https://console.example.org");
        using HttpResponseMessage other = await PreflightAsync("https://evil.example.org");

        Assert.Equal("https://console.example.org", Assert.Single(listed.Headers.GetValues("Access-Control-Allow-Origin")));
        Assert.False(other.Headers.Contains("Access-Control-Allow-Origin"));
    }

    [Fact]
    public void CorsOrigins_NotAnOrigin_StartFailsNamingTheSetting()
    {
        var service = new IndexServiceFactory(_root, new Dictionary<string, string> { ["DeepEverest:Http:CorsOrigins:0"] = "console.example.org/app" });
        _hosts.Add(service);

        var e = Assert.ThrowsAny<Exception>(() => service.Server);

        Assert.Contains("DeepEverest:Http:CorsOrigins", e.ToString(), StringComparison.Ordinal);
    }

    private IndexServiceFactory StartIndexService(Dictionary<string, string>? settings = null)
    {
        var service = new IndexServiceFactory(_root, settings);
        _hosts.Add(service);
        service.UseKestrel();
        service.StartServer();
        return service;
    }
}
