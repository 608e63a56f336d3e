using System.CommandLine;
using DeepEverest.Cli;
using DeepEverest.Services.Tests.Infrastructure;

namespace DeepEverest.Services.Tests.Cli;

/// <summary>
/// The command reference (docs/cli.md) is what the command tree generates, every command has a
/// description and a working <c>--help</c>, and service addresses come from the option, the
/// environment variable the clients share, or the default.
/// </summary>
public sealed class CliReferenceTests
{
    [Fact]
    public void DocsCliMd_Committed_IsWhatMakeCliDocsGenerates()
    {
        string expected = CliReference.Render(CreateRoot());

        string committed = File.ReadAllText(Path.Combine(TestData.RepoRoot, CliReference.RelativePath));

        Assert.True(committed == expected, $"{CliReference.RelativePath} is stale: run `make cli-docs`");
    }

    [Fact]
    public void Render_EveryVisibleCommandAndOption_IsDescribedAndListed()
    {
        RootCommand root = CreateRoot();

        string page = CliReference.Render(root);

        foreach ((string path, Command command) in Walk(root, "deepeverest"))
        {
            Assert.False(string.IsNullOrWhiteSpace(command.Description), $"`{path}` has no description");
            Assert.Contains($"### {path}\n", page, StringComparison.Ordinal);
            foreach (Option option in command.Options.Where(o => !o.Hidden))
            {
                Assert.False(string.IsNullOrWhiteSpace(option.Description), $"`{path} {option.Name}` has no description");
            }
        }

        Assert.DoesNotContain("deepeverest reference", page, StringComparison.Ordinal);
        Assert.Contains($"`{GlobalOptions.IndexServiceVariable}`", page, StringComparison.Ordinal);
        Assert.Contains($"`{GlobalOptions.QueryServiceVariable}`", page, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Help_EveryCommand_PrintsUsageAndExitsZero()
    {
        foreach ((string path, _) in Walk(CreateRoot(), "deepeverest"))
        {
            using var output = new StringWriter();
            using var error = new StringWriter();
            string[] args = [.. path.Split(' ').Skip(1), "--help"];

            int code = await global::DeepEverest.Cli.Program.RunAsync(args, CliConsole.ForWriters(output, error)).DefaultTimeout();

            Assert.True(code == 0, $"`{path} --help` exited {code}: {error}");
            Assert.Contains("Usage:", output.ToString(), StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("http://10.0.0.1:1", "10.0.0.2:2", "http://10.0.0.1:1")]
    [InlineData(null, "10.0.0.2:2", "http://10.0.0.2:2")]
    [InlineData(null, "https://svc.example:443", "https://svc.example:443")]
    [InlineData("  ", null, "http://127.0.0.1:9")]
    [InlineData("10.0.0.1:1", null, "http://10.0.0.1:1")]
    public void Address_OptionThenVariableThenDefault_BareHostPortGetsHttp(string? option, string? variable, string expected)
    {
        // A variable of this test's own: the real ones are process-wide and tests run in parallel.
        string name = $"DEEPEVEREST_TEST_{Guid.NewGuid():N}";
        Environment.SetEnvironmentVariable(name, variable);
        try
        {
            Assert.Equal(expected, GlobalOptions.Address(option, name, "127.0.0.1:9"));
        }
        finally
        {
            Environment.SetEnvironmentVariable(name, null);
        }
    }

    private static RootCommand CreateRoot() =>
        global::DeepEverest.Cli.Program.CreateRootCommand(new GlobalOptions(CliConsole.ForWriters(TextWriter.Null, TextWriter.Null)));

    private static IEnumerable<(string Path, Command Command)> Walk(Command command, string path)
    {
        foreach (Command child in command.Subcommands.Where(c => !c.Hidden))
        {
            string childPath = $"{path} {child.Name}";
            yield return (childPath, child);
            foreach ((string, Command) descendant in Walk(child, childPath))
            {
                yield return descendant;
            }
        }
    }
}
