using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Options;

namespace DeepEverest.Hosting.WebConsole;

/// <summary>
/// Serves the web console (static files from <see cref="WebConsoleOptions.Path"/> at <c>/</c>) and
/// <c>GET /console-config.json</c>, which tells the page where the IndexService is. Both are on the
/// HTTP/1.1 endpoint only (the native gRPC endpoint answers gRPC alone). The QueryService and the
/// router (which serves both services, so its page's IndexService is its own origin) serve it.
/// </summary>
public static class WebConsoleEndpoints
{
    /// <summary>Path of the page's configuration document.</summary>
    public const string ConfigPath = "/console-config.json";

    /// <summary>Adds the static files and maps the configuration document (options bound as <see cref="WebConsoleOptions"/>).</summary>
    /// <param name="app">The application, after <c>UseDeepEverestHost</c>.</param>
    /// <returns><paramref name="app"/>.</returns>
    public static WebApplication MapWebConsole(this WebApplication app)
    {
        WebConsoleOptions options = app.Services.GetRequiredService<IOptions<WebConsoleOptions>>().Value;
        string root = Path.GetFullPath(options.Path, AppContext.BaseDirectory);
        if (Directory.Exists(root))
        {
            var files = new PhysicalFileProvider(root);
            app.UseDefaultFiles(new DefaultFilesOptions { FileProvider = files });
            app.UseStaticFiles(new StaticFileOptions { FileProvider = files });
            HostingLog.ConsoleServed(app.Logger, root);
        }
        else
        {
            HostingLog.ConsoleMissing(app.Logger, root, WebConsoleOptions.SectionName);
        }

        var config = new ConsoleConfig(options.IndexServiceUrl);
        app.MapGet(ConfigPath, () => Results.Json(config));
        return app;
    }

    /// <summary>The document at <see cref="ConfigPath"/>.</summary>
    /// <param name="IndexServiceUrl">The IndexService's HTTP/1.1 address; empty = the page's own origin.</param>
    private sealed record ConsoleConfig(string IndexServiceUrl);
}
