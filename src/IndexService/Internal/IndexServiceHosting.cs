using DeepEverest.Core.Indexing;
using DeepEverest.Core.Storage;
using DeepEverest.Hosting;
using DeepEverest.Kernels;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;

namespace DeepEverest.IndexService.Internal;

/// <summary>How <c>Program</c> wires the IndexService into an ASP.NET Core host.</summary>
internal static class IndexServiceHosting
{
    /// <summary>Address served when no <c>--urls</c> (or ASPNETCORE_URLS / HTTP_PORTS) is configured.</summary>
    public const string DefaultUrl = "http://127.0.0.1:50051";

    /// <summary>
    /// Serves every endpoint as HTTP/2 only: on cleartext, Http1AndHttp2 silently degrades to
    /// HTTP/1.1 and gRPC clients fail with HTTP_1_1_REQUIRED.
    /// </summary>
    public static void ConfigureKestrel(WebApplicationBuilder builder)
    {
        IConfiguration config = builder.Configuration;
        if (string.IsNullOrEmpty(config["urls"]) && string.IsNullOrEmpty(config["http_ports"]) && string.IsNullOrEmpty(config["https_ports"]))
        {
            builder.WebHost.UseUrls(DefaultUrl);
        }

        builder.WebHost.ConfigureKestrel(kestrel => kestrel.ConfigureEndpointDefaults(endpoint => endpoint.Protocols = HttpProtocols.Http2));
    }

    /// <summary>Registers options, the store, the kernels, the builder and the gRPC services.</summary>
    public static IServiceCollection AddIndexService(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSingleton<IndexServiceOptionsValidator>();
        services.AddSingleton<IValidateOptions<IndexServiceOptions>>(sp => sp.GetRequiredService<IndexServiceOptionsValidator>());
        services.AddSingleton<IValidateOptions<IndexBuildOptions>>(sp => sp.GetRequiredService<IndexServiceOptionsValidator>());
        services.AddOptions<IndexServiceOptions>().Bind(configuration.GetSection(IndexServiceOptions.SectionName)).ValidateOnStart();
        services.AddOptions<IndexBuildOptions>().Bind(configuration.GetSection(IndexServiceOptions.IndexSectionName)).ValidateOnStart();

        // One store per process: RocksDB allows a single writer, and it is disposed with the host.
        services.AddSingleton(OpenStore);
        services.AddSingleton(CreateKernels);
        services.AddSingleton(sp => new IndexBuilder(
            sp.GetRequiredService<DeepEverestStore>(),
            sp.GetRequiredService<IKernels>(),
            sp.GetRequiredService<IOptions<IndexBuildOptions>>().Value,
            sp.GetRequiredService<ILoggerFactory>().CreateLogger<IndexBuilder>()));
        services.AddSingleton<BuildQueue>();
        services.AddSingleton<CatalogGate>();
        services.AddHostedService<IndexServiceStartup>();

        // The interceptor shared with the QueryService: DeepEverestException -> the status of the
        // same name, cancellation -> CANCELLED / DEADLINE_EXCEEDED, anything else -> INTERNAL.
        services.AddGrpc(grpc => grpc.Interceptors.Add<ErrorMappingInterceptor>());
        services.AddGrpcReflection();
        services.AddGrpcHealthChecks()
            .AddCheck<StoreHealthCheck>("store")
            .AddCheck<KernelsHealthCheck>("kernels");
        return services;
    }

    /// <summary>Maps the IndexService, gRPC health and gRPC reflection.</summary>
    public static WebApplication MapIndexService(this WebApplication app)
    {
        app.MapGrpcService<IndexServiceImpl>();
        app.MapGrpcHealthChecksService();
        app.MapGrpcReflectionService();
        return app;
    }

    private static DeepEverestStore OpenStore(IServiceProvider services)
    {
        IndexServiceOptions options = services.GetRequiredService<IOptions<IndexServiceOptions>>().Value;
        ILogger logger = services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(IndexServiceHosting).Namespace!);
        string root = Path.GetFullPath(options.DataRoot);
        DeepEverestStore store = DeepEverestStore.OpenPrimary(root);
        try
        {
            // Builds killed mid-way left rows under generations that were never published.
            int removed = store.RemoveAbandonedBuilds();
            IndexServiceLog.StoreOpened(logger, root, removed);
            return store;
        }
        catch
        {
            store.Dispose();
            throw;
        }
    }

    private static IKernels CreateKernels(IServiceProvider services)
    {
        IndexServiceOptions options = services.GetRequiredService<IOptions<IndexServiceOptions>>().Value;
        ILoggerFactory loggers = services.GetRequiredService<ILoggerFactory>();
        IKernels kernels = KernelSelector.Create(new KernelOptions { Backend = options.Kernels }, loggers.CreateLogger("DeepEverest.Kernels"));
        IndexServiceLog.KernelsSelected(loggers.CreateLogger(typeof(IndexServiceHosting).Namespace!), kernels.Name);
        return kernels;
    }
}
