namespace DeepEverest.Hosting.WebConsole;

/// <summary>
/// Settings of the web console the QueryService (and the router) serves on its HTTP/1.1 endpoint,
/// bound from <c>DeepEverest:Console</c>.
/// </summary>
public sealed class WebConsoleOptions
{
    /// <summary>The configuration section these options bind from.</summary>
    public const string SectionName = "DeepEverest:Console";

    /// <summary>
    /// Directory of the console's static files (index.html, scripts), served at <c>/</c>. Relative
    /// paths are relative to the application's base directory (where the service's assembly is).
    /// A missing directory means no console (logged at start); the rest of the service is unaffected.
    /// Default <c>wwwroot</c>.
    /// </summary>
    public string Path { get; set; } = "wwwroot";

    /// <summary>
    /// The IndexService's HTTP/1.1 address as the browser reaches it, returned to the page by
    /// <c>GET /console-config.json</c>. Empty means the page's own origin (an ingress that routes
    /// <c>/deepeverest.v1.IndexService/</c> to the IndexService). Default <c>http://127.0.0.1:8081</c>.
    /// </summary>
    public string IndexServiceUrl { get; set; } = "http://127.0.0.1:8081";

    /// <summary>Checks the settings; throws with a message naming the setting.</summary>
    public void Validate()
    {
        if (IndexServiceUrl.Length > 0
            && (!Uri.TryCreate(IndexServiceUrl, UriKind.Absolute, out Uri? uri) || uri.Scheme is not ("http" or "https")))
        {
            throw new InvalidOperationException(
                $"{SectionName}:IndexServiceUrl: '{IndexServiceUrl}' is not an http(s) URL; give e.g. http://127.0.0.1:8081, or empty for the page's own origin.");
        }
    }
}
