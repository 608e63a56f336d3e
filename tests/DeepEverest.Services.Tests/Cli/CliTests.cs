using System.Text.RegularExpressions;
using DeepEverest.Cli;
using DeepEverest.Contracts.V1;
using DeepEverest.Services.Tests.Infrastructure;
using Google.Protobuf;

namespace DeepEverest.Services.Tests.Cli;

/// <summary>
/// The <c>deepeverest</c> command line against an IndexService on real loopback Kestrel (port 0),
/// which also proves the service's HTTP/2-only cleartext gRPC endpoint works with a plain gRPC client.
/// </summary>
public sealed partial class CliTests : IAsyncLifetime
{
    private IndexServiceFactory _factory = null!;
    private string _address = "";

    public Task InitializeAsync()
    {
        string root = TestData.CreateTempDirectory();
        TestData.CopyModel(root);
        TestData.WriteFashionSlice(root, "fashion", 1000);
        _factory = new IndexServiceFactory(root, new Dictionary<string, string> { ["DeepEverest:MaxUploadMb"] = "2" });
        _factory.UseKestrel();
        _factory.StartServer();
        _address = _factory.Endpoints.GrpcAddress!;
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _factory.DisposeAsync();
        TestData.DeleteDirectory(_factory.DataRoot);
    }

