namespace DeepEverest.Hosting.Security;

/// <summary>The API key a call was authenticated with: its id (never the key) and role.</summary>
/// <param name="Id">The key's id from configuration or the key file (safe to log).</param>
/// <param name="Role">What the key may do.</param>
public sealed record ApiKeyIdentity(string Id, ApiKeyRole Role);
