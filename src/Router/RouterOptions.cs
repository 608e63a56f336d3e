using DeepEverest.Contracts;

namespace DeepEverest.Router;

/// <summary>Settings of the router (configuration section "DeepEverest:Router").</summary>
public sealed class RouterOptions
{
    /// <summary>Configuration section name.</summary>
    public const string SectionName = "DeepEverest:Router";

    /// <summary>The shards, in any order; at least one. Their input ranges must tile each dataset.</summary>
    public List<ShardOptions> Shards { get; set; } = [];

    /// <summary>
    /// The API key the router sends to every shard (<c>authorization: Bearer &lt;key&gt;</c>), so
    /// shards need not accept the router's clients' keys. Empty = none (shards without auth).
    /// </summary>
    public string ShardApiKey { get; set; } = "";

    /// <summary>
    /// PEM file of CA certificates the router trusts, besides the system's, for <c>https://</c>
    /// shard addresses: the CA that signed the shards' certificates when it is private (e.g.
    /// cert-manager's <c>ca.crt</c>). Empty = system trust only. Read at start-up; a file that
    /// cannot be read or holds no certificate stops the router with a message naming it.
    /// </summary>
    public string ShardCaFile { get; set; } = "";

    /// <summary>
    /// Coalescing of the merged stream when the request leaves options.min_update_interval_ms unset:
    /// at most one update per this many milliseconds (the first and the last always go out). The
    /// shards are always asked for every update. Default 50.
    /// </summary>
    public int DefaultUpdateIntervalMs { get; set; } = 50;

    /// <summary>
    /// Server-side cap on one query in seconds when the client sets no deadline (it reaches every
    /// shard as their calls' deadline); 0 = none. Default 300.
    /// </summary>
    public int MaxQuerySeconds { get; set; } = 300;

    /// <summary>
    /// How long the shards' dataset descriptions (ranges, counts) are trusted before queries read
    /// them again, in seconds; a failed query reads them again at once. Default 10.
    /// </summary>
    public int TopologyRefreshSeconds { get; set; } = 10;

    /// <summary>Checks the settings; throws <see cref="InvalidOperationException"/> naming the first bad one.</summary>
    public void Validate()
    {
        if (Shards.Count == 0)
        {
            throw new InvalidOperationException($"{SectionName}:Shards is empty: name each shard's QueryUrl and IndexUrl.");
        }

        for (int i = 0; i < Shards.Count; i++)
        {
            foreach ((string field, string value) in new[] { (nameof(ShardOptions.QueryUrl), Shards[i].QueryUrl), (nameof(ShardOptions.IndexUrl), Shards[i].IndexUrl) })
            {
                if (!Uri.TryCreate(value, UriKind.Absolute, out Uri? uri) || uri.Scheme is not ("http" or "https"))
                {
                    throw new InvalidOperationException($"{SectionName}:Shards:{i}:{field} must be an http:// or https:// address (got '{value}').");
                }
            }
        }

        if (ShardApiKey.Any(char.IsWhiteSpace))
        {
            throw new InvalidOperationException($"{SectionName}:ShardApiKey must not contain whitespace.");
        }

        if (ShardCaFile.Length > 0)
        {
            try
            {
                _ = TrustedCa.FromPemFile(ShardCaFile);
            }
            catch (InvalidDataException e)
            {
                throw new InvalidOperationException($"{SectionName}:ShardCaFile: {e.Message}", e);
            }
        }

        if (DefaultUpdateIntervalMs < 0 || MaxQuerySeconds < 0 || TopologyRefreshSeconds < 0)
        {
            throw new InvalidOperationException($"{SectionName}: DefaultUpdateIntervalMs, MaxQuerySeconds and TopologyRefreshSeconds must be >= 0.");
        }
    }
}
