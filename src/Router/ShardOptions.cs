namespace DeepEverest.Router;

/// <summary>One shard as the router reaches it (an element of <see cref="RouterOptions.Shards"/>).</summary>
public sealed class ShardOptions
{
    /// <summary>
    /// Native gRPC address of the shard's QueryService, e.g. <c>http://10.0.0.5:50052</c>
    /// (<c>https://</c> for TLS). Required.
    /// </summary>
    public string QueryUrl { get; set; } = "";

    /// <summary>
    /// Native gRPC address of the shard's IndexService, where the router reads the shard's
    /// datasets (ListDatasets) to check that the shards' input ranges tile each dataset. Required.
    /// </summary>
    public string IndexUrl { get; set; } = "";

    /// <summary>Name of the shard in messages and logs; empty = <c>shard i</c> (its position in the list).</summary>
    public string Name { get; set; } = "";
}
