using DeepEverest.Core.Query;
using DeepEverest.Hosting;
using DeepEverest.Kernels;
using DeepEverest.QueryService;
using DeepEverest.QueryService.Services;
using Microsoft.Extensions.Options;

var builder = WebApplication.CreateBuilder(args);
builder.WebHost.ConfigureKestrel(kestrel =>
{
    // gRPC needs HTTP/2; on cleartext Http1AndHttp2 silently negotiates HTTP/1.1.
    kestrel.ConfigureEndpointDefaults(listen => listen.Protocols = Microsoft.AspNetCore.Server.Kestrel.Core.HttpProtocols.Http2);
});
if (string.IsNullOrEmpty(builder.Configuration["urls"]) && string.IsNullOrEmpty(builder.Configuration["ASPNETCORE_URLS"]))
{
    builder.WebHost.UseUrls("http://127.0.0.1:50052");
}

builder.Services.AddOptions<QueryServiceOptions>()
    .Bind(builder.Configuration.GetSection(QueryServiceOptions.SectionName))
    .Validate(o => { o.Validate(); return true; })
    .ValidateOnStart();
builder.Services.AddOptions<QueryEngineOptions>()
    .Bind(builder.Configuration.GetSection("DeepEverest:Query"))
    .Validate(o => o.CacheMb >= 0 && o.MaxK is > 0 and <= TopKQuery.MaxK && o.BatchSize is > 0 and <= 4096, "DeepEverest:Query: CacheMb >= 0, MaxK in 1..10000, BatchSize in 1..4096")
    .ValidateOnStart();
builder.Services.AddSingleton<IKernels>(sp => KernelSelector.Create(
    new KernelOptions { Backend = sp.GetRequiredService<IOptions<QueryServiceOptions>>().Value.Kernels },
    sp.GetRequiredService<ILoggerFactory>().CreateLogger("DeepEverest.Kernels")));
builder.Services.AddSingleton<QueryEngineHolder>();
builder.Services.AddSingleton<QueryActivity>();
builder.Services.AddGrpc(o => o.Interceptors.Add<ErrorMappingInterceptor>());
builder.Services.AddGrpcReflection();
builder.Services.AddGrpcHealthChecks().AddCheck<KernelsHealthCheck>("kernels");

var app = builder.Build();
app.MapGrpcService<QueryServiceImpl>();
app.MapGrpcHealthChecksService();
app.MapGrpcReflectionService();
var kernels = app.Services.GetRequiredService<IKernels>();
QueryServiceLog.Started(app.Logger, Path.GetFullPath(app.Services.GetRequiredService<IOptions<QueryServiceOptions>>().Value.DataRoot), kernels.Name);
app.Run();
