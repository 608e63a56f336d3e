using System.Net.Http.Headers;
using DeepEverest.Contracts;
using Grpc.Net.Client;

namespace DeepEverest.Cli;

/// <summary>
/// How the CLI's channels authenticate: an API key sent as <c>authorization: Bearer</c> on every
/// call, and for <c>https://</c> addresses, an optional CA certificate trusted besides the
/// system's (a private CA or a self-signed certificate).
/// </summary>
internal sealed class ChannelSecurity
{
    private readonly string? _apiKey;
    private readonly TrustedCa? _trusted;

    private ChannelSecurity(string? apiKey, TrustedCa? trusted)
    {
        _apiKey = apiKey;
        _trusted = trusted;
    }

    /// <summary>No key, system trust only.</summary>
    public static ChannelSecurity None { get; } = new(null, null);

    /// <summary>Creates the settings; throws <see cref="CliException"/> when the CA file cannot be used.</summary>
    /// <param name="apiKey">The API key, or null.</param>
    /// <param name="caFile">Path of a PEM file of one or more CA certificates, or null.</param>
    public static ChannelSecurity Create(string? apiKey, string? caFile)
    {
        if (apiKey is not null && apiKey.Any(char.IsWhiteSpace))
        {
            throw new CliException("the API key contains whitespace; give the key alone (without 'Bearer').");
        }

        TrustedCa? trusted = null;
        if (caFile is not null)
        {
            try
            {
                trusted = TrustedCa.FromPemFile(caFile);
            }
            catch (InvalidDataException e)
            {
                throw new CliException(e.Message);
            }
        }

        return new ChannelSecurity(apiKey, trusted);
    }

    /// <summary>A channel to <paramref name="address"/> (<c>http://</c> or <c>https://</c>).</summary>
    public GrpcChannel OpenChannel(string address) =>
        GrpcChannel.ForAddress(address, new GrpcChannelOptions { HttpHandler = CreateHandler(), DisposeHttpClient = true });

    /// <summary>An HTTP client that sends the key and trusts the CA, like the channels.</summary>
    public HttpClient CreateHttpClient() => new(CreateHandler(), disposeHandler: true);

    private HttpMessageHandler CreateHandler()
    {
        var sockets = new SocketsHttpHandler { EnableMultipleHttp2Connections = true };
        _trusted?.Apply(sockets);

        return _apiKey is null ? sockets : new BearerHandler(_apiKey) { InnerHandler = sockets };
    }

    /// <summary>Adds the key to every request.</summary>
    private sealed class BearerHandler(string apiKey) : DelegatingHandler
    {
        private readonly AuthenticationHeaderValue _header = new("Bearer", apiKey);

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            request.Headers.Authorization = _header;
            return base.SendAsync(request, cancellationToken);
        }
    }
}
