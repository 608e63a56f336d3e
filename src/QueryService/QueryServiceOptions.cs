using DeepEverest.Hosting.Streaming;
using DeepEverest.Kernels;

namespace DeepEverest.QueryService;

/// <summary>Settings of the QueryService (configuration section "DeepEverest").</summary>
public sealed class QueryServiceOptions
{
    /// <summary>Configuration section name.</summary>
    public const string SectionName = "DeepEverest";

    /// <summary>Data root shared with the IndexService; the store is opened as a secondary. Default "./data".</summary>
    public string DataRoot { get; set; } = "./data";

    /// <summary>
    /// Server-side cap on one query's time in seconds when the client sets no deadline; 0 = none.
    /// Default 300.
    /// </summary>
    public int MaxQuerySeconds { get; set; } = 300;

    /// <summary>
    /// The longest a client's deadline may extend one query, in seconds: a query whose call carries
    /// a deadline runs until that deadline, but at most this long (ReprocessAll over a large dataset
    /// on an expensive model can take longer than <see cref="MaxQuerySeconds"/>); 0 = no limit.
    /// Default 3600.
    /// </summary>
    public int MaxClientDeadlineSeconds { get; set; } = 3600;

    /// <summary>
    /// The server cap of one query: <see cref="MaxClientDeadlineSeconds"/> when the call carries a
    /// deadline (which cancels the call itself), else <see cref="MaxQuerySeconds"/>; 0 = none.
    /// </summary>
    public int CapSeconds(bool clientDeadline) => clientDeadline ? MaxClientDeadlineSeconds : MaxQuerySeconds;

    /// <summary>
    /// How a query call is streamed: its coalescing interval (the request's
    /// options.min_update_interval_ms when set, else <see cref="DefaultUpdateIntervalMs"/>) and the
    /// server's cap on its time (<see cref="CapSeconds"/>), with the setting that sets the cap.
    /// </summary>
    /// <param name="requestedIntervalMs">The request's min_update_interval_ms, or null when unset.</param>
    /// <param name="clientDeadline">Whether the call carries a deadline.</param>
    public QueryStreamLimits StreamLimits(int? requestedIntervalMs, bool clientDeadline) => new(
        requestedIntervalMs ?? DefaultUpdateIntervalMs,
        CapSeconds(clientDeadline),
        clientDeadline
            ? $"{SectionName}:{nameof(MaxClientDeadlineSeconds)}, the longest a client deadline may extend a query"
            : $"{SectionName}:{nameof(MaxQuerySeconds)}; a call with a longer deadline may run up to {SectionName}:{nameof(MaxClientDeadlineSeconds)}");

    /// <summary>
    /// Coalescing of a query's progress updates when the request leaves
    /// options.min_update_interval_ms unset: at most one update per this many milliseconds (the
    /// first and the last always go out); 0 sends every update. Default 50.
    /// </summary>
    public int DefaultUpdateIntervalMs { get; set; } = 50;

    /// <summary>Kernel backend: Auto (CUDA when present), Cpu or Cuda. Default Auto.</summary>
    public KernelBackend Kernels { get; set; } = KernelBackend.Auto;

    /// <summary>
    /// How often, in milliseconds, the service follows the IndexService's writes in the background
    /// (10-60000). Queries never wait for it: they read the last generation it pinned, and catch
    /// up on demand only when the IndexService has published since (so a query sent after a build
    /// returned sees the build). Following also lets go of files the IndexService has compacted
    /// away. Default 1000.
    /// </summary>
    public int FollowIntervalMs { get; set; } = 1000;

    /// <summary>Checks the settings at start-up.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(DataRoot))
        {
            throw new InvalidOperationException("DeepEverest:DataRoot must be set.");
        }

        if (DefaultUpdateIntervalMs < 0)
        {
            throw new InvalidOperationException("DeepEverest:DefaultUpdateIntervalMs must be >= 0 (0 = every update).");
        }

        if (MaxQuerySeconds < 0)
        {
            throw new InvalidOperationException("DeepEverest:MaxQuerySeconds must be >= 0.");
        }

        if (FollowIntervalMs is < 10 or > 60_000)
        {
            throw new InvalidOperationException("DeepEverest:FollowIntervalMs must be 10-60000.");
        }

        if (MaxClientDeadlineSeconds < 0)
        {
            throw new InvalidOperationException("DeepEverest:MaxClientDeadlineSeconds must be >= 0.");
        }
    }
}
