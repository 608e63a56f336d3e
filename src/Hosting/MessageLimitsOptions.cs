namespace DeepEverest.Hosting;

/// <summary>
/// Size limits of requests that both services share, bound from <c>DeepEverest:Limits</c> (the
/// QueryService's concurrency limits live in the same section) and checked at start-up. JSON
/// request bodies are bounded by Kestrel's own <c>Kestrel:Limits:MaxRequestBodySize</c> (bytes,
/// default 30,000,000: 413 beyond); headers by <c>Kestrel:Limits:MaxRequestHeadersTotalSize</c>
/// (default 32 KiB).
/// </summary>
public sealed class MessageLimitsOptions
{
    /// <summary>The configuration section these options bind from.</summary>
    public const string SectionName = "DeepEverest:Limits";

    /// <summary>
    /// Largest gRPC or gRPC-Web request message, in MiB (2-1024): a larger one fails with
    /// RESOURCE_EXHAUSTED before it reaches the service. Uploads stream in chunks (the CLI sends
    /// 1 MiB), so this bounds a query's target tensor, not a model's size. Default 4 (gRPC's own).
    /// </summary>
    public int MaxReceiveMessageMb { get; set; } = 4;

    /// <summary>Checks the settings; throws with a message naming the setting.</summary>
    public void Validate()
    {
        if (MaxReceiveMessageMb is < 2 or > 1024)
        {
            throw new InvalidOperationException($"{SectionName}:MaxReceiveMessageMb must be in [2, 1024] MiB, got {MaxReceiveMessageMb}.");
        }
    }
}
