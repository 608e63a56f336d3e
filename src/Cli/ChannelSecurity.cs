using System.Net.Http.Headers;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
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
    private readonly X509Certificate2Collection? _trusted;

    private ChannelSecurity(string? apiKey, X509Certificate2Collection? trusted)
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

        X509Certificate2Collection? trusted = null;
        if (caFile is not null)
        {
            trusted = [];
            try
            {
                trusted.ImportFromPemFile(caFile);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or CryptographicException)
            {
                throw new CliException($"cannot read the CA certificate file '{caFile}': {e.Message}");
            }

            if (trusted.Count == 0)
            {
                throw new CliException($"'{caFile}' holds no PEM certificate (-----BEGIN CERTIFICATE-----).");
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
        if (_trusted is not null)
        {
            sockets.SslOptions.RemoteCertificateValidationCallback = ValidateWithTrustedCa;
        }

        return _apiKey is null ? sockets : new BearerHandler(_apiKey) { InnerHandler = sockets };
    }

    /// <summary>Accepts what the system trusts, and chains that end at one of the given CA certificates.</summary>
    private bool ValidateWithTrustedCa(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (errors == SslPolicyErrors.None)
        {
            return true;
        }

        // A wrong host name or a missing certificate is never forgiven.
        if (certificate is null || errors != SslPolicyErrors.RemoteCertificateChainErrors)
        {
            return false;
        }

        using var custom = new X509Chain();
        custom.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        custom.ChainPolicy.CustomTrustStore.AddRange(_trusted!);
        custom.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        if (chain is not null)
        {
            foreach (X509ChainElement element in chain.ChainElements)
            {
                custom.ChainPolicy.ExtraStore.Add(element.Certificate);
            }
        }

        return custom.Build(certificate as X509Certificate2 ?? X509CertificateLoader.LoadCertificate(certificate.GetRawCertData()));
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
