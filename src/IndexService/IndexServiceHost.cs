namespace DeepEverest.IndexService;

/// <summary>
/// Marker of the IndexService assembly for in-process hosting in tests
/// (<c>WebApplicationFactory&lt;IndexServiceHost&gt;</c>): a test project that references both
/// services sees two top-level <c>Program</c> classes, so it names the assembly by this type.
/// </summary>
public sealed class IndexServiceHost;
