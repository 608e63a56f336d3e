using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using DeepEverest.Contracts.V1;
using DeepEverest.Deploy.Tests.Infrastructure;
using Grpc.Net.Client;
using Xunit.Abstractions;

namespace DeepEverest.Deploy.Tests.Images;

/// <summary>
/// Runs the README's <c>podman run</c> lines exactly as written (between their marker comments),
/// with only the container names, the volume and the host ports made unique, then checks that the
/// query they end with answered exactly: a newcomer copying them gets working services. Category
/// "Images": <c>make test-images</c> runs it after building the images.
/// </summary>
[Trait("Category", "Images")]
public sealed partial class ReadmePodmanRunTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string Layer = "/block3/block3.2/Relu_output_0";
    private readonly string _suffix = Guid.NewGuid().ToString("N")[..8];

    private string IndexName => $"de-readme-index-{_suffix}";

    private string QueryName => $"de-readme-query-{_suffix}";

    private string Volume => $"de-readme-data-{_suffix}";

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        await Podman.RunAsync(["rm", "-f", "-t", "5", IndexName, QueryName]);
        await Podman.RunAsync(["volume", "rm", "-f", Volume]);
    }

    [Fact]
    public async Task PodmanRunLines_AsWritten_StartServicesThatAnswerExactly()
    {
        string readme = await File.ReadAllTextAsync(Path.Combine(RepoPaths.Root, "README.md"));
        Match block = PodmanBlock().Match(readme);
        Assert.True(block.Success, "README.md has no ```sh block between <!-- podman-run:begin --> and <!-- podman-run:end -->");
        string tag = AppVersion();
        foreach (string image in new[] { "deepeverest-index-service", "deepeverest-query-service" })
        {
            Assert.Contains($"localhost/{image}:{tag} ", block.Groups[1].Value.Replace("\n", " ", StringComparison.Ordinal), StringComparison.Ordinal);
            Assert.True(await Podman.ImageExistsAsync($"localhost/{image}:{tag}"), $"image {image}:{tag} is missing: run `make images` first");
        }

        int[] ports = [FreePort(), FreePort(), FreePort(), FreePort()];
        string script = block.Groups[1].Value
            .Replace("--name deepeverest-index ", $"--name {IndexName} ", StringComparison.Ordinal)
            .Replace("--name deepeverest-query ", $"--name {QueryName} ", StringComparison.Ordinal)
            .Replace(" deepeverest-index:/", $" {IndexName}:/", StringComparison.Ordinal)
            .Replace("deepeverest-data", Volume, StringComparison.Ordinal)
            .Replace("-p 50051:50051", $"-p 127.0.0.1:{ports[0]}:50051", StringComparison.Ordinal)
            .Replace("-p 8081:8081", $"-p 127.0.0.1:{ports[1]}:8081", StringComparison.Ordinal)
            .Replace("-p 50052:50052", $"-p 127.0.0.1:{ports[2]}:50052", StringComparison.Ordinal)
            .Replace("-p 8080:8080", $"-p 127.0.0.1:{ports[3]}:8080", StringComparison.Ordinal)
            .Replace("http://127.0.0.1:8081/", $"http://127.0.0.1:{ports[1]}/", StringComparison.Ordinal);
        string home = Environment.GetEnvironmentVariable("HOME") ?? "/root";
        var environment = new Dictionary<string, string>
        {
            ["CONTAINERS_CONF"] = Path.Combine(RepoPaths.Root, "tools", "containers", "containers.conf"),
            ["DEEPEVEREST_INDEX"] = $"http://127.0.0.1:{ports[0]}",
            ["DEEPEVEREST_QUERY"] = $"http://127.0.0.1:{ports[2]}",
            ["PATH"] = $"{Environment.GetEnvironmentVariable("PATH")}:{home}/.dotnet/tools",
        };

        ProcessResult run = await ExternalCommand.RunAsync("bash", ["-euo", "pipefail", "-c", script], TimeSpan.FromMinutes(8), environment);
        output.WriteLine(run.Stdout);
        if (run.ExitCode != 0)
        {
            string logs = (await Podman.RunAsync(["logs", IndexName])).Stderr + (await Podman.RunAsync(["logs", QueryName])).Stderr;
            Assert.Fail($"the README's podman lines exited {run.ExitCode}:\n{run.Stderr}\n{run.Stdout}\n{logs}");
        }

        // The CLI's answer (a table) is the exact one: the same ids as ReprocessAll's over gRPC.
        using GrpcChannel channel = DeployedServices.Native(new Uri($"http://127.0.0.1:{ports[2]}"));
        var query = new QueryService.QueryServiceClient(channel);
        var request = new TopKSimilarRequest
        {
            Layer = new LayerRef { Layer = Layer },
            Target = new Target { InputId = 0 },
            Group = new NeuronGroup { TopOfTarget = 3 },
            K = 5,
            Options = new QueryOptions { Strategy = Strategy.ReprocessAll },
        };
        TopKUpdate exact = (await DeployedServices.ReadAllAsync(query.TopKSimilar(request, deadline: DateTime.UtcNow.AddMinutes(5))))[^1];
        Assert.True(exact.Done);
        string[] rows = ResultRow().Matches(run.Stdout).Select(m => m.Groups[1].Value).ToArray();
        Assert.Equal(exact.Hits.Select(h => h.InputId.ToString(System.Globalization.CultureInfo.InvariantCulture)), rows);
    }

    private static string AppVersion()
    {
        string chart = File.ReadAllText(Path.Combine(RepoPaths.Chart, "Chart.yaml"));
        return AppVersionLine().Match(chart).Groups[1].Value;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    [GeneratedRegex(@"<!-- podman-run:begin -->\s*```sh\n(.*?)```\s*<!-- podman-run:end -->", RegexOptions.Singleline)]
    private static partial Regex PodmanBlock();

    [GeneratedRegex(@"^appVersion:\s*""?([^""\s]+)""?", RegexOptions.Multiline)]
    private static partial Regex AppVersionLine();

    [GeneratedRegex(@"^│ \d+\s+│ (\d+)\s+│", RegexOptions.Multiline)]
    private static partial Regex ResultRow();
}
