using DeepEverest.Hosting;
using DeepEverest.QueryService;

// The QueryService: answers top-k queries over the store the IndexService writes (opened as a
// secondary). Settings: appsettings.json (beside this assembly), environment, or the command
// line, e.g.
//   dotnet DeepEverest.QueryService.dll --DeepEverest:DataRoot ./data \
//     --Kestrel:Endpoints:Grpc:Url http://127.0.0.1:50052 --Kestrel:Endpoints:Http:Url http://127.0.0.1:8080
WebApplicationBuilder builder = DeepEverestHost.CreateBuilder(args, QueryServiceHosting.Defaults);
builder.Services.AddQueryService(builder.Configuration);

WebApplication app = builder.Build();
app.MapQueryService();
app.Run();