    [Fact]
    public async Task IndexBuild_OnlyModelAndDataset_DefaultsToThemAndPrintsStorageLine()
    {
        Assert.Equal(0, (await RunAsync("models", "add", "--name", "vgg", "--path", TestData.ModelFile)).Code);
        (int code, string output, _) = await RunAsync(
            "datasets", "import", "--name", "fashion", "--inputs", "fashion-images.idx", "--labels", "fashion-labels.idx", "--scale", "1/255", "--input-shape", "1,28,28");
        Assert.Equal(0, code);
        Assert.Contains("1,000 inputs of shape [1, 28, 28]", output, StringComparison.Ordinal);
        Assert.Contains(TestData.SmallLayer, (await RunAsync("layers")).Output, StringComparison.Ordinal);

        (code, output, string error) = await RunAsync("index", "build", "--layer", TestData.SmallLayer);

        Assert.True(code == 0, error);
        // Piped output: plain lines, each naming its own phase; construction only after inference,
        // and no estimate on the first inference line (it would come from the session's first run).
        string[] lines = output.Split('\n');
        int firstInference = Array.FindIndex(lines, l => l.StartsWith("inference", StringComparison.Ordinal));
        int lastInference = Array.FindLastIndex(lines, l => l.StartsWith("inference", StringComparison.Ordinal));
        int firstConstruction = Array.FindIndex(lines, l => l.StartsWith("construction", StringComparison.Ordinal));
        Assert.True(firstInference >= 0 && firstConstruction > lastInference, output);
        Assert.DoesNotContain("ETA", lines[firstInference], StringComparison.Ordinal);
        Assert.DoesNotContain("waiting", output, StringComparison.Ordinal);
        Match storage = StorageLine().Match(output);
        Assert.True(storage.Success, output);
        (code, output, _) = await RunAsync("--json", "index", "describe", "--layer", TestData.SmallLayer);
        Assert.Equal(0, code);
        IndexInfo info = JsonParser.Default.Parse<IndexInfo>(Assert.Single(output.Split('\n', StringSplitOptions.RemoveEmptyEntries)));
        Assert.Equal((info.StorageFraction * 100).ToString("F1", System.Globalization.CultureInfo.InvariantCulture), storage.Groups[1].Value);
        Assert.Equal(new LayerRef { Model = "vgg", Dataset = "fashion", Layer = TestData.SmallLayer }, info.Layer);
        Assert.Contains(TestData.SmallLayer, (await RunAsync("index", "list")).Output, StringComparison.Ordinal);

        (code, output, _) = await RunAsync("index", "materialize", "--layer", TestData.SmallLayer);
        Assert.Equal(0, code);
        Assert.Contains($"materialized: vgg/fashion/{TestData.SmallLayer}: 1,000 inputs x 2,048 neurons", output, StringComparison.Ordinal);

        // With two models the model can no longer be left out.
        (code, output, _) = await RunAsync("models", "upload", "--name", "vgg2", "--file", Path.Combine(_factory.DataRoot, TestData.ModelFile));
        Assert.Equal(0, code);
        Assert.StartsWith("model vgg2: input 'input' [1, 28, 28], 25 layers", output, StringComparison.Ordinal);
        (code, _, error) = await RunAsync("layers");
        Assert.Equal(1, code);
        Assert.StartsWith("error: 2 models are registered (vgg, vgg2)", error, StringComparison.Ordinal);

        (code, output, _) = await RunAsync("index", "delete", "--model", "vgg", "--layer", TestData.SmallLayer);
        Assert.Equal(0, code);
        Assert.StartsWith("deleted: vgg/fashion/", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DatasetsImport_ShardOrRange_StoresTheSliceAndListsItsGlobalIds()
    {
        string[] import = ["datasets", "import", "--inputs", "fashion-images.idx", "--labels", "fashion-labels.idx", "--scale", "1/255", "--input-shape", "1,28,28"];

        (int code, string output, string error) = await RunAsync([.. import, "--name", "s1", "--shard", "1/3"]);
        Assert.True(code == 0, error);
        Assert.Contains("333 inputs of shape [1, 28, 28]", output, StringComparison.Ordinal);
        Assert.Contains("ids [333, 666) of 1,000", output, StringComparison.Ordinal);
        (code, _, error) = await RunAsync([.. import, "--name", "r", "--range", "900:1000"]);
        Assert.True(code == 0, error);
        (code, output, _) = await RunAsync("--json", "datasets", "list");
        Assert.Equal(0, code);
        var listed = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(JsonParser.Default.Parse<DatasetInfo>).ToDictionary(d => d.Name);
        Assert.Equal(new InputRange { Start = 900, End = 1000 }, listed["r"].InputRange);
        Assert.Equal((100L, 1000L), (listed["r"].Count, listed["r"].TotalCount));

        (code, output, error) = await RunAsync([.. import, "--name", "past", "--range", "900:1001"]);
        Assert.Equal(1, code);
        Assert.StartsWith("error: InvalidArgument: input_range [900, 1001) runs past the end of the source", error, StringComparison.Ordinal);
        (code, _, error) = await RunAsync([.. import, "--name", "both", "--range", "0:10", "--shard", "0/2"]);
        Assert.Equal(1, code);
        Assert.Contains("--range or --shard, not both", error, StringComparison.Ordinal);
        Assert.DoesNotContain("past", (await RunAsync("datasets", "list")).Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task IndexDescribe_UnknownModel_PrintsStatusToStderrAndExitsWithOne()
    {
        (int code, string output, string error) = await RunAsync("index", "describe", "--model", "nope", "--dataset", "none", "--layer", "x");

        Assert.Equal(1, code);
        Assert.Equal("", output);
        Assert.StartsWith("error: NotFound: No model 'nope'", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ModelsUpload_LargerThanLimit_PrintsResourceExhausted()
    {
        string file = Path.Combine(_factory.DataRoot, "big.onnx");
        await File.WriteAllBytesAsync(file, new byte[3 << 20]);

        (int code, _, string error) = await RunAsync("models", "upload", "--name", "big", "--file", file);

        Assert.Equal(1, code);
        Assert.StartsWith("error: ResourceExhausted: The upload exceeds the limit of 2 MiB", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ModelsList_ServiceNotRunning_PrintsUnavailable()
    {
        (int code, _, string error) = await RunAsync("--index-service", "http://127.0.0.1:1", "models", "list");

        Assert.Equal(1, code);
        Assert.StartsWith("error: Unavailable: ", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DatasetsImport_ImageFolder_ImportsClassesAsNamedLabelsAndRefusesItBesideInputs()
    {
        foreach ((string name, byte shade) in new[] { ("dark", (byte)20), ("light", (byte)230) })
        {
            string folder = Path.Combine(_factory.DataRoot, "pictures", name);
            Directory.CreateDirectory(folder);
            await File.WriteAllBytesAsync(Path.Combine(folder, "1.png"), Core.Tests.Datasets.TestImages.SolidPng(40, 30, shade, shade, shade));
            await File.WriteAllBytesAsync(Path.Combine(folder, "2.jpg"), Core.Tests.Datasets.TestImages.Jpeg(20, 20, (_, _) => (shade, shade, shade)));
        }

        (int code, string output, string error) = await RunAsync(
            "--json", "datasets", "import", "--name", "pictures", "--image-folder", "pictures", "--input-shape", "1,28,28", "--scale", "1/255");

        Assert.True(code == 0, error);
        var dataset = JsonParser.Default.Parse<DatasetInfo>(output);
        Assert.Equal(4, dataset.Count);
        Assert.Equal(new Dictionary<int, string> { [0] = "dark", [1] = "light" }, dataset.LabelNames);

        (code, _, error) = await RunAsync("datasets", "import", "--name", "both", "--image-folder", "pictures", "--inputs", "fashion-images.idx");
        Assert.Equal(1, code);
        Assert.Contains("give one of --inputs (array files), --image-folder", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task IndexBuild_CancelledLikeCtrlC_ExitsWithOneAndServiceLogsNoError()
    {
        await RunAsync("models", "add", "--name", "vgg", "--path", TestData.ModelFile);
        await RunAsync("datasets", "import", "--name", "fashion", "--inputs", "fashion-images.idx", "--scale", "1/255");
        const string Layer = "/block1/block1.2/Relu_output_0";
        using var cancel = new CancellationTokenSource();

        // Cancel (as Ctrl+C does) once the CLI prints the first progress of the inference pass.
        using var output = new LineWatchingWriter(line =>
        {
            if (line.Contains("BUILD_PHASE_INFERENCE", StringComparison.Ordinal) && !line.Contains("\"inputsDone\": \"0\"", StringComparison.Ordinal))
            {
                cancel.Cancel();
            }
        });
        using var error = new StringWriter();
        string[] args = ["--index-service", _address, "--json", "index", "build", "--layer", Layer, "--batch-size", "16"];
        int code = await global::DeepEverest.Cli.Program.RunAsync(args, CliConsole.ForWriters(output, error), cancel.Token).DefaultTimeout();

        Assert.Equal(1, code);
        Assert.StartsWith("error: Cancelled: ", error.ToString(), StringComparison.Ordinal);

        // The next build waits for the cancelled one to stop, so afterwards every log is in.
        Assert.Equal(0, (await RunAsync("index", "build", "--layer", TestData.SmallLayer)).Code);
        Assert.DoesNotContain(Layer, (await RunAsync("index", "list")).Output, StringComparison.Ordinal);
        Assert.Empty(_factory.Logs.Errors);
    }

    private Task<(int Code, string Output, string Error)> RunAsync(params string[] args) => RunAsync(CancellationToken.None, args);

    private async Task<(int Code, string Output, string Error)> RunAsync(CancellationToken cancellationToken, params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        string[] all = args.Contains("--index-service") ? args : ["--index-service", _address, .. args];
        int code = await global::DeepEverest.Cli.Program.RunAsync(all, CliConsole.ForWriters(output, error), cancellationToken).DefaultTimeout();
        return (code, output.ToString(), error.ToString());
    }

    [GeneratedRegex(@"^storage: (\d+\.\d)% of full materialization$", RegexOptions.Multiline)]
    private static partial Regex StorageLine();
}
