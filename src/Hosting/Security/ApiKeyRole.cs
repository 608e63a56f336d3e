namespace DeepEverest.Hosting.Security;

/// <summary>What an API key may do. Every role may do what the roles before it may.</summary>
public enum ApiKeyRole
{
    /// <summary>
    /// Reads: queries (TopKSimilar, TopKHighest, and TopKShard, a router's call to its shards), GetInput, GetActivations, and the IndexService's
    /// List*, Get* and Describe* calls; gRPC reflection; <c>/metrics</c> when it requires a key.
    /// </summary>
    Read = 1,

    /// <summary>Everything: also registers models, imports datasets, builds, materializes and deletes.</summary>
    Admin = 2,
}
