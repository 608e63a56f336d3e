using System.Globalization;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using DeepEverest.Contracts.V1;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Net.Client;
using Grpc.Net.Client.Web;

namespace DeepEverest.Deploy.Tests.Images;

/// <summary>
/// Talks to services running in containers through their published ports, the way outside
/// clients do: native gRPC on the HTTP/2 port, gRPC-Web and JSON on the HTTP/1.1 port.
/// </summary>
internal static class DeployedServices
{
    /// <summary>
    /// A native gRPC channel (HTTP/2) to <paramref name="grpcPort"/>: cleartext for http URLs, TLS
    /// for https ones, trusting only <paramref name="trusted"/>.
    /// </summary>
    public static GrpcChannel Native(Uri grpcPort, X509Certificate2? trusted = null) =>
        GrpcChannel.ForAddress(grpcPort, new GrpcChannelOptions { HttpHandler = Handler(trusted) });

    /// <summary>A gRPC-Web channel over HTTP/1.1 to <paramref name="httpPort"/>.</summary>
    public static GrpcChannel Web(Uri httpPort) => GrpcChannel.ForAddress(httpPort, new GrpcChannelOptions
    {
        HttpHandler = new GrpcWebHandler(GrpcWebMode.GrpcWeb, new HttpClientHandler()),
        HttpVersion = HttpVersion.Version11,
        HttpVersionPolicy = HttpVersionPolicy.RequestVersionExact,
    });

    /// <summary>
    /// Polls the gRPC health service for <paramref name="service"/> until it answers SERVING (as the
    /// startup probe does), or fails after <paramref name="timeout"/>.
    /// </summary>
    public static async Task WaitServingAsync(Uri grpcPort, string service, TimeSpan timeout, Func<Task<string>> logs)
    {
        using GrpcChannel channel = Native(grpcPort);
        var health = new Health.HealthClient(channel);
        DateTime deadline = DateTime.UtcNow + timeout;
        string last = "";
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                HealthCheckResponse response = await health.CheckAsync(new HealthCheckRequest { Service = service }, deadline: DateTime.UtcNow.AddSeconds(5));
                if (response.Status == HealthCheckResponse.Types.ServingStatus.Serving)
                {
                    return;
                }

                last = response.Status.ToString();
            }
            catch (RpcException e)
            {
                last = e.Status.ToString();
            }

            await Task.Delay(500);
        }

        throw new TimeoutException($"{service} at {grpcPort} not SERVING after {timeout} (last: {last})\n{await logs()}");
    }

    /// <summary>Reads a query stream to its end; returns every update (the last one has done set).</summary>
    public static async Task<List<TopKUpdate>> ReadAllAsync(AsyncServerStreamingCall<TopKUpdate> call)
    {
        using (call)
        {
            var updates = new List<TopKUpdate>();
            await foreach (TopKUpdate update in call.ResponseStream.ReadAllAsync())
            {
                updates.Add(update);
            }

            return updates;
        }
    }

    /// <summary>
    /// Posts <paramref name="request"/> as proto3 JSON to <paramref name="path"/> (JSON transcoding)
    /// and parses the newline-delimited JSON stream of updates it answers.
    /// </summary>
    public static async Task<List<TopKUpdate>> PostJsonStreamAsync(Uri httpPort, string path, IMessage request)
    {
        using var http = new HttpClient { BaseAddress = httpPort, Timeout = TimeSpan.FromMinutes(5) };
        using var content = new StringContent(JsonFormatter.Default.Format(request), Encoding.UTF8, "application/json");
        using HttpResponseMessage response = await http.PostAsync(path, content);
        string body = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode)
        {
            throw new HttpRequestException($"POST {path}: {(int)response.StatusCode} {body}");
        }

        var parser = new JsonParser(JsonParser.Settings.Default.WithIgnoreUnknownFields(true));
        return body.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(line => parser.Parse<TopKUpdate>(line))
            .ToList();
    }

    /// <summary>
    /// Polls <c>GET <paramref name="path"/></c> on the HTTP/1.1 port until it answers 200 (as an
    /// httpGet probe does), or fails after <paramref name="timeout"/>.
    /// </summary>
    public static async Task WaitHttpOkAsync(Uri httpPort, string path, TimeSpan timeout, X509Certificate2? trusted, Func<Task<string>> logs)
    {
        DateTime deadline = DateTime.UtcNow + timeout;
        string last = "";
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                await GetAsync(httpPort, path, trusted);
                return;
            }
            catch (HttpRequestException e)
            {
                last = e.Message;
            }

            await Task.Delay(500);
        }

        throw new TimeoutException($"GET {httpPort}{path} not 200 after {timeout} (last: {last})\n{await logs()}");
    }

    /// <summary>GETs <paramref name="path"/> from the HTTP/1.1 port; throws unless it answers 2xx.</summary>
    public static async Task<string> GetAsync(Uri httpPort, string path, X509Certificate2? trusted = null)
    {
        using var http = new HttpClient(Handler(trusted)) { BaseAddress = httpPort, Timeout = TimeSpan.FromMinutes(1) };
        using HttpResponseMessage response = await http.GetAsync(path);
        string body = await response.Content.ReadAsStringAsync();
        return response.IsSuccessStatusCode ? body : throw new HttpRequestException($"GET {path}: {(int)response.StatusCode} {body}");
    }

    /// <summary>An HTTP handler that, over TLS, accepts exactly the certificate <paramref name="trusted"/>.</summary>
    private static HttpClientHandler Handler(X509Certificate2? trusted) => new()
    {
        ServerCertificateCustomValidationCallback = trusted is null
            ? null
            : (_, certificate, _, _) => certificate is not null && certificate.Thumbprint == trusted.Thumbprint,
    };

    /// <summary>
    /// The sum of every sample of <paramref name="metric"/> (whatever its labels) in a Prometheus
    /// text exposition; 0 when absent.
    /// </summary>
    public static double SumSamples(string exposition, string metric) =>
        exposition.Split('\n')
            .Where(line => line.StartsWith(metric + "{", StringComparison.Ordinal) || line.StartsWith(metric + " ", StringComparison.Ordinal))
            .Sum(line => double.Parse(SampleValue(line), CultureInfo.InvariantCulture));

    /// <summary>The value of one sample line: <c>name{labels} value [timestamp]</c>.</summary>
    private static string SampleValue(string line)
    {
        string rest = line.Contains('{', StringComparison.Ordinal) ? line[(line.LastIndexOf('}') + 1)..] : line[line.IndexOf(' ', StringComparison.Ordinal)..];
        return rest.Split(' ', StringSplitOptions.RemoveEmptyEntries)[0];
    }
}
