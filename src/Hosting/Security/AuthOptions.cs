namespace DeepEverest.Hosting.Security;

/// <summary>
/// Optional API-key authentication, bound from <c>DeepEverest:Auth</c> and checked at start-up. Off
/// unless keys are configured: then every gRPC, gRPC-Web and JSON call but health checks must
/// carry <c>authorization: Bearer &lt;key&gt;</c> of a key whose role allows the call.
/// </summary>
/// <remarks>
/// Keys come from configuration (<see cref="Keys"/>, e.g. the environment variables
/// <c>DeepEverest__Auth__Keys__ci__Key</c> and <c>DeepEverest__Auth__Keys__ci__Role</c>) and/or a
/// key file (<see cref="ApiKeysFile"/>, e.g. a mounted Kubernetes Secret), one key per line as
/// <c>&lt;role&gt; &lt;key&gt; [&lt;id&gt;]</c>. The file is re-read when it changes.
/// </remarks>
public sealed class AuthOptions
{
    /// <summary>The configuration section these options bind from.</summary>
    public const string SectionName = "DeepEverest:Auth";

    /// <summary>Shortest key accepted, in characters: shorter secrets are guessable.</summary>
    public const int MinKeyLength = 16;

    /// <summary>
    /// Whether calls need a key. Unset (the default): on exactly when keys are configured. True:
    /// on, and start-up fails without a key. False: off even when keys are configured.
    /// </summary>
    public bool? Enabled { get; set; }

    /// <summary>Keys by id (the id appears in logs and is the client of per-client limits). Default none.</summary>
    public Dictionary<string, ApiKeyEntry> Keys { get; set; } = new(StringComparer.Ordinal);

    /// <summary>
    /// Path of a key file: lines <c>&lt;role&gt; &lt;key&gt; [&lt;id&gt;]</c> (role <c>read</c> or
    /// <c>admin</c>; blank lines and lines starting with <c>#</c> are skipped; the id defaults to
    /// <c>key-</c> and the first 8 hex digits of the key's SHA-256). Relative paths are relative to
    /// the working directory. Default empty: no file.
    /// </summary>
    public string ApiKeysFile { get; set; } = "";

    /// <summary>
    /// Whether <c>/metrics</c> needs a key (any role) when authentication is on. Default false:
    /// Prometheus scrapes without credentials (metrics hold counts and timings, no data).
    /// </summary>
    public bool MetricsRequireKey { get; set; }
}
