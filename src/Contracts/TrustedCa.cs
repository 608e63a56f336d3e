using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace DeepEverest.Contracts;

/// <summary>
/// CA certificates trusted besides the system's for <c>https://</c> channels to our services (a
/// private CA or a self-signed certificate, e.g. cert-manager's <c>ca.crt</c>): the CLI's
/// <c>--ca-file</c> and the router's <c>ShardCaFile</c> use the same rule.
/// </summary>
public sealed class TrustedCa
{
    private readonly X509Certificate2Collection _certificates;

    private TrustedCa(X509Certificate2Collection certificates) => _certificates = certificates;

    /// <summary>Reads a PEM file of one or more CA certificates.</summary>
    /// <param name="path">The file.</param>
    /// <exception cref="InvalidDataException">The file cannot be read or holds no certificate; the message names it.</exception>
    public static TrustedCa FromPemFile(string path)
    {
        X509Certificate2Collection certificates = [];
        try
        {
            certificates.ImportFromPemFile(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or CryptographicException)
        {
            throw new InvalidDataException($"cannot read the CA certificate file '{path}': {e.Message}", e);
        }

        if (certificates.Count == 0)
        {
            throw new InvalidDataException($"'{path}' holds no PEM certificate (-----BEGIN CERTIFICATE-----).");
        }

        return new TrustedCa(certificates);
    }

    /// <summary>Makes <paramref name="handler"/> accept these CAs besides the system's.</summary>
    public void Apply(SocketsHttpHandler handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        handler.SslOptions.RemoteCertificateValidationCallback = Validate;
    }

    /// <summary>Accepts what the system trusts, and chains that end at one of these CA certificates.</summary>
    private bool Validate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
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
        custom.ChainPolicy.CustomTrustStore.AddRange(_certificates);
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
}
