namespace DeepEverest.QueryService;

/// <summary>
/// Marker of the QueryService assembly for in-process hosting in tests
/// (<c>WebApplicationFactory&lt;QueryServiceHost&gt;</c>); both services define a top-level Program.
/// </summary>
public sealed class QueryServiceHost;
