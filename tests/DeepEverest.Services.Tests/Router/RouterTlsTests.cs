using DeepEverest.Contracts.V1;
using DeepEverest.Services.Tests.Infrastructure;
using Grpc.Core;
using Grpc.Net.Client;
using IndexClient = DeepEverest.Contracts.V1.IndexService.IndexServiceClient;

namespace DeepEverest.Services.Tests.Router;

/// <summary>
/// A router over shards that serve TLS with a certificate of a private CA (cert-manager's, in a
/// cluster): with <c>ShardCaFile</c> it trusts that CA and reaches them; without it the handshake
/// fails and the call says which shard; an unreadable CA file stops the router at start-up.
/// </summary>
public sealed class RouterTlsTests : IAsyncLifetime
{
    private readonly string _root = TestData.CreateTempDirectory();
    private TestCertificates _certificates = null!;
    private IndexServiceFactory _shard = null!;

    public async Task InitializeAsync()
    {
        _certificates = TestCertificates.Create(Path.Combine(_root, "tls"));
        string data = Path.Combine(_root, "data");
        Directory.CreateDirectory(data);
        TestData.CopyModel(data);
        _shard = new IndexServiceFactory(data, new Dictionary<string, string>
        {
            ["Kestrel:Endpoints:Grpc:Url"] = "https://127.0.0.1:0",
            ["Kestrel:Endpoints:Grpc:Certificate:Path"] = _certificates.CertificatePath,
            ["Kestrel:Endpoints:Grpc:Certificate:KeyPath"] = _certificates.KeyPath,
        });
        _shard.UseKestrel();
        _shard.StartServer();
        using GrpcChannel channel = GrpcChannel.ForAddress(_shard.Endpoints.GrpcAddress!, new GrpcChannelOptions { HttpHandler = _certificates.TrustingHandler() });
        await new IndexClient(channel).AddModelAsync(new AddModelRequest { Name = "m", Path = TestData.ModelFile }).ResponseAsync.DefaultTimeout();
    }

    public async Task DisposeAsync()
    {
        await _shard.DisposeAsync();
        _certificates.Dispose();
        TestData.DeleteDirectory(_root);
    }

    [Fact]
    public async Task ListModels_ShardCaFileTrustsThePrivateCa_ShardReachedOverTls()
    {
        await using var router = new RouterFactory([(_shard.Endpoints.GrpcAddress!, _shard.Endpoints.GrpcAddress!)],
            new Dictionary<string, string> { ["DeepEverest:Router:ShardCaFile"] = _certificates.CaPath });
        using GrpcChannel channel = router.CreateChannel();

        ListModelsResponse models = await new IndexClient(channel).ListModelsAsync(new ListModelsRequest()).ResponseAsync.DefaultTimeout();

        Assert.Equal(["m"], models.Models.Select(m => m.Name));
    }

    [Fact]
    public async Task ListModels_NoShardCaFile_HandshakeFailsNamingTheShard()
    {
        await using var router = new RouterFactory([(_shard.Endpoints.GrpcAddress!, _shard.Endpoints.GrpcAddress!)]);
        using GrpcChannel channel = router.CreateChannel();

        RpcException failure = await Assert.ThrowsAsync<RpcException>(
            () => new IndexClient(channel).ListModelsAsync(new ListModelsRequest()).ResponseAsync).DefaultTimeout();

        Assert.Equal(StatusCode.Unavailable, failure.StatusCode);
        Assert.StartsWith($"shard 0 ({_shard.Endpoints.GrpcAddress})", failure.Status.Detail, StringComparison.Ordinal);
        Assert.Contains("The TLS handshake failed: if the shard's certificate is signed by a private CA, set DeepEverest:Router:ShardCaFile", failure.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_ShardCaFileWithoutCertificate_RefusedNamingTheSettingAndFile()
    {
        var router = new RouterFactory([(_shard.Endpoints.GrpcAddress!, _shard.Endpoints.GrpcAddress!)],
            new Dictionary<string, string> { ["DeepEverest:Router:ShardCaFile"] = _certificates.KeyPath });

        Exception e = Assert.ThrowsAny<Exception>(() => router.Server);
        await router.DisposeAsync();

        string message = string.Join(" | ", Causes(e).Select(c => c.Message));
        Assert.Contains("DeepEverest:Router:ShardCaFile", message, StringComparison.Ordinal);
        Assert.Contains($"'{_certificates.KeyPath}' holds no PEM certificate", message, StringComparison.Ordinal);
    }

    private static IEnumerable<Exception> Causes(Exception e)
    {
        for (Exception? c = e; c is not null; c = c.InnerException)
        {
            yield return c;
        }
    }
}
