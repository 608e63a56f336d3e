using DeepEverest.Hosting;
using DeepEverest.IndexService;

// The IndexService: imports datasets, registers models and builds indexes into the store under
// the data root. Settings: appsettings.json (beside this assembly), environment, or the command
// line, e.g.
//   dotnet DeepEverest.IndexService.dll --DeepEverest:DataRoot ./data \
//     --Kestrel:Endpoints:Grpc:Url http://127.0.0.1:50051 --Kestrel:Endpoints:Http:Url http://127.0.0.1:8081
WebApplicationBuilder builder = DeepEverestHost.CreateBuilder(args, IndexServiceHosting.Defaults);
builder.Services.AddIndexService(builder.Configuration);

WebApplication app = builder.Build();
app.MapIndexService();
app.Run();

/// <summary>
/// The IndexService entry point; public and partial so tests can host it with
/// <c>WebApplicationFactory&lt;Program&gt;</c>.
/// </summary>
public partial class Program;
