using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Options;

namespace DeepEverest.QueryService.WebConsole;

/// <summary>
/// Serves the web console (static files from <see cref="WebConsoleOptions.Path"/> at <c>/</c>) and
/// <c>GET /console-config.json</c>, which tells the page where the IndexService is. Both are on the
/// HTTP/1.1 endpoint only (the native gRPC endpoint answers gRPC alone).
/// </summary>
internal static class WebConsoleEndpoints
{
    /// <summary>Path of the page's configuration document.</summary>
    public const string ConfigPath = "/console-config.json";

    /// <summary>Adds the static files and maps the configuration document.</summary>
    public static WebApplication MapWebConsole(this WebApplication app)
    {
        WebConsoleOptions options = app.Services.GetRequiredService<IOptions<WebConsoleOptions>>().Value;
        string root = Path.GetFullPath(options.Path, AppContext.BaseDirectory);
        if (Directory.Exists(root))
        {
            var files = new PhysicalFileProvider(root);
            app.UseDefaultFiles(new DefaultFilesOptions { FileProvider = files });
            app.UseStaticFiles(new StaticFileOptions { FileProvider = files });
            QueryServiceLog.ConsoleServed(app.Logger, root);
        }
        else
        {
            QueryServiceLog.ConsoleMissing(app.Logger, root, WebConsoleOptions.SectionName);
        }

        var config = new ConsoleConfig(options.IndexServiceUrl);
        app.MapGet(ConfigPath, () => Results.Json(config));
        return app;
    }

    /// <summary>The document at <see cref="ConfigPath"/>.</summary>
    /// <param name="IndexServiceUrl">The IndexService's HTTP/1.1 address; empty = the page's own origin.</param>
    private sealed record ConsoleConfig(string IndexServiceUrl);
}
