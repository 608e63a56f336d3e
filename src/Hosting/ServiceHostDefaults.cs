namespace DeepEverest.Hosting;

/// <summary>
/// What distinguishes one DeepEverest service's host from the other's: its gRPC service name (also
/// answered by the health service) and the default addresses of its two endpoints.
/// </summary>
/// <param name="ServiceName">Full gRPC name of the service, e.g. <c>deepeverest.v1.IndexService</c>.</param>
/// <param name="ShortName">Name in logs and metric resources, e.g. <c>index-service</c>.</param>
/// <param name="GrpcUrl">Default of <c>Kestrel:Endpoints:Grpc:Url</c> (native gRPC, HTTP/2 cleartext).</param>
/// <param name="HttpUrl">Default of <c>Kestrel:Endpoints:Http:Url</c> (HTTP/1.1: gRPC-Web, JSON, metrics).</param>
public sealed record ServiceHostDefaults(string ServiceName, string ShortName, string GrpcUrl, string HttpUrl);
