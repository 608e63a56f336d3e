using System.Net;
using DeepEverest.Services.Tests.Infrastructure;
using DeepEverest.Services.Tests.QueryService;

namespace DeepEverest.Services.Tests.Hosting;

/// <summary>
/// The QueryService serves the web console's files and <c>/console-config.json</c> on its HTTP/1.1
/// endpoint (real Kestrel, port 0), and nothing of it on the native gRPC endpoint.
/// </summary>
public sealed class WebConsoleTests : IAsyncLifetime
{
    private readonly string _root = TestData.CreateTempDirectory();
    private readonly string _console = TestData.CreateTempDirectory();
    private readonly HttpClient _http = new();
    private readonly List<QueryServiceFactory> _hosts = [];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        _http.Dispose();
        foreach (QueryServiceFactory host in _hosts)
        {
            await host.DisposeAsync();
        }

        TestData.DeleteDirectory(_root);
        TestData.DeleteDirectory(_console);
    }

    [Fact]
    public async Task Console_DirectoryAndUrlSet_ServesFilesAndConfig()
    {
        File.WriteAllText(Path.Combine(_console, "index.html"), "<!doctype html><title>DeepEverest</title>");
        File.WriteAllText(Path.Combine(_console, "app.js"), "console.log('hi');");
        QueryServiceFactory service = Start(new()
        {
            ["DeepEverest:Console:Path"] = _console,
            ["DeepEverest:Console:IndexServiceUrl"] = "http://index.example:8081",
        });
        string http = service.Endpoints.HttpAddress!;

        using HttpResponseMessage page = await _http.GetAsync($"{http}/").DefaultTimeout();
        using HttpResponseMessage script = await _http.GetAsync($"{http}/app.js").DefaultTimeout();
        string config = await _http.GetStringAsync($"{http}/console-config.json").DefaultTimeout();

        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        Assert.Contains("<title>DeepEverest</title>", await page.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal("text/javascript", script.Content.Headers.ContentType?.MediaType);
        Assert.Equal("""{"indexServiceUrl":"http://index.example:8081"}""", config);

        using var onGrpc = new HttpRequestMessage(HttpMethod.Get, $"{service.Endpoints.GrpcAddress}/") { Version = HttpVersion.Version20, VersionPolicy = HttpVersionPolicy.RequestVersionExact };
        using HttpResponseMessage refused = await _http.SendAsync(onGrpc).DefaultTimeout();
        Assert.Equal(HttpStatusCode.NotFound, refused.StatusCode);
    }

    [Fact]
    public async Task Console_DirectoryMissing_NoPageButConfigWithDefaults()
    {
        QueryServiceFactory service = Start(new() { ["DeepEverest:Console:Path"] = Path.Combine(_console, "missing") });
        string http = service.Endpoints.HttpAddress!;

        using HttpResponseMessage page = await _http.GetAsync($"{http}/").DefaultTimeout();
        string config = await _http.GetStringAsync($"{http}/console-config.json").DefaultTimeout();

        Assert.Equal(HttpStatusCode.NotFound, page.StatusCode);
        Assert.Equal("""{"indexServiceUrl":"http://127.0.0.1:8081"}""", config);
    }

    [Fact]
    public async Task Console_EmptyIndexServiceUrl_MeansSameOrigin()
    {
        QueryServiceFactory service = Start(new() { ["DeepEverest:Console:IndexServiceUrl"] = "" });

        string config = await _http.GetStringAsync($"{service.Endpoints.HttpAddress}/console-config.json").DefaultTimeout();

        Assert.Equal("""{"indexServiceUrl":""}""", config);
    }

    [Fact]
    public void Console_IndexServiceUrlNotHttp_StartFailsNamingTheSetting()
    {
        var service = new QueryServiceFactory(_root, new Dictionary<string, string> { ["DeepEverest:Console:IndexServiceUrl"] = "index-service:8081" });
        _hosts.Add(service);

        var e = Assert.ThrowsAny<Exception>(() => service.Server);

        Assert.Contains("DeepEverest:Console:IndexServiceUrl", e.ToString(), StringComparison.Ordinal);
    }

    private QueryServiceFactory Start(Dictionary<string, string> settings)
    {
        var service = new QueryServiceFactory(_root, settings);
        _hosts.Add(service);
        service.UseKestrel();
        service.StartServer();
        return service;
    }
}
