using System.Diagnostics;
using System.Text.RegularExpressions;
using DeepEverest.Contracts.V1;
using DeepEverest.Services.Tests.Infrastructure;
using Google.Protobuf;
using Grpc.Core;
using IndexClient = DeepEverest.Contracts.V1.IndexService.IndexServiceClient;
using QueryClient = DeepEverest.Contracts.V1.QueryService.QueryServiceClient;

namespace DeepEverest.Services.Tests.Hosting;

/// <summary>
/// Runs the README's <c>curl</c> session, exactly as written between its marker comments (only the
/// default ports replaced by the ones the services got), against the real service programs over a
/// small dataset and index named as in the README, so the README cannot rot.
/// </summary>
public sealed partial class ReadmeCurlSessionTests : IDisposable
{
    private const int Inputs = 1000;
    private static readonly JsonParser _json = new(JsonParser.Settings.Default.WithIgnoreUnknownFields(false));
    private readonly string _root = TestData.CreateTempDirectory();

    [Fact]
    public async Task CurlSession_AgainstRunningServices_ListsIndexAndStreamsTheGrpcAnswer()
    {
        string session = ReadmeSession();
        TopKSimilarRequest query = _json.Parse<TopKSimilarRequest>(QueryBody().Match(session).Groups[1].Value);
        LayerRef layer = query.Layer;
        using ServiceProcess index = await ServiceProcess.StartIndexServiceAsync(_root);
        IndexInfo built = await PrepareAsync(new IndexClient(index.Channel), layer);
        using ServiceProcess queries = await ServiceProcess.StartQueryServiceAsync(_root);

        string script = session
            .Replace("http://127.0.0.1:8081", index.HttpAddress, StringComparison.Ordinal)
            .Replace("http://127.0.0.1:8080", queries.HttpAddress, StringComparison.Ordinal);
        (int code, string output, string error) = await RunBashAsync(script);

        Assert.True(code == 0, $"exit {code}: {error}\n{output}");
        string[] lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        ListIndexesResponse listed = _json.Parse<ListIndexesResponse>(lines[0]);
        Assert.Equal(built, Assert.Single(listed.Indexes));
        List<TopKUpdate> updates = lines[1..].Select(_json.Parse<TopKUpdate>).ToList();
        Assert.True(updates.Count >= 2, $"{updates.Count} updates:\n{output}");
        Assert.All(updates[..^1], u => Assert.False(u.Done));
        Assert.True(updates[^1].Done);
        TopKUpdate grpc = await LastAsync(new QueryClient(queries.Channel).TopKSimilar(query));
        Assert.Equal(grpc.Hits.Select(h => (h.InputId, h.Score)), updates[^1].Hits.Select(h => (h.InputId, h.Score)));
        Assert.Equal(query.K, updates[^1].Hits.Count);
    }

    public void Dispose() => TestData.DeleteDirectory(_root);

    /// <summary>The shell lines of the README's fenced block between the curl-session markers.</summary>
    private static string ReadmeSession()
    {
        string readme = File.ReadAllText(Path.Combine(TestData.RepoRoot, "README.md"));
        Match block = SessionBlock().Match(readme);
        Assert.True(block.Success, "README.md has no ```sh block between <!-- curl-session:begin --> and <!-- curl-session:end -->");
        return block.Groups[1].Value;
    }

    /// <summary>The demo model and a Fashion-MNIST slice under the README's names, and the index of its layer.</summary>
    private async Task<IndexInfo> PrepareAsync(IndexClient client, LayerRef layer)
    {
        TestData.CopyModel(_root);
        (string images, string labels) = TestData.WriteFashionSlice(_root, "slice", Inputs);
        await client.AddModelAsync(new AddModelRequest { Name = layer.Model, Path = TestData.ModelFile }).ResponseAsync.DefaultTimeout();
        var import = new ImportDatasetRequest { Name = layer.Dataset, Preprocessing = new Preprocessing { Scale = 1f / 255 } };
        import.Parts.Add(new DatasetPart { InputsPath = images, LabelsPath = labels });
        import.InputShape.AddRange([1, 28, 28]);
        await client.ImportDatasetAsync(import).ResponseAsync.DefaultTimeout();
        return (await client.BuildAsync(new BuildIndexRequest { Layer = layer }))[^1].Index;
    }

    private static async Task<TopKUpdate> LastAsync(AsyncServerStreamingCall<TopKUpdate> call)
    {
        using (call)
        {
            TopKUpdate? last = null;
            await foreach (TopKUpdate update in call.ResponseStream.ReadAllAsync().WithCancellation(CancellationToken.None))
            {
                last = update;
            }

            return last!;
        }
    }

    private static async Task<(int Code, string Output, string Error)> RunBashAsync(string script)
    {
        var start = new ProcessStartInfo("bash")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("-euo");
        start.ArgumentList.Add("pipefail");
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(script);
        using var bash = Process.Start(start)!;
        bash.StandardInput.Close();
        Task<string> output = bash.StandardOutput.ReadToEndAsync();
        Task<string> error = bash.StandardError.ReadToEndAsync();
        await bash.WaitForExitAsync().DefaultTimeout();
        return (bash.ExitCode, await output, await error);
    }

    [GeneratedRegex(@"<!-- curl-session:begin -->\s*```sh\n(.*?)```\s*<!-- curl-session:end -->", RegexOptions.Singleline)]
    private static partial Regex SessionBlock();

    [GeneratedRegex(@"layers:topKSimilar.*?-d '(.*?)'", RegexOptions.Singleline)]
    private static partial Regex QueryBody();
}
