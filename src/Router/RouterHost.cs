namespace DeepEverest.Router;

/// <summary>
/// Marker of the router assembly for in-process hosting in tests
/// (<c>WebApplicationFactory&lt;RouterHost&gt;</c>); every service defines a top-level Program.
/// </summary>
public sealed class RouterHost;
