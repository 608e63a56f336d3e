using System.Net;
using System.Net.Http.Headers;
using System.Text;
using DeepEverest.Contracts.V1;
using DeepEverest.Hosting;
using DeepEverest.Services.Tests.Infrastructure;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Net.Client;
using Grpc.Net.Client.Web;
using Grpc.Reflection.V1Alpha;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using IndexClient = DeepEverest.Contracts.V1.IndexService.IndexServiceClient;

namespace DeepEverest.Services.Tests.Security;

/// <summary>
/// API keys on the IndexService (in memory), the same over native gRPC, gRPC-Web and JSON: no key
/// or a wrong one is UNAUTHENTICATED (401), a read key on an admin call PERMISSION_DENIED (403),
/// health stays open, reflection needs a key, keys never reach the log.
/// </summary>
public sealed class AuthTests : IAsyncLifetime
{
    private const string AdminKey = "admin-0123456789abcdef-secret";
    private const string ReadKey = "read-0123456789abcdef-secret";
    private const string WrongKey = "nope-0123456789abcdef-secret";
    private static readonly JsonParser _json = new(JsonParser.Settings.Default.WithIgnoreUnknownFields(true));
    private readonly RecordingLoggerProvider _logs = new();
    private IndexServiceFactory _factory = null!;
    private WebApplicationFactory<DeepEverest.IndexService.IndexServiceHost> _service = null!;

    public Task InitializeAsync()
    {
        string root = TestData.CreateTempDirectory();
        TestData.CopyModel(root);
        _factory = new IndexServiceFactory(root, new Dictionary<string, string>
        {
            ["DeepEverest:Auth:Keys:ops:Key"] = AdminKey,
            ["DeepEverest:Auth:Keys:ops:Role"] = "admin",
            ["DeepEverest:Auth:Keys:viewer:Key"] = ReadKey,
            ["DeepEverest:Auth:Keys:viewer:Role"] = "read",
            ["Logging:LogLevel:Default"] = "Debug",
        });
        _service = _factory.WithWebHostBuilder(builder => builder.ConfigureServices(services => services.AddSingleton<ILoggerProvider>(_logs)));
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _service.DisposeAsync();
        await _factory.DisposeAsync();
        TestData.DeleteDirectory(_factory.DataRoot);
    }

    public enum Transport
    {
        Grpc,
        GrpcWeb,
    }

    [Theory]
    [InlineData(Transport.Grpc)]
    [InlineData(Transport.GrpcWeb)]
    public async Task Grpc_MissingWrongReadAndAdminKeys_StatusPerRole(Transport transport)
    {
        IndexClient anonymous = Client(transport, null);
        IndexClient wrong = Client(transport, WrongKey);
        IndexClient reader = Client(transport, ReadKey);
        IndexClient admin = Client(transport, AdminKey);
        var add = new AddModelRequest { Name = "vgg", Path = TestData.ModelFile };

        RpcException missing = await Assert.ThrowsAsync<RpcException>(() => anonymous.ListModelsAsync(new ListModelsRequest()).ResponseAsync).DefaultTimeout();
        Assert.Equal(StatusCode.Unauthenticated, missing.StatusCode);
        Assert.Contains("authorization: Bearer", missing.Status.Detail, StringComparison.Ordinal);
        RpcException bad = await Assert.ThrowsAsync<RpcException>(() => wrong.ListModelsAsync(new ListModelsRequest()).ResponseAsync).DefaultTimeout();
        Assert.Equal(StatusCode.Unauthenticated, bad.StatusCode);
        Assert.DoesNotContain(WrongKey, bad.Status.Detail, StringComparison.Ordinal);

        // Read: lists and describes; admin calls refused before they run (nothing registered).
        Assert.Empty((await reader.ListModelsAsync(new ListModelsRequest()).ResponseAsync.DefaultTimeout()).Models);
        RpcException denied = await Assert.ThrowsAsync<RpcException>(() => reader.AddModelAsync(add).ResponseAsync).DefaultTimeout();
        Assert.Equal(StatusCode.PermissionDenied, denied.StatusCode);
        Assert.Equal("API key 'viewer' has role read; /deepeverest.v1.IndexService/AddModel needs role admin.", denied.Status.Detail);
        denied = await Assert.ThrowsAsync<RpcException>(() => reader.DeleteIndexAsync(new DeleteIndexRequest { Layer = new LayerRef { Model = "m", Dataset = "d", Layer = "l" } }).ResponseAsync).DefaultTimeout();
        Assert.Equal(StatusCode.PermissionDenied, denied.StatusCode);
        using (AsyncServerStreamingCall<BuildProgress> build = reader.BuildIndex(new BuildIndexRequest { Layer = new LayerRef { Model = "m", Dataset = "d", Layer = "l" } }))
        {
            denied = await Assert.ThrowsAsync<RpcException>(() => build.ResponseStream.MoveNext(CancellationToken.None)).DefaultTimeout();
            Assert.Equal(StatusCode.PermissionDenied, denied.StatusCode);
        }

        Assert.Empty((await reader.ListModelsAsync(new ListModelsRequest()).ResponseAsync.DefaultTimeout()).Models);

        // Admin: everything.
        ModelInfo model = await admin.AddModelAsync(add).ResponseAsync.DefaultTimeout();
        Assert.Equal("vgg", model.Name);
        Assert.Equal(model, Assert.Single((await reader.ListModelsAsync(new ListModelsRequest()).ResponseAsync.DefaultTimeout()).Models));
    }

