using DeepEverest.Hosting.Internal;
using DeepEverest.Hosting.Security;
using Grpc.AspNetCore.Server;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Cors.Infrastructure;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Configuration.Memory;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;

namespace DeepEverest.Hosting;

/// <summary>
/// What both services' hosts share, in one place: content root, the two Kestrel endpoints
/// (<see cref="ServiceEndpoints"/>), gRPC with its error mapping, gRPC-Web, JSON transcoding,
/// CORS, health (for <c>""</c> and the service's name), reflection and OpenTelemetry metrics at
/// <c>/metrics</c>. A service's <c>Program</c> is <see cref="CreateBuilder"/>, its own
/// registrations, <see cref="UseDeepEverestHost"/>, then <c>MapGrpcService</c>.
/// </summary>
public static class DeepEverestHost
{
    /// <summary>Path of the Prometheus scrape endpoint (HTTP/1.1 endpoint only).</summary>
    public const string MetricsPath = "/metrics";

    /// <summary>Path of the plain HTTP health check (HTTP/1.1 endpoint only): 200 "Healthy" or 503.</summary>
    public const string HealthPath = "/healthz";

    /// <summary>
    /// Request headers a browser page may send cross-origin: those of gRPC-Web (as sent by
    /// connect-web and grpc-web), of the Connect protocol, JSON's content type, and
    /// <c>authorization</c> for credentials.
    /// </summary>
    public static readonly string[] CorsRequestHeaders =
    [
        "content-type", "x-grpc-web", "x-user-agent", "grpc-timeout", "grpc-accept-encoding", "grpc-encoding",
        "connect-protocol-version", "connect-timeout-ms", "authorization",
    ];

    /// <summary>Response headers a browser page may read cross-origin: the gRPC status and encodings.</summary>
    public static readonly string[] CorsExposedHeaders = ["Grpc-Status", "Grpc-Message", "Grpc-Encoding", "Grpc-Accept-Encoding"];

    /// <summary>
    /// Creates the builder of a service host. The content root is the application's base directory,
    /// so <c>appsettings.json</c> (beside the assembly) applies whatever the working directory; paths
    /// in settings such as <c>DeepEverest:DataRoot</c> stay relative to the working directory. The
    /// defaults of both endpoints' Urls sit below every configuration source (appsettings.json,
    /// environment, command line all override them).
    /// </summary>
    public static WebApplicationBuilder CreateBuilder(string[] args, ServiceHostDefaults defaults)
    {
        WebApplicationBuilder builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = args,
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.Configuration.Sources.Insert(0, new MemoryConfigurationSource
        {
            InitialData = new Dictionary<string, string?>
            {
                [$"Kestrel:Endpoints:{ServiceEndpoints.GrpcName}:Url"] = defaults.GrpcUrl,
                [$"Kestrel:Endpoints:{ServiceEndpoints.HttpName}:Url"] = defaults.HttpUrl,
            },
        });

        var endpoints = new ServiceEndpoints();
        builder.WebHost.ConfigureKestrel((context, kestrel) =>
            kestrel.Configure(EnabledEndpoints(context.Configuration.GetSection("Kestrel")), reloadOnChange: false)
                .Endpoint(ServiceEndpoints.GrpcName, endpoint => endpoints.OnEndpoint(ServiceEndpoints.GrpcName, endpoint))
                .Endpoint(ServiceEndpoints.HttpName, endpoint => endpoints.OnEndpoint(ServiceEndpoints.HttpName, endpoint)));
        // Kestrel's limits from its own section (Kestrel:Limits:MaxRequestBodySize bounds JSON
        // bodies, MaxConcurrentConnections, ...): the endpoint loader above reads endpoints only.
        builder.Services.Configure<KestrelServerOptions>(builder.Configuration.GetSection("Kestrel"));
        builder.Services.AddSingleton(endpoints);
        builder.Services.AddSingleton(defaults);
        AddServices(builder.Services, builder.Configuration, defaults);
        return builder;
    }

