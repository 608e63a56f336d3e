using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace DeepEverest.Deploy.Tests.Images;

/// <summary>Self-signed server certificates for TLS tests (what cert-manager would put in a Secret).</summary>
internal static class TestCertificate
{
    /// <summary>A one-day RSA certificate for <paramref name="host"/> and 127.0.0.1, with its private key.</summary>
    public static X509Certificate2 Create(string host)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest($"CN={host}", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName(host);
        names.AddIpAddress(System.Net.IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], critical: false));
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
    }
}
