using System.Collections.Concurrent;
using DeepEverest.Hosting.Internal;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace DeepEverest.Hosting;

/// <summary>
/// The two Kestrel endpoints every DeepEverest service listens on, configured in the standard
/// <c>Kestrel:Endpoints:&lt;name&gt;</c> sections (so certificates, protocols and environment
/// overrides such as <c>Kestrel__Endpoints__Http__Url</c> work as for any ASP.NET Core app):
/// <list type="bullet">
/// <item><see cref="GrpcName"/>: native gRPC, HTTP/2 only (cleartext Kestrel cannot offer HTTP/1.1
/// and HTTP/2 on one port: clients would get HTTP_1_1_REQUIRED).</item>
/// <item><see cref="HttpName"/>: HTTP/1.1 for browsers and curl: gRPC-Web, JSON transcoding
/// (<c>/v1/...</c>), <c>/metrics</c>, <c>/healthz</c>, and on the QueryService the web console.</item>
/// </list>
/// An endpoint whose Url is set to empty is not opened. After start-up this singleton tells the
/// addresses actually bound (useful with port 0).
/// </summary>
public sealed class ServiceEndpoints
{
    /// <summary>Name of the native gRPC endpoint (<c>Kestrel:Endpoints:Grpc</c>).</summary>
    public const string GrpcName = "Grpc";

    /// <summary>Name of the HTTP/1.1 endpoint (<c>Kestrel:Endpoints:Http</c>).</summary>
    public const string HttpName = "Http";

    private readonly ConcurrentDictionary<string, Bound> _bound = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// The native gRPC endpoint's address once the server has started, e.g.
    /// <c>http://127.0.0.1:50051</c>; null when that endpoint is disabled or not started yet.
    /// </summary>
    public string? GrpcAddress => AddressOf(GrpcName);

    /// <summary>The HTTP/1.1 endpoint's address once the server has started; null when disabled or not started.</summary>
    public string? HttpAddress => AddressOf(HttpName);

    /// <summary>
    /// Whether a request arrived on the native gRPC endpoint. False for the HTTP/1.1 endpoint and for
    /// servers that have no named endpoints (the in-memory test server).
    /// </summary>
    public static bool IsGrpcEndpoint(HttpContext context) =>
        context.Features.Get<EndpointNameFeature>()?.Name == GrpcName;

    /// <summary>The address an endpoint is bound to, or null.</summary>
    public string? AddressOf(string name)
    {
        if (!_bound.TryGetValue(name, out Bound? bound))
        {
            return null;
        }

        BindingAddress configured = BindingAddress.Parse(bound.Url);

        // Kestrel replaces a listen option's endpoint with the bound one: port 0 becomes the real port.
        int port = bound.Options.IPEndPoint?.Port is > 0 and int p ? p : configured.Port;
        return port > 0 ? $"{configured.Scheme}://{configured.Host}:{port}" : bound.Url;
    }

    /// <summary>
    /// Called by Kestrel's configuration loader for each named endpoint: sets its default protocol
    /// (HTTP/2 for gRPC, HTTP/1.1 for HTTP) unless the section names one, and tags its connections
    /// with the endpoint's name so the pipeline can tell the two apart.
    /// </summary>
    internal void OnEndpoint(string name, EndpointConfiguration endpoint)
    {
        if (string.IsNullOrEmpty(endpoint.ConfigSection["Protocols"]))
        {
            endpoint.ListenOptions.Protocols = name == GrpcName ? HttpProtocols.Http2 : HttpProtocols.Http1;
        }

        var feature = new EndpointNameFeature(name);
        endpoint.ListenOptions.Use(next => connection =>
        {
            connection.Features.Set(feature);
            return next(connection);
        });
        _bound[name] = new Bound(endpoint.ConfigSection["Url"] ?? "", endpoint.ListenOptions);
    }

    private sealed record Bound(string Url, ListenOptions Options);
}
