using DeepEverest.Hosting;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace DeepEverest.Services.Tests.Infrastructure;

/// <summary>
/// The IndexService hosted in memory (TestServer) or, after <c>UseKestrel()</c>, on real loopback
/// ports (both endpoints on port 0; <see cref="Endpoints"/> tells the bound addresses), over its own
/// data root. Error logs are captured for assertions.
/// </summary>
internal sealed class IndexServiceFactory(string dataRoot, IReadOnlyDictionary<string, string>? settings = null) : WebApplicationFactory<DeepEverest.IndexService.IndexServiceHost>
{
    /// <summary>The data root the service was started on.</summary>
    public string DataRoot { get; } = dataRoot;

    /// <summary>Error logs of the service.</summary>
    public CapturingLoggerProvider Logs { get; } = new();

    /// <summary>The addresses of a Kestrel-hosted factory's endpoints (after <c>UseKestrel()</c> and start).</summary>
    public ServiceEndpoints Endpoints => Services.GetRequiredService<ServiceEndpoints>();

    /// <summary>A channel to the in-memory server.</summary>
    public GrpcChannel CreateChannel() =>
        GrpcChannel.ForAddress(Server.BaseAddress, new GrpcChannelOptions { HttpHandler = Server.CreateHandler() });

    /// <inheritdoc />
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting("Kestrel:Endpoints:Grpc:Url", "http://127.0.0.1:0");
        builder.UseSetting("Kestrel:Endpoints:Http:Url", "http://127.0.0.1:0");
        builder.UseSetting("DeepEverest:DataRoot", DataRoot);

        // SIMD kernels: deterministic, and no CUDA probing in every test host.
        builder.UseSetting("DeepEverest:Kernels", "Cpu");
        foreach ((string key, string value) in settings ?? new Dictionary<string, string>())
        {
            builder.UseSetting(key, value);
        }

        builder.ConfigureServices(services => services.AddSingleton<ILoggerProvider>(Logs));
    }
}
