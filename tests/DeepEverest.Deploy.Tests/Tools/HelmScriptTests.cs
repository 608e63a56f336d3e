using DeepEverest.Deploy.Tests.Infrastructure;

namespace DeepEverest.Deploy.Tests.Tools;

/// <summary>
/// <c>tools/helm.sh</c> installs helm on first use, and on a fresh machine the chart tests call it
/// from several processes at once: every caller must get a working helm, never a half-unpacked one
/// (issue 22: concurrent unpacks into one cache directory failed with "End-of-central-directory
/// signature not found").
/// </summary>
public sealed class HelmScriptTests : IDisposable
{
    private const int Callers = 6;

    private readonly string _cache = Directory.CreateTempSubdirectory("deepeverest-helm-cache-").FullName;

    [Fact]
    public async Task Run_SixProcessesOnEmptyCache_AllSucceedAndLeaveOneInstall()
    {
        var environment = new Dictionary<string, string> { ["XDG_CACHE_HOME"] = _cache };
        string script = Path.Combine(RepoPaths.Root, "tools", "helm.sh");

        ProcessResult[] results = await Task.WhenAll(Enumerable.Range(0, Callers).Select(_ => Task.Run(
            () => ExternalCommand.RunAsync(script, ["version", "--short"], TimeSpan.FromMinutes(5), environment))));

        Assert.All(results, result => Assert.True(result.ExitCode == 0, $"exit {result.ExitCode}:\n{result.Stderr}\n{result.Stdout}"));
        Assert.All(results, result => Assert.StartsWith("v4.", result.Stdout, StringComparison.Ordinal));
        // One installed version and no leftover temporary unpack directories.
        string installed = Path.Combine(_cache, "deepeverest-helm");
        Assert.Equal([Path.Combine(installed, "2.2.2")], Directory.GetDirectories(installed));
        ProcessResult path = await ExternalCommand.RunAsync(script, ["--path"], TimeSpan.FromMinutes(1), environment);
        Assert.Equal(Path.Combine(installed, "2.2.2", "helm"), path.EnsureSuccess("tools/helm.sh --path").Stdout.Trim());
    }

    public void Dispose() => Directory.Delete(_cache, recursive: true);
}
