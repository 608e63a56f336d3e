namespace DeepEverest.Hosting.Streaming;

/// <summary>How one query call is streamed (<see cref="QueryStreamer"/>).</summary>
/// <param name="MinUpdateIntervalMs">
/// Coalescing: at most one update per this many milliseconds of the query's own clock, the first
/// and the last always; 0 sends every update; negative is refused (it is the request's
/// options.min_update_interval_ms, or the service's default).
/// </param>
/// <param name="CapSeconds">The server's cap on the query's time in seconds; 0 = none.</param>
/// <param name="CapSetting">The setting that sets the cap, named in the DEADLINE_EXCEEDED message.</param>
public sealed record QueryStreamLimits(int MinUpdateIntervalMs, int CapSeconds, string CapSetting);
