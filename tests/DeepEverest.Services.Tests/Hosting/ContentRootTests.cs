using System.Text.Json;
using System.Text.Json.Nodes;
using DeepEverest.Services.Tests.Infrastructure;

namespace DeepEverest.Services.Tests.Hosting;

/// <summary>
/// A service program started from a working directory other than its own reads the
/// appsettings.json beside it, while a relative data root stays relative to the working directory.
/// </summary>
public sealed class ContentRootTests : IDisposable
{
    private readonly string _app = TestData.CreateTempDirectory();
    private readonly string _work = TestData.CreateTempDirectory();

    [Fact]
    public async Task AppSettings_StartedFromAnotherDirectory_AppliesAndRelativeDataRootFollowsWorkingDirectory()
    {
        // A copy of the QueryService program (its subfolders linked) whose appsettings.json says
        // something the code's defaults do not.
        string dll = CopyProgram("QueryService");
        string settingsFile = Path.Combine(_app, "appsettings.json");
        JsonNode settings = JsonNode.Parse(File.ReadAllText(settingsFile), documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip })!;
        settings["DeepEverest"]!["Console"]!["IndexServiceUrl"] = "http://from-appsettings.example:8081";
        File.WriteAllText(settingsFile, settings.ToJsonString());

        using ServiceProcess service = await ServiceProcess.StartQueryServiceAsync("relative-data", workingDirectory: _work, dll: dll);
        using var http = new HttpClient();
        string config = await http.GetStringAsync($"{service.HttpAddress}/console-config.json").DefaultTimeout();

        Assert.Equal("""{"indexServiceUrl":"http://from-appsettings.example:8081"}""", config);
        Assert.Contains($"serving data root {Path.Combine(_work, "relative-data")} ", service.Output, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        TestData.DeleteDirectory(_app);
        TestData.DeleteDirectory(_work);
    }

    /// <summary>Copies a service's build output into the temporary app folder; returns its dll.</summary>
    private string CopyProgram(string name)
    {
        string source = Path.GetDirectoryName(ServiceProcess.LocateServiceDll(name))!;
        foreach (string file in Directory.EnumerateFiles(source))
        {
            File.Copy(file, Path.Combine(_app, Path.GetFileName(file)));
        }

        // runtimes/ holds hundreds of MB of native libraries: link, not copy.
        foreach (string folder in Directory.EnumerateDirectories(source))
        {
            Directory.CreateSymbolicLink(Path.Combine(_app, Path.GetFileName(folder)), folder);
        }

        return Path.Combine(_app, $"DeepEverest.{name}.dll");
    }
}
