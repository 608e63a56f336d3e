using System.Net;
using DeepEverest.Cli;
using DeepEverest.Contracts.V1;
using DeepEverest.Services.Tests.Infrastructure;
using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Net.Client;
using IndexClient = DeepEverest.Contracts.V1.IndexService.IndexServiceClient;

namespace DeepEverest.Services.Tests.Security;

/// <summary>
/// TLS from Kestrel's standard certificate settings (PEM certificate and key files, as a mounted
/// Kubernetes TLS Secret): the gRPC endpoint with its own <c>Certificate</c> section, the HTTP/1.1
/// endpoint with <c>Kestrel:Certificates:Default</c>; a client that trusts the CA talks to both,
/// one that does not is refused; the CLI with <c>--ca-file</c> and <c>--api-key</c>.
/// </summary>
public sealed class TlsTests : IAsyncLifetime
{
    private const string Key = "tls-test-admin-0123456789abcdef";
    private readonly string _root = TestData.CreateTempDirectory();
    private TestCertificates _certificates = null!;
    private IndexServiceFactory _service = null!;
    private string _grpc = "";
    private string _http = "";

    public Task InitializeAsync()
    {
        _certificates = TestCertificates.Create(Path.Combine(_root, "tls"));
        _service = new IndexServiceFactory(Path.Combine(_root, "data"), new Dictionary<string, string>
        {
            ["Kestrel:Endpoints:Grpc:Url"] = "https://127.0.0.1:0",
            ["Kestrel:Endpoints:Grpc:Certificate:Path"] = _certificates.CertificatePath,
            ["Kestrel:Endpoints:Grpc:Certificate:KeyPath"] = _certificates.KeyPath,
            ["Kestrel:Endpoints:Http:Url"] = "https://127.0.0.1:0",
            ["Kestrel:Certificates:Default:Path"] = _certificates.CertificatePath,
            ["Kestrel:Certificates:Default:KeyPath"] = _certificates.KeyPath,
            ["DeepEverest:Auth:Keys:ops:Key"] = Key,
            ["DeepEverest:Auth:Keys:ops:Role"] = "admin",
        });
        _service.UseKestrel();
        _service.StartServer();
        _grpc = _service.Endpoints.GrpcAddress!;
        _http = _service.Endpoints.HttpAddress!;
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _service.DisposeAsync();
        _certificates.Dispose();
        TestData.DeleteDirectory(_root);
    }

    [Fact]
    public async Task Grpc_ClientTrustingTheCa_ServedOverTlsWithTheKey()
    {
        using GrpcChannel channel = GrpcChannel.ForAddress(_grpc, new GrpcChannelOptions { HttpHandler = _certificates.TrustingHandler() });
        var metadata = new Metadata { { "authorization", $"Bearer {Key}" } };

        ListModelsResponse models = await new IndexClient(channel).ListModelsAsync(new ListModelsRequest(), metadata).ResponseAsync.DefaultTimeout();
        HealthCheckResponse health = await new Health.HealthClient(channel).CheckAsync(new HealthCheckRequest()).ResponseAsync.DefaultTimeout();

        Assert.StartsWith("https://127.0.0.1:", _grpc, StringComparison.Ordinal);
        Assert.Empty(models.Models);
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, health.Status);
    }

    [Fact]
    public async Task Grpc_ClientNotTrustingTheCa_RefusedByTheHandshake()
    {
        using GrpcChannel channel = GrpcChannel.ForAddress(_grpc);

        RpcException refused = await Assert.ThrowsAsync<RpcException>(
            () => new Health.HealthClient(channel).CheckAsync(new HealthCheckRequest()).ResponseAsync).DefaultTimeout();

        // Grpc.Net.Client reports a failed handshake as INTERNAL with the TLS error inside.
        Assert.Equal(StatusCode.Internal, refused.StatusCode);
        var causes = new List<Exception>();
        for (Exception? e = refused.Status.DebugException; e is not null; e = e.InnerException)
        {
            causes.Add(e);
        }

        Assert.Contains(causes, e => e is System.Security.Authentication.AuthenticationException);
    }

    [Fact]
    public async Task Json_HttpsWithTheDefaultCertificate_ServedOverHttp11()
    {
        using var http = new HttpClient(_certificates.TrustingHandler());
        using var request = new HttpRequestMessage(HttpMethod.Get, $"{_http}/v1/models");
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", Key);

        using HttpResponseMessage response = await http.SendAsync(request).DefaultTimeout();
        using HttpResponseMessage healthz = await http.GetAsync($"{_http}/healthz").DefaultTimeout();

        Assert.StartsWith("https://127.0.0.1:", _http, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(new Version(1, 1), response.Version);
        Assert.Equal("""{"models":[]}""", await response.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, healthz.StatusCode);
    }

    [Fact]
    public async Task Cli_CaFileAndApiKey_ListsModelsAndExplainsWhatIsMissing()
    {
        string model = Path.Combine(TestData.RepoRoot, "models", "demo", "fashion_vgg.onnx");
        (int uploaded, _, string uploadError) = await RunCliAsync("--index-service", _grpc, "--ca-file", _certificates.CaPath, "--api-key", Key, "models", "upload", "--name", "vgg", "--file", model);
        (int ok, string output, string error) = await RunCliAsync("--index-service", _grpc, "--ca-file", _certificates.CaPath, "--api-key", Key, "--json", "models", "list");
        (int untrusted, _, string untrustedError) = await RunCliAsync("--index-service", _grpc, "--api-key", Key, "models", "list");
        (int keyless, _, string keylessError) = await RunCliAsync("--index-service", _grpc, "--ca-file", _certificates.CaPath, "models", "list");
        (int badCa, _, string badCaError) = await RunCliAsync("--index-service", _grpc, "--ca-file", _certificates.KeyPath, "models", "list");

        Assert.True(uploaded == 0, uploadError);
        Assert.True(ok == 0, error);
        Assert.Contains("\"name\": \"vgg\"", output, StringComparison.Ordinal);
        Assert.Equal(1, untrusted);
        Assert.StartsWith("error: the TLS connection failed: ", untrustedError, StringComparison.Ordinal);
        Assert.Contains("--ca-file or $DEEPEVEREST_CA_FILE", untrustedError, StringComparison.Ordinal);
        Assert.Equal(1, keyless);
        Assert.StartsWith("error: Unauthenticated: This service requires an API key", keylessError, StringComparison.Ordinal);
        Assert.Contains("--api-key or $DEEPEVEREST_API_KEY", keylessError, StringComparison.Ordinal);
        Assert.Equal(1, badCa);
        Assert.Contains("holds no PEM certificate", badCaError, StringComparison.Ordinal);
        Assert.DoesNotContain(Key, untrustedError + keylessError + badCaError, StringComparison.Ordinal);
    }

    private static async Task<(int Code, string Output, string Error)> RunCliAsync(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        int code = await global::DeepEverest.Cli.Program.RunAsync(args, CliConsole.ForWriters(output, error)).DefaultTimeout();
        return (code, output.ToString(), error.ToString());
    }
}