    [Fact]
    public async Task UploadModel_ReadKey_PermissionDeniedBeforeAnyChunkIsRead()
    {
        using AsyncClientStreamingCall<UploadModelChunk, ModelInfo> upload = Client(Transport.Grpc, ReadKey).UploadModel();
        RpcException denied = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            await upload.RequestStream.WriteAsync(new UploadModelChunk { Name = "vgg", Data = ByteString.CopyFrom(new byte[1024]) });
            await upload.RequestStream.CompleteAsync();
            await upload.ResponseAsync;
        }).DefaultTimeout();

        Assert.Equal(StatusCode.PermissionDenied, denied.StatusCode);
    }

    [Fact]
    public async Task Json_MissingWrongReadAndAdminKeys_401And403WithGrpcCodeInBody()
    {
        using HttpClient http = _service.CreateClient();
        string add = JsonFormatter.Default.Format(new AddModelRequest { Name = "vgg", Path = TestData.ModelFile });

        using HttpResponseMessage missing = await SendAsync(http, HttpMethod.Get, "/v1/models", null, null);
        Assert.Equal(HttpStatusCode.Unauthorized, missing.StatusCode);
        Assert.Equal("Bearer", missing.Headers.WwwAuthenticate.ToString());
        Assert.Equal((int)StatusCode.Unauthenticated, _json.Parse<Google.Rpc.Status>(await missing.Content.ReadAsStringAsync()).Code);

        using HttpResponseMessage wrong = await SendAsync(http, HttpMethod.Get, "/v1/models", WrongKey, null);
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);

        using HttpResponseMessage notBearer = await SendAsync(http, HttpMethod.Get, "/v1/models", null, null, new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("u:" + ReadKey))));
        Assert.Equal(HttpStatusCode.Unauthorized, notBearer.StatusCode);

        using HttpResponseMessage listed = await SendAsync(http, HttpMethod.Get, "/v1/models", ReadKey, null);
        Assert.Equal(HttpStatusCode.OK, listed.StatusCode);
        Assert.Equal("""{"models":[]}""", await listed.Content.ReadAsStringAsync());

        using HttpResponseMessage denied = await SendAsync(http, HttpMethod.Post, "/v1/models", ReadKey, add);
        Assert.Equal(HttpStatusCode.Forbidden, denied.StatusCode);
        Google.Rpc.Status body = _json.Parse<Google.Rpc.Status>(await denied.Content.ReadAsStringAsync());
        Assert.Equal((int)StatusCode.PermissionDenied, body.Code);
        Assert.Contains("needs role admin", body.Message, StringComparison.Ordinal);

        using HttpResponseMessage added = await SendAsync(http, HttpMethod.Post, "/v1/models", AdminKey, add);
        Assert.Equal(HttpStatusCode.OK, added.StatusCode);
    }

    [Fact]
    public async Task HealthAndMetrics_NoKey_OpenByDefault()
    {
        using HttpClient http = _service.CreateClient();
        using GrpcChannel channel = Channel(Transport.Grpc, null);

        HealthCheckResponse health = await new Health.HealthClient(channel).CheckAsync(new HealthCheckRequest { Service = "deepeverest.v1.IndexService" }).ResponseAsync.DefaultTimeout();
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, health.Status);
        using HttpResponseMessage healthz = await http.GetAsync(DeepEverestHost.HealthPath).DefaultTimeout();
        Assert.Equal(HttpStatusCode.OK, healthz.StatusCode);
        using HttpResponseMessage metrics = await http.GetAsync(DeepEverestHost.MetricsPath).DefaultTimeout();
        Assert.Equal(HttpStatusCode.OK, metrics.StatusCode);
    }

    [Fact]
    public async Task Metrics_MetricsRequireKey_401WithoutAKeyAndServedWithARead()
    {
        await using WebApplicationFactory<DeepEverest.IndexService.IndexServiceHost> guarded = _service.WithWebHostBuilder(
            builder => builder.UseSetting("DeepEverest:Auth:MetricsRequireKey", "true"));
        using HttpClient http = guarded.CreateClient();

        using HttpResponseMessage refused = await http.GetAsync(DeepEverestHost.MetricsPath).DefaultTimeout();
        using HttpResponseMessage wrong = await SendAsync(http, HttpMethod.Get, DeepEverestHost.MetricsPath, WrongKey, null);
        using HttpResponseMessage served = await SendAsync(http, HttpMethod.Get, DeepEverestHost.MetricsPath, ReadKey, null);
        using HttpResponseMessage healthz = await http.GetAsync(DeepEverestHost.HealthPath).DefaultTimeout();

        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        Assert.Equal(HttpStatusCode.OK, served.StatusCode);
        Assert.Contains("target_info", await served.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, healthz.StatusCode);
    }

    [Fact]
    public async Task Reflection_NoKeyThenReadKey_UnauthenticatedThenListsServices()
    {
        async Task<ServerReflectionResponse> ListAsync(string? key)
        {
            using GrpcChannel channel = Channel(Transport.Grpc, key);
            using AsyncDuplexStreamingCall<ServerReflectionRequest, ServerReflectionResponse> call = new ServerReflection.ServerReflectionClient(channel).ServerReflectionInfo();
            await call.RequestStream.WriteAsync(new ServerReflectionRequest { ListServices = "" });
            await call.RequestStream.CompleteAsync();
            Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
            return call.ResponseStream.Current;
        }

        RpcException refused = await Assert.ThrowsAsync<RpcException>(() => ListAsync(null)).DefaultTimeout();
        ServerReflectionResponse listed = await ListAsync(ReadKey).DefaultTimeout();

        Assert.Equal(StatusCode.Unauthenticated, refused.StatusCode);
        Assert.Contains(listed.ListServicesResponse.Service, s => s.Name == "deepeverest.v1.IndexService");
    }

    [Fact]
    public async Task RequestLog_CallsWithAndWithoutKeys_OneLinePerCallWithKeyIdNeverTheKey()
    {
        IndexClient reader = Client(Transport.Grpc, ReadKey);
        await reader.ListModelsAsync(new ListModelsRequest()).ResponseAsync.DefaultTimeout();
        await Assert.ThrowsAsync<RpcException>(() => Client(Transport.Grpc, WrongKey).ListModelsAsync(new ListModelsRequest()).ResponseAsync).DefaultTimeout();
        await Assert.ThrowsAsync<RpcException>(() => reader.AddModelAsync(new AddModelRequest { Name = "x", Path = "y" }).ResponseAsync).DefaultTimeout();
        using HttpClient http = _service.CreateClient();
        using HttpResponseMessage json = await SendAsync(http, HttpMethod.Get, "/v1/models", AdminKey, null);

        var lines = _logs.Entries.Where(e => e.Category == "DeepEverest.Requests").ToList();
        Assert.Contains(lines, l => l.Level == LogLevel.Information && l.Message.StartsWith("/deepeverest.v1.IndexService/ListModels OK in ", StringComparison.Ordinal) && l.Message.Contains("(grpc, key viewer, peer ", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Level == LogLevel.Warning && l.Message.StartsWith("/deepeverest.v1.IndexService/ListModels Unauthenticated in ", StringComparison.Ordinal) && l.Message.Contains("(grpc, no key, peer ", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Level == LogLevel.Warning && l.Message.StartsWith("/deepeverest.v1.IndexService/AddModel PermissionDenied in ", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Message.StartsWith("/deepeverest.v1.IndexService/ListModels OK in ", StringComparison.Ordinal) && l.Message.Contains("(json, key ops, peer ", StringComparison.Ordinal));
        Assert.Contains(_logs.Entries, e => e.Message.StartsWith("Authentication on: 2 API key(s), ids ops, viewer", StringComparison.Ordinal));
        string all = _logs.Text;
        foreach (string key in new[] { AdminKey, ReadKey, WrongKey })
        {
            Assert.DoesNotContain(key, all, StringComparison.Ordinal);
            Assert.DoesNotContain(key[..12], all, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task RefusedName_HostileLongName_LoggedTruncatedOnOneLine()
    {
        string hostile = "evil\nFAKE LOG LINE " + new string('x', 100_000);
        RpcException refused = await Assert.ThrowsAsync<RpcException>(
            () => Client(Transport.Grpc, AdminKey).ListLayersAsync(new ListLayersRequest { Model = hostile }).ResponseAsync).DefaultTimeout();

        Assert.NotEqual(StatusCode.OK, refused.StatusCode);
        var refusals = _logs.Entries.Where(e => e.Message.Contains("/deepeverest.v1.IndexService/ListLayers refused", StringComparison.Ordinal)).ToList();
        (string _, LogLevel _, string message) = Assert.Single(refusals);
        Assert.True(message.Length < 1000, $"{message.Length} characters logged");
        Assert.DoesNotContain('\n', message);
        Assert.Contains("evil\\u000aFAKE LOG LINE", message, StringComparison.Ordinal);
        Assert.Contains("chars)", message, StringComparison.Ordinal);
    }

    private static async Task<HttpResponseMessage> SendAsync(HttpClient http, HttpMethod method, string path, string? key, string? json, AuthenticationHeaderValue? header = null)
    {
        using var request = new HttpRequestMessage(method, path);
        request.Headers.Authorization = header ?? (key is null ? null : new AuthenticationHeaderValue("Bearer", key));
        if (json is not null)
        {
            request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        }

        return await http.SendAsync(request).DefaultTimeout();
    }

    private IndexClient Client(Transport transport, string? key) => new(Channel(transport, key));

    private GrpcChannel Channel(Transport transport, string? key)
    {
        HttpMessageHandler handler = _service.Server.CreateHandler();
        if (transport == Transport.GrpcWeb)
        {
            handler = new GrpcWebHandler(GrpcWebMode.GrpcWebText, handler);
        }

        var credentials = key is null
            ? null
            : CallCredentials.FromInterceptor((_, metadata) =>
            {
                metadata.Add("authorization", $"Bearer {key}");
                return Task.CompletedTask;
            });
        return GrpcChannel.ForAddress(_service.Server.BaseAddress, new GrpcChannelOptions
        {
            HttpHandler = handler,
            Credentials = credentials is null ? ChannelCredentials.Insecure : ChannelCredentials.Create(ChannelCredentials.Insecure, credentials),
            UnsafeUseInsecureChannelCallCredentials = true,
        });
    }
}
