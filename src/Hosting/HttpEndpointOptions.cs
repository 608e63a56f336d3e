namespace DeepEverest.Hosting;

/// <summary>
/// Settings of the HTTP/1.1 endpoint (gRPC-Web, JSON, <c>/metrics</c>), bound from
/// <c>DeepEverest:Http</c> and checked at start-up.
/// </summary>
public sealed class HttpEndpointOptions
{
    /// <summary>The configuration section these options bind from.</summary>
    public const string SectionName = "DeepEverest:Http";

    /// <summary>
    /// Origins (scheme://host[:port]) whose pages may call the service from a browser (CORS), e.g.
    /// <c>["https://console.example.org"]</c>. Empty, or containing <c>*</c>, allows any origin
    /// (no cookies are involved: credentials travel in an <c>authorization</c> header). Default empty.
    /// </summary>
    public string[] CorsOrigins { get; set; } = [];

    /// <summary>Whether every origin is allowed.</summary>
    public bool AllowsAnyOrigin => CorsOrigins.Length == 0 || CorsOrigins.Contains("*");

    /// <summary>Checks the settings; throws with a message naming the setting.</summary>
    public void Validate()
    {
        foreach (string origin in CorsOrigins)
        {
            if (origin != "*" && (!Uri.TryCreate(origin, UriKind.Absolute, out Uri? uri) || uri.Scheme is not ("http" or "https") || uri.AbsolutePath != "/"))
            {
                throw new InvalidOperationException(
                    $"{SectionName}:CorsOrigins: '{origin}' is not an origin; give scheme://host[:port] (no path), or * for any.");
            }
        }
    }
}