    /// <summary>
    /// Sets up the request pipeline: the native gRPC endpoint answers gRPC only; <c>/metrics</c>,
    /// CORS, gRPC-Web and <c>/healthz</c> serve the HTTP/1.1 endpoint; gRPC health and reflection
    /// are mapped. Map the service itself (<c>MapGrpcService</c>) after this.
    /// </summary>
    public static WebApplication UseDeepEverestHost(this WebApplication app)
    {
        // Reads and checks the API keys now: a bad key setting stops the service before it listens.
        ApiKeyStore keys = app.Services.GetRequiredService<ApiKeyStore>();
        LogAuthentication(app, keys);
        app.Use(GrpcOnlyOnGrpcEndpointAsync);
        if (keys.MetricsRequireKey)
        {
            app.Use((context, next) => MetricsKeyCheck.InvokeAsync(context, next, keys));
        }

        app.UseOpenTelemetryPrometheusScrapingEndpoint(MetricsPath);
        app.UseRouting();
        app.UseCors();
        app.UseGrpcWeb(new GrpcWebOptions { DefaultEnabled = true });
        app.MapGrpcHealthChecksService();
        app.MapGrpcReflectionService();
        app.MapHealthChecks(HealthPath);
        app.Lifetime.ApplicationStarted.Register(() => LogEndpoints(app));
        return app;
    }

