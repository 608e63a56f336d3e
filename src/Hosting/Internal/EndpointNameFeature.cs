namespace DeepEverest.Hosting.Internal;

/// <summary>
/// Connection feature naming the Kestrel endpoint (<see cref="ServiceEndpoints.GrpcName"/> or
/// <see cref="ServiceEndpoints.HttpName"/>) a connection arrived on; requests see it through
/// Kestrel's fallback from request to connection features.
/// </summary>
internal sealed record EndpointNameFeature(string Name);
