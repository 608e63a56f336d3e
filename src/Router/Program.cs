using DeepEverest.Hosting;
using DeepEverest.Router;

// The router: a QueryService over input-range shards (docs/scale-out.md). It holds no data; it
// fans each query out to the shards named in DeepEverest:Router:Shards and merges their streams
// into one exact stream. Settings: appsettings.json (beside this assembly), environment, or the
// command line, e.g.
//   dotnet DeepEverest.Router.dll --DeepEverest:Router:Shards:0:QueryUrl http://10.0.0.5:50052 \
//     --DeepEverest:Router:Shards:0:IndexUrl http://10.0.0.5:50051 ...
WebApplicationBuilder builder = DeepEverestHost.CreateBuilder(args, RouterHosting.Defaults);
builder.Services.AddRouter(builder.Configuration);

WebApplication app = builder.Build();
app.MapRouter();
app.Run();
