using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using DeepEverest.Cli;
using DeepEverest.Services.Tests.Infrastructure;
using DeepEverest.Services.Tests.QueryService;

namespace DeepEverest.Services.Tests.Readme;

/// <summary>
/// Runs the README's "your own model" walk-through exactly as written (the fenced block between
/// the <c>own-model</c> markers), in a fresh shell with the <c>deepeverest</c> command installed as
/// <c>make install-cli</c> installs it, against both services on free loopback ports: export a
/// PyTorch model, import a folder of PNG images with preprocessing, index, query, compose a
/// preprocessing model, and check the answer against brute force.
/// </summary>
public sealed partial class OwnModelReadmeTests : IAsyncLifetime
{
    private readonly string _dataRoot = TestData.CreateTempDirectory();
    private IndexServiceFactory _index = null!;

    // Beside the data root, not in it: nothing in the data root may be executable.
    private string ToolsDirectory => _dataRoot + "-tools";
    private QueryServiceFactory _query = null!;

    public Task InitializeAsync()
    {
        _index = new IndexServiceFactory(_dataRoot);
        _index.UseKestrel();
        _index.StartServer();
        _query = new QueryServiceFactory(_dataRoot);
        _query.UseKestrel();
        _query.StartServer();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _query.DisposeAsync();
        await _index.DisposeAsync();
        TestData.DeleteDirectory(_dataRoot);
        TestData.DeleteDirectory(ToolsDirectory);
    }

    [Fact]
    public async Task UseYourOwnModel_ReadmeBlockAsWritten_RunsAndBothPreprocessingsAgree()
    {
        string readme = await File.ReadAllTextAsync(Path.Combine(TestData.RepoRoot, "README.md"));
        Match block = OwnModelBlock().Match(readme);
        Assert.True(block.Success, "README.md has no fenced sh block between <!-- own-model:begin --> and <!-- own-model:end -->");
        // The `deepeverest` command as a user gets it: packed from this build and installed with
        // `dotnet tool` (tools/install-cli.sh, as `make install-cli` runs it), into a folder of the
        // test's own instead of ~/.dotnet/tools. The shell knows nothing else: the addresses come
        // from the variables the CLI reads, not from a wrapper.
        string tools = ToolsDirectory;
        (int installed, string installOutput) = await RunBashAsync("tools/install-cli.sh", new Dictionary<string, string>
        {
            ["CLI_TOOL_PATH"] = tools,
            ["CLI_NO_BUILD"] = "1",
            ["CONFIG"] = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name,
        });
        Assert.True(installed == 0, $"tools/install-cli.sh failed:\n{installOutput}");
        string script = new StringBuilder()
            .AppendLine("set -euo pipefail")
            .AppendLine("/usr/bin/python3 -c 'import torch' || { echo 'PyTorch is missing: run tools/setup.sh (apt-get install python3-torch)' >&2; exit 3; }")
            .Append(block.Groups[1].Value)
            .ToString();
        var environment = new Dictionary<string, string>
        {
            ["PATH"] = $"{tools}:{Environment.GetEnvironmentVariable("PATH")}",
            ["DEEPEVEREST_INDEX"] = _index.Endpoints.GrpcAddress!,
            ["DEEPEVEREST_QUERY"] = _query.Endpoints.GrpcAddress!,
        };

        (int code, string output) = await RunBashAsync(script, environment);

        Assert.True(code == 0, $"exit code {code}:\n{output}");
        Assert.Contains("composed in front", output, StringComparison.Ordinal);
        Assert.Equal(2, IndexBuilt().Matches(output).Count);
        string[] answers = [.. SimilarAnswer().Matches(output).Select(m => m.Groups[1].Value)];
        Assert.True(answers.Length == 3, $"{answers.Length} similar answers in:\n{output}");

        // Normalization by the dataset and by a composed model rank the same five inputs, and the
        // last query, brute force (ReprocessAll), gives the first's answer row for row.
        Assert.Equal(Ids(answers[0]), Ids(answers[1]));
        Assert.Equal(Rows(answers[0]), Rows(answers[2]));
        // Both datasets come from the image folder: each label is named by its class folder.
        foreach (string answer in answers)
        {
            string[] rows = Rows(answer);
            Assert.Equal(5, rows.Length);
            Assert.All(rows, row => Assert.Matches(ClassFolderLabel(), row));
        }

        Assert.Empty(_index.Logs.Errors);
        Assert.Empty(_query.Logs.Errors);
    }

    // A fresh, non-interactive shell (no profile, no rc file) reading the script from stdin.
    private async Task<(int Code, string Output)> RunBashAsync(string script, IReadOnlyDictionary<string, string> environment)
    {
        var start = new ProcessStartInfo("bash", ["--noprofile", "--norc"])
        {
            WorkingDirectory = TestData.RepoRoot,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.Environment["DATA"] = _dataRoot;
        start.Environment["NO_COLOR"] = "1";
        start.Environment.Remove(GlobalOptions.IndexServiceVariable);
        start.Environment.Remove(GlobalOptions.QueryServiceVariable);
        foreach ((string name, string value) in environment)
        {
            start.Environment[name] = value;
        }

        using Process process = Process.Start(start)!;
        var output = new StringBuilder();
        process.OutputDataReceived += (_, e) => Append(output, e.Data);
        process.ErrorDataReceived += (_, e) => Append(output, e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        await process.StandardInput.WriteAsync(script);
        process.StandardInput.Close();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(15));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"the walk-through ran over 15 minutes:\n{output}");
        }

        process.WaitForExit();
        lock (output)
        {
            return (process.ExitCode, output.ToString());
        }
    }

    private static void Append(StringBuilder output, string? line)
    {
        if (line is not null)
        {
            lock (output)
            {
                output.AppendLine(line);
            }
        }
    }

    private static string[] Ids(string table) => [.. ResultRow().Matches(table).Select(m => m.Groups[1].Value)];

    private static string[] Rows(string table) => [.. table.Split('\n').Where(line => ResultRow().IsMatch(line))];

    [GeneratedRegex(@"<!-- own-model:begin -->\s*```sh\n(.*?)```\s*<!-- own-model:end -->", RegexOptions.Singleline)]
    private static partial Regex OwnModelBlock();

    [GeneratedRegex(@"^index built: ", RegexOptions.Multiline)]
    private static partial Regex IndexBuilt();

    // A similar query's final table: the "distance" header up to the closing border.
    [GeneratedRegex(@"│ rank\s*│ input\s*│ label\s*│ distance[^\n]*\n(.*?)╰", RegexOptions.Singleline)]
    private static partial Regex SimilarAnswer();

    [GeneratedRegex(@"^│ \d+\s+│ (\d+)\s+│", RegexOptions.Multiline)]
    private static partial Regex ResultRow();

    // A label cell: the label's number, then its class folder's name from the walk-through.
    [GeneratedRegex(@"│ (\d) \1-(tshirt-top|trouser|pullover|dress|coat|sandal|shirt|sneaker|bag|ankle-boot)\s+│")]
    private static partial Regex ClassFolderLabel();
}
