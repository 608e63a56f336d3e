using DeepEverest.IndexService.Internal;

// The IndexService: imports datasets, registers models and builds indexes into the store under
// the data root. Settings: appsettings.json, environment, or the command line, e.g.
//   dotnet DeepEverest.IndexService.dll --urls http://127.0.0.1:50051 --DeepEverest:DataRoot ./data
WebApplicationBuilder builder = WebApplication.CreateBuilder(args);
IndexServiceHosting.ConfigureKestrel(builder);
builder.Services.AddIndexService(builder.Configuration);

WebApplication app = builder.Build();
app.MapIndexService();
app.Run();

/// <summary>
/// The IndexService entry point; public and partial so tests can host it with
/// <c>WebApplicationFactory&lt;Program&gt;</c>.
/// </summary>
public partial class Program;
