using DeepEverest.Contracts.V1;
using DeepEverest.Core.Datasets;
using DeepEverest.Core.Files;
using DeepEverest.Core.Storage;
using DeepEverest.Services.Tests.Infrastructure;
using QueryClient = DeepEverest.Contracts.V1.QueryService.QueryServiceClient;

namespace DeepEverest.Services.Tests.QueryService;

/// <summary>
/// A QueryService killed with SIGKILL leaves its secondary instance's directory behind; the next
/// QueryService to open the store removes it, and never the directory of one still running.
/// </summary>
public sealed class QueryServiceCrashTests : IDisposable
{
    private readonly string _dataRoot = TestData.CreateTempDirectory();

    [Fact]
    public async Task OpenSecondary_AfterAQueryServiceWasKilled_RemovesItsDirectoryOnly()
    {
        using (StoreWriter primary = StoreWriter.OpenPrimary(_dataRoot))
        {
            (string images, string labels) = TestData.WriteFashionSlice(_dataRoot, "slice", 20);
            var request = new DatasetImportRequest("fm", [new DatasetPartPaths(Path.Combine(_dataRoot, images), Path.Combine(_dataRoot, labels))], InputPreprocessing.Affine(1f / 255, 0), [1, 28, 28], Replace: false);
            DatasetImport.Import(primary, request, DataFile.OpenTrusted);
        }

        string killedDirectory;
        using (ServiceProcess killed = await ServiceProcess.StartQueryServiceAsync(_dataRoot))
        {
            await GetInputAsync(killed); // opens the secondary
            killedDirectory = SecondaryDirectoryOf(killed);
            killed.Kill();
        }

        Assert.True(Directory.Exists(killedDirectory), "SIGKILL ran no cleanup");
        using ServiceProcess live = await ServiceProcess.StartQueryServiceAsync(_dataRoot);
        await GetInputAsync(live);
        string liveDirectory = SecondaryDirectoryOf(live);
        using ServiceProcess another = await ServiceProcess.StartQueryServiceAsync(_dataRoot);
        await GetInputAsync(another);

        Assert.False(Directory.Exists(killedDirectory));
        Assert.True(Directory.Exists(liveDirectory), "a running replica's directory must stay");
        Assert.NotEqual(liveDirectory, SecondaryDirectoryOf(another));
    }

    public void Dispose() => TestData.DeleteDirectory(_dataRoot);

    private static async Task GetInputAsync(ServiceProcess service)
    {
        GetInputResponse input = await new QueryClient(service.Channel).GetInputAsync(new GetInputRequest { Dataset = "fm", InputId = 3 }).ResponseAsync.DefaultTimeout();
        Assert.Equal(784, input.Tensor.Values.Count);
    }

    /// <summary>The secondary directory of the process: its name starts with the pid.</summary>
    private static string SecondaryDirectoryOf(ServiceProcess service) =>
        Assert.Single(Directory.GetDirectories(StoreReader.SecondaryParent, $"secondary-{service.ProcessId}-*"));
}
