using DeepEverest.Core.Indexing;
using DeepEverest.Core.Storage;
using DeepEverest.Hosting;
using DeepEverest.IndexService.Services;
using DeepEverest.Kernels;
using Microsoft.Extensions.Options;
using V1 = DeepEverest.Contracts.V1;

namespace DeepEverest.IndexService;

/// <summary>How <c>Program</c> wires the IndexService into an ASP.NET Core host.</summary>
internal static class IndexServiceHosting
{
    /// <summary>
    /// The service's name and its endpoints' default addresses: native gRPC on 127.0.0.1:50051,
    /// HTTP/1.1 (gRPC-Web, JSON, metrics) on 127.0.0.1:8081. Override with
    /// <c>Kestrel:Endpoints:Grpc:Url</c> / <c>Kestrel:Endpoints:Http:Url</c> (empty disables one).
    /// </summary>
    public static readonly ServiceHostDefaults Defaults = new(
        V1.IndexService.Descriptor.FullName,
        "index-service",
        "http://127.0.0.1:50051",
        "http://127.0.0.1:8081");

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
            sp.GetRequiredService<StoreWriter>(),
            sp.GetRequiredService<IKernels>(),
            sp.GetRequiredService<IOptions<IndexBuildOptions>>().Value,
            sp.GetRequiredService<ILoggerFactory>().CreateLogger<IndexBuilder>()));
        services.AddSingleton<IndexServiceMetrics>();
        services.AddSingleton<BuildQueue>();
        services.AddSingleton<CatalogGate>();
        services.AddSingleton<IngestLimits>();
        services.AddHostedService<IndexServiceStartup>();

        // gRPC, its error mapping, health, reflection and metrics come from DeepEverestHost.
        services.AddHealthChecks()
            .AddCheck<StoreHealthCheck>("store")
            .AddCheck<KernelsHealthCheck>("kernels");
        return services;
    }

    /// <summary>
    /// Sets up the shared pipeline (<see cref="DeepEverestHost.UseDeepEverestHost"/>), maps the
    /// IndexService, and reports the published indexes' sizes as <c>deepeverest.index.size</c>.
    /// </summary>
    public static WebApplication MapIndexService(this WebApplication app)
    {
        app.UseDeepEverestHost();
        app.MapGrpcService<IndexServiceImpl>();
        StoreWriter store = app.Services.GetRequiredService<StoreWriter>();
        app.Services.GetRequiredService<IndexServiceMetrics>().ObserveIndexSizes(
            () => store.ListIndexes().Select(index => new IndexSize(index.Model, index.Dataset, index.Layer, index.IndexBytes)));
        return app;
    }

    private static StoreWriter OpenStore(IServiceProvider services)
    {
        IndexServiceOptions options = services.GetRequiredService<IOptions<IndexServiceOptions>>().Value;
        ILogger logger = services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(IndexServiceHosting).Namespace!);
        string root = Path.GetFullPath(options.DataRoot);
        StoreWriter store = StoreWriter.OpenPrimary(root);
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
