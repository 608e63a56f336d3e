using System.Net;
using System.Text;
using DeepEverest.Contracts.V1;
using DeepEverest.Hosting;
using DeepEverest.Services.Tests.Infrastructure;
using Grpc.Core;
using Grpc.Net.Client;
using IndexClient = DeepEverest.Contracts.V1.IndexService.IndexServiceClient;

namespace DeepEverest.Services.Tests.Security;

/// <summary>
/// Request size limits on real Kestrel: gRPC messages over <c>DeepEverest:Limits:MaxReceiveMessageMb</c>
/// are RESOURCE_EXHAUSTED, JSON bodies over <c>Kestrel:Limits:MaxRequestBodySize</c> are refused, and a
/// refusal that echoes a huge hostile name reaches the client cut short (it travels in a header).
/// </summary>
public sealed class RequestSizeTests : IAsyncLifetime
{
    private readonly string _root = TestData.CreateTempDirectory();
    private readonly List<IndexServiceFactory> _services = [];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (IndexServiceFactory service in _services)
        {
            await service.DisposeAsync();
        }

        TestData.DeleteDirectory(_root);
    }

    [Fact]
    public async Task Grpc_MessageOverTheLimit_ResourceExhaustedAndUnderItAnsweredWithAShortMessage()
    {
        IndexServiceFactory small = Start(new() { ["DeepEverest:Limits:MaxReceiveMessageMb"] = "2" });
        IndexServiceFactory large = Start(new() { ["DeepEverest:Limits:MaxReceiveMessageMb"] = "8" });
        var hostile = new AddModelRequest { Name = new string('n', 3 << 20), Path = "model.onnx" };

        RpcException tooLarge = await CallAsync(small, hostile);
        RpcException refused = await CallAsync(large, hostile);

        Assert.Equal(StatusCode.ResourceExhausted, tooLarge.StatusCode);
        Assert.Equal(StatusCode.InvalidArgument, refused.StatusCode);
        Assert.True(refused.Status.Detail.Length <= ErrorMappingInterceptor.MaxClientMessageChars + 32, $"{refused.Status.Detail.Length} characters");
        Assert.StartsWith("Invalid model name 'nnnn", refused.Status.Detail, StringComparison.Ordinal);
        Assert.EndsWith("chars)", refused.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Json_BodyOverKestrelsLimit_RefusedNamingTheLimit()
    {
        IndexServiceFactory service = Start(new() { ["Kestrel:Limits:MaxRequestBodySize"] = "1000000" });
        using var http = new HttpClient();

        using var large = new StringContent($$"""{"name":"{{new string('n', 1_100_000)}}","path":"m.onnx"}""", Encoding.UTF8, "application/json");
        using HttpResponseMessage refused = await http.PostAsync($"{service.Endpoints.HttpAddress}/v1/models", large).DefaultTimeout();
        using var small = new StringContent($$"""{"name":"{{new string('n', 900_000)}}","path":"m.onnx"}""", Encoding.UTF8, "application/json");
        using HttpResponseMessage answered = await http.PostAsync($"{service.Endpoints.HttpAddress}/v1/models", small).DefaultTimeout();

        // JSON transcoding reports Kestrel's refusal as INVALID_ARGUMENT (400) with Kestrel's message.
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Contains("Request body too large. The max request body size is 1000000 bytes.", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, answered.StatusCode);
        Assert.True((await answered.Content.ReadAsStringAsync()).Length < 3000);
    }

    [Theory]
    [InlineData("1")]
    [InlineData("2000")]
    public void Start_MessageLimitOutOfRange_RefusedNamingTheSetting(string value)
    {
        using var service = new IndexServiceFactory(_root, new Dictionary<string, string> { ["DeepEverest:Limits:MaxReceiveMessageMb"] = value });

        Exception e = Assert.ThrowsAny<Exception>(() => service.Server);

        Assert.Contains("DeepEverest:Limits:MaxReceiveMessageMb must be in [2, 1024] MiB", e.ToString(), StringComparison.Ordinal);
    }

    private static async Task<RpcException> CallAsync(IndexServiceFactory service, AddModelRequest request)
    {
        using GrpcChannel channel = GrpcChannel.ForAddress(service.Endpoints.GrpcAddress!, new GrpcChannelOptions { MaxSendMessageSize = null });
        return await Assert.ThrowsAsync<RpcException>(() => new IndexClient(channel).AddModelAsync(request).ResponseAsync).DefaultTimeout();
    }

    private IndexServiceFactory Start(Dictionary<string, string> settings)
    {
        var service = new IndexServiceFactory(Path.Combine(_root, Guid.NewGuid().ToString("N")), settings);
        _services.Add(service);
        service.UseKestrel();
        service.StartServer();
        return service;
    }
}