    private static void AddServices(IServiceCollection services, IConfiguration configuration, ServiceHostDefaults defaults)
    {
        services.AddValidatedOptions<HttpEndpointOptions>(configuration, HttpEndpointOptions.SectionName, o => o.Validate());
        services.AddValidatedOptions<MessageLimitsOptions>(configuration, MessageLimitsOptions.SectionName, o => o.Validate());
        services.AddOptions<GrpcServiceOptions>().Configure<IOptions<MessageLimitsOptions>>(
            (grpc, limits) => grpc.MaxReceiveMessageSize = limits.Value.MaxReceiveMessageMb << 20);
        services.AddSingleton<DeepEverestMetrics>();
        services.AddOptions<AuthOptions>().Bind(configuration.GetSection(AuthOptions.SectionName));
        // The clock of time-based checks (the key file's re-read interval); tests put a fake one first.
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<ApiKeyStore>();

        // Outermost first: the request log sees every call with the status its client sees,
        // refusals by authentication included; authentication runs before any handler; streams
        // are counted whatever the outcome the error mapping gives them.
        services.AddGrpc(grpc =>
        {
            grpc.Interceptors.Add<RequestLogInterceptor>();
            grpc.Interceptors.Add<AuthInterceptor>();
            grpc.Interceptors.Add<StreamMetricsInterceptor>();
            grpc.Interceptors.Add<ErrorMappingInterceptor>();
        }).AddJsonTranscoding();
        services.AddGrpcReflection();
        services.AddGrpcHealthChecks(health =>
        {
            health.Services.Map("", _ => true);
            health.Services.Map(defaults.ServiceName, _ => true);
        });

        services.AddCors();
        services.AddOptions<CorsOptions>().Configure<IOptions<HttpEndpointOptions>>((cors, http) => cors.AddDefaultPolicy(policy =>
        {
            if (http.Value.AllowsAnyOrigin)
            {
                policy.AllowAnyOrigin();
            }
            else
            {
                policy.WithOrigins(http.Value.CorsOrigins);
            }

            policy.WithMethods("GET", "POST")
                .WithHeaders(CorsRequestHeaders)
                .WithExposedHeaders(CorsExposedHeaders)
                .SetPreflightMaxAge(TimeSpan.FromMinutes(10));
        }));

        services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(serviceName: defaults.ShortName, serviceNamespace: "deepeverest"))
            .WithMetrics(metrics => metrics
                .AddMeter(DeepEverestMetrics.MeterName)
                .AddAspNetCoreInstrumentation()
                .AddRuntimeInstrumentation()

                // Every scrape sees the current values (a test or dashboard reads queries_running
                // right after a cancellation); a scrape is cheap at this scale.
                .AddPrometheusExporter(prometheus => prometheus.ScrapeResponseCacheDurationMilliseconds = 0));
    }

    /// <summary>
    /// The Kestrel section without the endpoints whose Url is empty: Kestrel refuses an endpoint
    /// without a Url, and an empty Url is how an operator turns one endpoint off.
    /// </summary>
    private static IConfiguration EnabledEndpoints(IConfigurationSection kestrel)
    {
        var disabled = kestrel.GetSection("Endpoints").GetChildren()
            .Where(endpoint => string.IsNullOrWhiteSpace(endpoint["Url"]))
            .Select(endpoint => $"Endpoints:{endpoint.Key}")
            .ToList();
        var enabled = kestrel.GetSection("Endpoints").GetChildren().Count() - disabled.Count;
        if (enabled == 0)
        {
            throw new InvalidOperationException(
                "Every endpoint is disabled: set Kestrel:Endpoints:Grpc:Url (native gRPC) and/or Kestrel:Endpoints:Http:Url (HTTP/1.1).");
        }

        IEnumerable<KeyValuePair<string, string?>> kept = kestrel.AsEnumerable(makePathsRelative: true)
            .Where(setting => !disabled.Any(prefix =>
                setting.Key.Equals(prefix, StringComparison.OrdinalIgnoreCase)
                || setting.Key.StartsWith(prefix + ":", StringComparison.OrdinalIgnoreCase)));
        return new ConfigurationBuilder().AddInMemoryCollection(kept).Build();
    }

    /// <summary>
    /// The native gRPC endpoint serves gRPC (and gRPC-Web) requests only: JSON, metrics, health
    /// over HTTP and static files belong to the HTTP/1.1 endpoint.
    /// </summary>
    private static Task GrpcOnlyOnGrpcEndpointAsync(HttpContext context, RequestDelegate next)
    {
        if (!ServiceEndpoints.IsGrpcEndpoint(context)
            || context.Request.ContentType?.StartsWith("application/grpc", StringComparison.OrdinalIgnoreCase) == true)
        {
            return next(context);
        }

        context.Response.StatusCode = StatusCodes.Status404NotFound;
        return context.Response.WriteAsync(
            "This is the native gRPC endpoint (HTTP/2). HTTP/JSON, gRPC-Web, /metrics and the console are served on the HTTP/1.1 endpoint (Kestrel:Endpoints:Http).\n",
            context.RequestAborted);
    }

    private static void LogAuthentication(WebApplication app, ApiKeyStore keys)
    {
        ILogger logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(DeepEverestHost).FullName!);
        if (keys.Enabled)
        {
            HostingLog.AuthEnabled(logger, keys.KeyIds.Count, string.Join(", ", keys.KeyIds), keys.MetricsRequireKey ? "needs a key" : "is open");
        }
        else
        {
            HostingLog.AuthDisabled(logger, AuthOptions.SectionName);
        }
    }

    private static void LogEndpoints(WebApplication app)
    {
        ServiceEndpoints endpoints = app.Services.GetRequiredService<ServiceEndpoints>();
        ServiceHostDefaults defaults = app.Services.GetRequiredService<ServiceHostDefaults>();
        ILogger logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(DeepEverestHost).FullName!);
        foreach ((string name, string serves) in new[]
        {
            (ServiceEndpoints.GrpcName, "native gRPC, HTTP/2"),
            (ServiceEndpoints.HttpName, "HTTP/1.1: gRPC-Web, JSON /v1, /metrics"),
        })
        {
            if (endpoints.AddressOf(name) is { } address)
            {
                HostingLog.EndpointListening(logger, defaults.ShortName, name, serves, address);
            }
            else if (app.Configuration[$"Kestrel:Endpoints:{name}:Url"] is { Length: 0 })
            {
                HostingLog.EndpointDisabled(logger, defaults.ShortName, name);
            }
        }
    }
}
